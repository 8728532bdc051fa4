/**
 * Top-to-bottom layered layout of the pipeline with dagre, as Azure's designer draws pipelines
 * (inputs on a node's top edge, outputs on its bottom). Pure (no React, no DOM).
 */
import dagre from '@dagrejs/dagre';

export interface LayoutNode {
  id: string;
  width: number;
  height: number;
}

export interface LayoutEdge {
  source: string;
  target: string;
}

export interface LayoutOptions {
  /** Vertical gap between layers. */
  rankGap?: number;
  /** Horizontal gap between nodes of one layer. */
  nodeGap?: number;
}

/**
 * Top-left positions placing every node so that edges run downwards, layer by layer: a node sits
 * below every node that feeds it. Edges to nodes not in `nodes` are ignored.
 */
export function layoutTopToBottom(
  nodes: readonly LayoutNode[],
  edges: readonly LayoutEdge[],
  { rankGap = 56, nodeGap = 40 }: LayoutOptions = {},
): Record<string, { x: number; y: number }> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'TB', ranksep: rankGap, nodesep: nodeGap, marginx: 0, marginy: 0 });
  graph.setDefaultEdgeLabel(() => ({}));
  const known = new Set<string>();
  for (const node of nodes) {
    graph.setNode(node.id, { width: node.width, height: node.height });
    known.add(node.id);
  }
  for (const edge of edges) {
    if (known.has(edge.source) && known.has(edge.target) && edge.source !== edge.target) {
      graph.setEdge(edge.source, edge.target);
    }
  }
  // Nodes with no wire yet would all share the first layer, one long row: they go in a grid
  // below the wired ones instead (about as many columns as rows).
  const wired = new Set(graph.edges().flatMap((edge) => [edge.v, edge.w]));
  const loose = nodes.filter((node) => !wired.has(node.id));
  for (const node of loose) graph.removeNode(node.id);
  dagre.layout(graph);
  const positions: Record<string, { x: number; y: number }> = {};
  let bottom = 0;
  for (const node of nodes) {
    if (!wired.has(node.id)) continue;
    const placed = graph.node(node.id);
    // dagre gives centres; React Flow positions are top-left corners.
    positions[node.id] = {
      x: Math.round(placed.x - node.width / 2),
      y: Math.round(placed.y - node.height / 2),
    };
    bottom = Math.max(bottom, positions[node.id]!.y + node.height + rankGap);
  }
  const columns = Math.max(1, Math.floor(Math.sqrt(loose.length)));
  const cellWidth = Math.max(0, ...loose.map((node) => node.width)) + nodeGap;
  let rowTop = bottom;
  for (let start = 0; start < loose.length; start += columns) {
    const row = loose.slice(start, start + columns);
    row.forEach((node, column) => {
      positions[node.id] = { x: column * cellWidth, y: rowTop };
    });
    rowTop += Math.max(...row.map((node) => node.height)) + rankGap;
  }
  return positions;
}
