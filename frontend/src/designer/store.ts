import {
  addEdge,
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
} from '@xyflow/react';
import { create } from 'zustand';

/** Data carried by a pipeline component node on the canvas. */
export interface ComponentNodeData extends Record<string, unknown> {
  label: string;
  /** Registered component identifier, e.g. "sklearn.train_test_split". */
  componentId?: string;
}

export type DesignerNode = Node<ComponentNodeData>;
export type DesignerEdge = Edge;

export interface DesignerState {
  nodes: DesignerNode[];
  edges: DesignerEdge[];
  onNodesChange: (changes: NodeChange<DesignerNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<DesignerEdge>[]) => void;
  onConnect: (connection: Connection) => void;
  addNode: (node: DesignerNode) => void;
  setGraph: (nodes: DesignerNode[], edges: DesignerEdge[]) => void;
  reset: () => void;
}

export const useDesignerStore = create<DesignerState>()((set) => ({
  nodes: [],
  edges: [],
  onNodesChange: (changes) => set((s) => ({ nodes: applyNodeChanges(changes, s.nodes) })),
  onEdgesChange: (changes) => set((s) => ({ edges: applyEdgeChanges(changes, s.edges) })),
  onConnect: (connection) => set((s) => ({ edges: addEdge(connection, s.edges) })),
  addNode: (node) => set((s) => ({ nodes: [...s.nodes, node] })),
  setGraph: (nodes, edges) => set({ nodes, edges }),
  reset: () => set({ nodes: [], edges: [] }),
}));
