/**
 * Left-to-right layout of the folded job graph with dagre: the nodes of an open group are kept
 * together (a dagre cluster) and its frame is drawn around them with room for its header. Pure.
 */
import dagre from '@dagrejs/dagre';
import type { FoldedGraph, VisibleNode } from './run-groups';

export const STEP_NODE_SIZE = { width: 236, height: 104 };
export const DATA_NODE_SIZE = { width: 190, height: 52 };
/** Room a frame keeps around what it holds, and above it for its header. */
export const FRAME_PAD = { side: 16, top: 40, bottom: 14 };

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function sizeOf(node: VisibleNode) {
  return node.kind === 'data' ? DATA_NODE_SIZE : STEP_NODE_SIZE;
}

/** Top-left boxes of every visible node, frames included. */
export function layoutFolded(folded: FoldedGraph): Record<string, Box> {
  const graph = new dagre.graphlib.Graph({ compound: true });
  // Open groups make clusters: more room between nodes for the frames' borders and headers.
  const framed = folded.nodes.some((n) => n.kind === 'frame');
  graph.setGraph({
    rankdir: 'LR',
    ranksep: 80,
    nodesep: framed ? 48 : 32,
    marginx: 0,
    marginy: 0,
  });
  graph.setDefaultEdgeLabel(() => ({}));
  const frames = new Set(folded.nodes.filter((n) => n.kind === 'frame').map((n) => n.id));
  for (const node of folded.nodes) {
    graph.setNode(node.id, node.kind === 'frame' ? {} : { ...sizeOf(node) });
  }
  for (const node of folded.nodes) {
    if (node.parent && frames.has(node.parent)) graph.setParent(node.id, node.parent);
  }
  for (const edge of folded.edges) {
    if (
      graph.hasNode(edge.source) &&
      graph.hasNode(edge.target) &&
      !frames.has(edge.source) &&
      !frames.has(edge.target) &&
      edge.source !== edge.target
    ) {
      graph.setEdge(edge.source, edge.target);
    }
  }
  // dagre cannot lay out a cluster with nothing inside: give an empty open group a stand-in.
  for (const id of frames) {
    if (!graph.children(id)?.length) {
      graph.setNode(`${id}\u0000empty`, { ...DATA_NODE_SIZE });
      graph.setParent(`${id}\u0000empty`, id);
    }
  }
  dagre.layout(graph);

  const boxes: Record<string, Box> = {};
  for (const node of folded.nodes) {
    if (node.kind === 'frame') continue;
    const placed = graph.node(node.id);
    const { width, height } = sizeOf(node);
    boxes[node.id] = {
      x: Math.round(placed.x - width / 2),
      y: Math.round(placed.y - height / 2),
      width,
      height,
    };
  }
  // Frames from the inside out: each around the boxes of what it holds.
  const inner = folded.nodes
    .filter((n) => n.kind === 'frame')
    .sort((a, b) => (b.kind === 'frame' && a.kind === 'frame' ? b.depth - a.depth : 0));
  for (const frame of inner) {
    const held = graph
      .children(frame.id)
      .map((child) => boxes[child] ?? standIn(graph.node(child) as Placed))
      .filter((b): b is Box => Boolean(b));
    const left = Math.min(...held.map((b) => b.x)) - FRAME_PAD.side;
    const top = Math.min(...held.map((b) => b.y)) - FRAME_PAD.top;
    const right = Math.max(...held.map((b) => b.x + b.width)) + FRAME_PAD.side;
    const bottom = Math.max(...held.map((b) => b.y + b.height)) + FRAME_PAD.bottom;
    boxes[frame.id] = { x: left, y: top, width: right - left, height: bottom - top };
  }
  return boxes;
}

type Placed = { x: number; y: number; width?: number; height?: number } | undefined;

function standIn(placed: Placed): Box | null {
  if (!placed?.width || !placed.height) return null;
  return {
    x: placed.x - placed.width / 2,
    y: placed.y - placed.height / 2,
    width: placed.width,
    height: placed.height,
  };
}
