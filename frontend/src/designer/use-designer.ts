/**
 * Selector hooks over the designer store. Components subscribe to the smallest slice they
 * show, so that editing one node does not re-render the others.
 */
import { useShallow } from 'zustand/react/shallow';
import { canRedo, canUndo } from '../lib/undo-stack';
import { useDesignerStore } from './store';

export const useNodes = () => useDesignerStore((s) => s.nodes);
export const useEdges = () => useDesignerStore((s) => s.edges);
export const useHasNodes = () => useDesignerStore((s) => s.nodes.length > 0);
export const useNode = (id: string) => useDesignerStore((s) => s.nodes.find((n) => n.id === id));
export const useSelectedNodeIds = () =>
  useDesignerStore(useShallow((s) => s.nodes.filter((n) => n.selected).map((n) => n.id)));
export const useSelectedEdgeCount = () =>
  useDesignerStore((s) => s.edges.reduce((count, e) => count + (e.selected ? 1 : 0), 0));
export const useNodeProblems = (id: string) => useDesignerStore((s) => s.problemsByNode[id]);
export const useProblems = () => useDesignerStore((s) => s.problems);
export const useCanUndo = () => useDesignerStore((s) => canUndo(s.history));
export const useCanRedo = () => useDesignerStore((s) => canRedo(s.history));
export const useSaveStatus = () =>
  useDesignerStore(useShallow((s) => ({ status: s.saveStatus, error: s.saveError })));
export const useDraft = () => useDesignerStore((s) => s.draft);
export const useLoadState = () =>
  useDesignerStore(useShallow((s) => ({ state: s.loadState, error: s.loadError })));
export const usePipelineSettings = () => useDesignerStore((s) => s.settings);
export const usePipelineInputs = () => useDesignerStore((s) => s.inputs);
export const usePipelineOutputs = () => useDesignerStore((s) => s.outputs);
export const useNotice = () => useDesignerStore((s) => s.notice);
/** The edge feeding one input port of a node, if any. */
export const useIncomingEdge = (node: string, port: string) =>
  useDesignerStore((s) => s.edges.find((e) => e.target === node && e.targetHandle === port));
/** Display names of all nodes by id, for labels in lists (changes only when a name does). */
export const useNodeLabel = (id: string) =>
  useDesignerStore((s) => {
    const node = s.nodes.find((n) => n.id === id);
    if (!node) return id;
    if (node.type === 'component') return node.data.display_name || id;
    return id;
  });
