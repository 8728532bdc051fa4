/**
 * Top-to-bottom layered layout of the folded job graph with dagre (as Azure's designer draws
 * pipelines: inputs on a node's top edge, outputs on its bottom), from the inside out: what an open group
 * holds is laid out on its own, its frame drawn around it with room for its header, and the frame
 * is then one node of the graph around it. A frame never overlaps another node, and what it holds
 * never crosses its border. Pure.
 */
import dagre from '@dagrejs/dagre';
import type { FoldedGraph, VisibleNode } from './run-groups';

export const STEP_NODE_SIZE = { width: 236, height: 104 };
export const DATA_NODE_SIZE = { width: 190, height: 52 };
/** Room a frame keeps around what it holds, and above it for its header. */
export const FRAME_PAD = { side: 24, top: 48, bottom: 20 };
/** Room between ranks (top to bottom) and between the nodes of one rank. */
const RANK_SEP = 56;
const NODE_SEP = 40;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

type Size = { width: number; height: number };

function sizeOf(node: VisibleNode): Size {
  return node.kind === 'data' ? DATA_NODE_SIZE : STEP_NODE_SIZE;
}

/** Top-left boxes of every visible node, frames included. */
export function layoutFolded(folded: FoldedGraph): Record<string, Box> {
  const byId = new Map(folded.nodes.map((n) => [n.id, n]));
  const frames = new Set(folded.nodes.filter((n) => n.kind === 'frame').map((n) => n.id));
  // The open group a node is drawn in ('' at the top; a parent that is not drawn open is the top).
  const containerOf = (id: string): string => {
    const parent = byId.get(id)?.parent ?? '';
    return frames.has(parent) ? parent : '';
  };
  const held = new Map<string, string[]>([['', []]]);
  for (const id of frames) held.set(id, []);
  for (const node of folded.nodes) held.get(containerOf(node.id))!.push(node.id);
  // The node drawn directly in `container` that holds `id` (itself, or a frame around it).
  const within = (id: string, container: string): string | null => {
    const seen = new Set<string>();
    for (let at = id; byId.has(at) && !seen.has(at); at = containerOf(at)) {
      seen.add(at);
      if (containerOf(at) === container) return at;
      if (!containerOf(at)) return null;
    }
    return null;
  };

  // Each container's children at positions relative to its content's top-left, and its size.
  const local: Record<string, Box> = {};
  const content = new Map<string, Size>();
  const layOut = (container: string): Size => {
    const children = held.get(container) ?? [];
    if (!children.length) return DATA_NODE_SIZE; // an empty open group keeps some room
    const sizes = new Map<string, Size>();
    for (const id of children) {
      if (frames.has(id)) {
        const inner = layOut(id);
        content.set(id, inner);
        sizes.set(id, {
          width: inner.width + 2 * FRAME_PAD.side,
          height: inner.height + FRAME_PAD.top + FRAME_PAD.bottom,
        });
      } else {
        sizes.set(id, sizeOf(byId.get(id)!));
      }
    }
    const graph = new dagre.graphlib.Graph();
    graph.setGraph({ rankdir: 'TB', ranksep: RANK_SEP, nodesep: NODE_SEP, marginx: 0, marginy: 0 });
    graph.setDefaultEdgeLabel(() => ({}));
    for (const id of children) graph.setNode(id, { ...sizes.get(id)! });
    for (const edge of folded.edges) {
      const source = within(edge.source, container);
      const target = within(edge.target, container);
      if (source && target && source !== target) graph.setEdge(source, target);
    }
    dagre.layout(graph);
    let right = 0;
    let bottom = 0;
    for (const id of children) {
      const placed = graph.node(id);
      const { width, height } = sizes.get(id)!;
      const box = {
        x: Math.round(placed.x - width / 2),
        y: Math.round(placed.y - height / 2),
        width,
        height,
      };
      local[id] = box;
      right = Math.max(right, box.x + width);
      bottom = Math.max(bottom, box.y + height);
    }
    return { width: right, height: bottom };
  };
  layOut('');

  // From the top down: each node's box where its container's content starts.
  const boxes: Record<string, Box> = {};
  const place = (container: string, originX: number, originY: number) => {
    for (const id of held.get(container) ?? []) {
      const box = local[id]!;
      boxes[id] = { ...box, x: box.x + originX, y: box.y + originY };
      if (frames.has(id)) place(id, boxes[id].x + FRAME_PAD.side, boxes[id].y + FRAME_PAD.top);
    }
  };
  place('', 0, 0);
  return boxes;
}

/** The box around `boxes` (null for none). */
export function boundsOf(boxes: readonly Box[]): Box | null {
  if (!boxes.length) return null;
  const left = Math.min(...boxes.map((b) => b.x));
  const top = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  return { x: left, y: top, width: right - left, height: bottom - top };
}

export {
  FIT_PADDING,
  MAX_FIT_ZOOM,
  READABLE_ZOOM,
  readableViewport,
} from '../lib/readable-viewport';
