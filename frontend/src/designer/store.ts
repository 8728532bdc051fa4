/**
 * The designer's document (nodes, edges, pipeline settings, inputs and outputs), its undo
 * history, and the draft's save and validation state. Components read it through the selector
 * hooks in `use-designer.ts`; every edit goes through an action here so that it can be undone.
 */
import {
  applyEdgeChanges,
  applyNodeChanges,
  type EdgeChange,
  type NodeChange,
} from '@xyflow/react';
import { create } from 'zustand';
import { copySelection, duplicate, type Clipboard } from '../lib/clipboard';
import {
  DEFAULT_SETTINGS,
  edgeId,
  type CanvasViewport,
  type DesignerEdge,
  type DesignerNode,
  type FlowDocument,
  type ParameterValue,
  type PipelineInput,
  type PipelineOutput,
  type PipelineSettings,
} from '../lib/draft-graph';
import { uniqueNodeId } from '../lib/node-ids';
import { parameterNameProblem } from '../lib/parameter-names';
import { createUndoStack, pushState, redo, undo, type UndoStack } from '../lib/undo-stack';
import type { ValidationProblem } from './api';
import type { ComponentDefinition } from './catalog-store';
import {
  keepViewState,
  mapNode,
  promoteInput,
  removeNodes,
  renamePipelineInput,
  unbindInput,
  withComponentVersion,
  withoutPipelineInput,
} from './document-edits';

/** Where the draft stands with the server. `local` means there is no draft to save to. */
export type SaveStatus =
  | 'local'
  | 'saved'
  | 'dirty'
  | 'saving'
  | 'offline'
  | 'conflict'
  | 'error'
  | 'readonly';

export interface Notice {
  id: number;
  message: string;
  tone: 'info' | 'success' | 'error';
}

export interface DraftMeta {
  id: number | null;
  name: string;
  revision: number;
  lastJobName: string | null;
  /** Whether the signed-in user may save it (its owner or an Admin); others read and duplicate. */
  canChange?: boolean;
}

const PASTE_OFFSET = 40;
const HISTORY_LIMIT = 200;

export interface DesignerState extends FlowDocument {
  history: UndoStack<FlowDocument>;
  /** Where the canvas looks, saved with the draft but not an edit: undo leaves it alone. */
  viewport: CanvasViewport | null;
  draft: DraftMeta;
  loadState: 'idle' | 'loading' | 'ready' | 'error';
  loadError: string | null;
  saveStatus: SaveStatus;
  saveError: string | null;
  problems: ValidationProblem[];
  problemsByNode: Record<string, ValidationProblem[]>;
  notice: Notice | null;
  clipboard: Clipboard<DesignerNode, DesignerEdge> | null;
  pasteCount: number;

  onNodesChange: (changes: NodeChange<DesignerNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<DesignerEdge>[]) => void;
  addNode: (node: DesignerNode) => void;
  addEdge: (edge: DesignerEdge) => void;
  /** Feeds an input from an output (replacing its wire), or disconnects it with null. */
  setInputSource: (
    target: string,
    port: string,
    source: { node: string; port: string } | null,
  ) => void;
  updateNodeData: (id: string, patch: Record<string, unknown>, key?: string) => void;
  /** Sets a parameter of a step; `undefined` removes it so the default applies. */
  setNodeInput: (id: string, port: string, value: ParameterValue | undefined, key?: string) => void;
  setSettings: (patch: Partial<PipelineSettings>, key?: string) => void;
  /** Makes a step's parameter a pipeline input; returns the new input's name. */
  promoteToPipelineInput: (id: string, port: string, input: PipelineInput) => string;
  unbindPipelineInput: (id: string, port: string) => void;
  setPipelineInputValue: (name: string, value: ParameterValue, key?: string) => void;
  /** Sets what a pipeline input means (typing into the field is one undoable edit). */
  setPipelineInputDescription: (name: string, description: string) => void;
  removePipelineInput: (name: string) => void;
  /**
   * Renames a pipeline input and every step's reference to it, as one edit. Returns why the name
   * was refused (nothing changes then), or null.
   */
  renamePipelineInput: (from: string, to: string) => string | null;
  setPipelineOutput: (name: string, output: PipelineOutput | null) => void;
  /** Switches a step to another version, dropping values and wires of ports it no longer has. */
  changeComponentVersion: (id: string, definition: ComponentDefinition) => void;
  moveNodes: (positions: Record<string, { x: number; y: number }>) => void;
  deleteSelection: () => void;
  selectNodes: (ids: readonly string[]) => void;
  copy: () => number;
  paste: () => number;
  undo: () => void;
  redo: () => void;
  loadDocument: (
    doc: FlowDocument,
    draft: Partial<DraftMeta>,
    viewport?: CanvasViewport | null,
  ) => void;
  setViewport: (viewport: CanvasViewport) => void;
  setDraft: (patch: Partial<DraftMeta>) => void;
  setLoadState: (state: DesignerState['loadState'], error?: string | null) => void;
  setSaveStatus: (status: SaveStatus, error?: string | null) => void;
  setProblems: (problems: ValidationProblem[]) => void;
  notify: (message: string, tone?: Notice['tone']) => void;
  dismissNotice: (id: number) => void;
  reset: () => void;
}

function emptyDocument(): FlowDocument {
  return { nodes: [], edges: [], settings: { ...DEFAULT_SETTINGS }, inputs: {}, outputs: {} };
}

function documentOf(s: FlowDocument): FlowDocument {
  return {
    nodes: s.nodes,
    edges: s.edges,
    settings: s.settings,
    inputs: s.inputs,
    outputs: s.outputs,
  };
}

/** The state update for an edit: the changed parts plus a history entry holding them. */
function commit(s: DesignerState, patch: Partial<FlowDocument>, key?: string) {
  return { ...patch, history: pushState(s.history, { ...documentOf(s), ...patch }, key) };
}

function groupProblems(problems: ValidationProblem[]): Record<string, ValidationProblem[]> {
  const byNode: Record<string, ValidationProblem[]> = {};
  for (const p of problems) if (p.node) (byNode[p.node] ??= []).push(p);
  return byNode;
}

/** Problems left once a node (or one of its ports) was edited or removed. */
function withoutProblems(s: DesignerState, nodes: ReadonlySet<string>, port?: string) {
  const hit = (p: ValidationProblem) =>
    p.node !== null && nodes.has(p.node) && (port === undefined || p.port === port);
  if (!s.problems.some(hit)) return {};
  const problems = s.problems.filter((p) => !hit(p));
  return { problems, problemsByNode: groupProblems(problems) };
}

let noticeId = 0;

const initialState = () => {
  const doc = emptyDocument();
  return {
    ...doc,
    history: createUndoStack(doc, HISTORY_LIMIT),
    viewport: null as CanvasViewport | null,
    draft: { id: null, name: '', revision: 0, lastJobName: null },
    loadState: 'idle' as const,
    loadError: null,
    saveStatus: 'local' as SaveStatus,
    saveError: null,
    problems: [],
    problemsByNode: {},
    notice: null,
    clipboard: null,
    pasteCount: 0,
  };
};

export const useDesignerStore = create<DesignerState>()((set, get) => ({
  ...initialState(),

  onNodesChange: (changes) =>
    set((s) => {
      const removed = new Set(changes.flatMap((c) => (c.type === 'remove' ? [c.id] : [])));
      if (removed.size > 0) {
        const rest = changes.filter((c) => c.type !== 'remove');
        const after = { ...s, ...removeNodes(s, removed) };
        const nodes = applyNodeChanges(rest, after.nodes);
        return {
          ...commit(s, { nodes, edges: after.edges, outputs: after.outputs }),
          ...withoutProblems(s, removed),
        };
      }
      const nodes = applyNodeChanges(changes, s.nodes);
      // Selection, sizes and moves in progress are not edits; a finished move or an add is.
      const isEdit = changes.some(
        (c) =>
          c.type === 'add' ||
          c.type === 'replace' ||
          (c.type === 'position' && c.dragging === false),
      );
      return isEdit ? commit(s, { nodes }) : { nodes };
    }),

  onEdgesChange: (changes) =>
    set((s) => {
      const existing = new Set(s.edges.map((e) => e.id));
      const effective = changes.filter((c) => c.type !== 'remove' || existing.has(c.id));
      if (effective.length === 0) return {};
      const edges = applyEdgeChanges(effective, s.edges);
      const isEdit = effective.some((c) => c.type !== 'select');
      return isEdit ? commit(s, { edges }) : { edges };
    }),

  addNode: (node) =>
    set((s) => ({
      ...commit(s, {
        nodes: [
          ...s.nodes.map((n) => (n.selected ? ({ ...n, selected: false } as DesignerNode) : n)),
          { ...node, selected: true } as DesignerNode,
        ],
      }),
    })),

  addEdge: (edge) =>
    set((s) => ({
      ...commit(s, { edges: [...s.edges, edge] }),
      ...withoutProblems(s, new Set([edge.target]), edge.targetHandle ?? undefined),
    })),

  setInputSource: (target, port, source) =>
    set((s) => {
      const edges = s.edges.filter((e) => !(e.target === target && e.targetHandle === port));
      if (source) {
        edges.push({
          id: edgeId(source.node, source.port, target, port),
          source: source.node,
          sourceHandle: source.port,
          target,
          targetHandle: port,
        });
      }
      return { ...commit(s, { edges }), ...withoutProblems(s, new Set([target]), port) };
    }),

  updateNodeData: (id, patch, key) =>
    set((s) =>
      commit(
        s,
        {
          nodes: mapNode(
            s.nodes,
            id,
            (n) => ({ ...n, data: { ...n.data, ...patch } }) as DesignerNode,
          ),
        },
        key,
      ),
    ),

  setNodeInput: (id, port, value, key) =>
    set((s) => {
      const nodes = mapNode(s.nodes, id, (n) => {
        if (n.type !== 'component') return n;
        const inputs = { ...n.data.inputs };
        if (value === undefined) delete inputs[port];
        else inputs[port] = value;
        return { ...n, data: { ...n.data, inputs } };
      });
      return { ...commit(s, { nodes }, key), ...withoutProblems(s, new Set([id]), port) };
    }),

  setSettings: (patch, key) =>
    set((s) => commit(s, { settings: { ...s.settings, ...patch } }, key)),

  promoteToPipelineInput: (id, port, input) => {
    const name = uniqueNodeId(port, new Set(Object.keys(get().inputs)));
    set((s) => ({
      ...commit(s, promoteInput(s, id, port, name, input)),
      ...withoutProblems(s, new Set([id]), port),
    }));
    return name;
  },

  unbindPipelineInput: (id, port) => set((s) => commit(s, unbindInput(s, id, port))),

  setPipelineInputValue: (name, value, key) =>
    set((s) => {
      const current = s.inputs[name];
      if (!current) return {};
      return commit(s, { inputs: { ...s.inputs, [name]: { ...current, value } } }, key);
    }),

  setPipelineInputDescription: (name, description) =>
    set((s) => {
      const current = s.inputs[name];
      if (!current || (current.description ?? '') === description) return {};
      const next: PipelineInput = { type: current.type, value: current.value };
      if (description) next.description = description;
      return commit(
        s,
        { inputs: { ...s.inputs, [name]: next } },
        `pipeline_input_description:${name}`,
      );
    }),

  removePipelineInput: (name) => set((s) => commit(s, withoutPipelineInput(s, name))),

  renamePipelineInput: (from, to) => {
    const { inputs } = get();
    if (!Object.hasOwn(inputs, from)) return `There is no pipeline parameter ${from}.`;
    const problem = parameterNameProblem(to, from, Object.keys(inputs));
    if (problem !== null || to === from) return problem;
    set((s) => commit(s, renamePipelineInput(s, from, to)));
    return null;
  },

  setPipelineOutput: (name, output) =>
    set((s) => {
      const outputs = { ...s.outputs };
      if (output) outputs[name] = output;
      else delete outputs[name];
      return commit(s, { outputs });
    }),

  changeComponentVersion: (id, definition) =>
    set((s) => ({
      ...commit(s, withComponentVersion(s, id, definition)),
      ...withoutProblems(s, new Set([id])),
    })),

  moveNodes: (positions) =>
    set((s) =>
      commit(s, {
        nodes: s.nodes.map((n) => {
          const p = positions[n.id];
          return p ? ({ ...n, position: p } as DesignerNode) : n;
        }),
      }),
    ),

  deleteSelection: () =>
    set((s) => {
      const ids = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
      const hasEdges = s.edges.some((e) => e.selected);
      if (ids.size === 0 && !hasEdges) return {};
      const after = removeNodes(s, ids);
      return {
        ...commit(s, { ...after, edges: after.edges!.filter((e) => !e.selected) }),
        ...withoutProblems(s, ids),
      };
    }),

  selectNodes: (ids) =>
    set((s) => {
      const wanted = new Set(ids);
      return {
        nodes: s.nodes.map((n) =>
          (n.selected ?? false) === wanted.has(n.id)
            ? n
            : ({ ...n, selected: wanted.has(n.id) } as DesignerNode),
        ),
        edges: s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
      };
    }),

  copy: () => {
    const s = get();
    const ids = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
    if (ids.size === 0) return 0;
    set({ clipboard: copySelection(s.nodes, s.edges, ids), pasteCount: 0 });
    return ids.size;
  },

  paste: () => {
    const s = get();
    if (!s.clipboard || s.clipboard.nodes.length === 0) return 0;
    const step = (s.pasteCount + 1) * PASTE_OFFSET;
    const pasted = duplicate(s.clipboard, new Set(s.nodes.map((n) => n.id)), { x: step, y: step });
    set({
      ...commit(s, {
        nodes: [
          ...s.nodes.map((n) => (n.selected ? ({ ...n, selected: false } as DesignerNode) : n)),
          ...pasted.nodes,
        ],
        edges: [
          ...s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
          ...pasted.edges,
        ],
      }),
      pasteCount: s.pasteCount + 1,
    });
    return pasted.nodes.length;
  },

  undo: () =>
    set((s) => {
      const history = undo(s.history);
      return history === s.history ? {} : { ...keepViewState(s, history.present), history };
    }),

  redo: () =>
    set((s) => {
      const history = redo(s.history);
      return history === s.history ? {} : { ...keepViewState(s, history.present), history };
    }),

  loadDocument: (doc, draft, viewport = null) =>
    set((s) => ({
      ...doc,
      history: createUndoStack(doc, HISTORY_LIMIT),
      viewport,
      draft: { ...s.draft, ...draft },
      problems: [],
      problemsByNode: {},
      loadState: 'ready',
      loadError: null,
    })),

  setViewport: (viewport) => set({ viewport }),

  setDraft: (patch) => set((s) => ({ draft: { ...s.draft, ...patch } })),

  setLoadState: (loadState, loadError = null) => set({ loadState, loadError }),

  setSaveStatus: (saveStatus, saveError = null) => set({ saveStatus, saveError }),

  setProblems: (problems) => set({ problems, problemsByNode: groupProblems(problems) }),

  notify: (message, tone = 'info') => set({ notice: { id: ++noticeId, message, tone } }),

  dismissNotice: (id) => set((s) => (s.notice?.id === id ? { notice: null } : {})),

  reset: () => set(initialState()),
}));
