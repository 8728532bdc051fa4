/**
 * Pure graph helpers for the pipeline designer. No React, no DOM.
 *
 * Edges whose source or target is not in `nodeIds` ("dangling" edges) are
 * ignored by `findCycle` and `topologicalOrder`; use `danglingEdges` to
 * report them separately.
 */

export interface GraphEdge {
  source: string;
  target: string;
}

export class GraphCycleError extends Error {
  /** Node ids forming one cycle, in edge order (the last links back to the first). */
  readonly cycle: string[];

  constructor(cycle: string[]) {
    super(`Graph contains a cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
    this.name = 'GraphCycleError';
    this.cycle = cycle;
  }
}

/** Adjacency lists over known nodes only, preserving node and edge order. */
function buildAdjacency(nodeIds: readonly string[], edges: readonly GraphEdge[]) {
  const adjacency = new Map<string, string[]>();
  for (const id of nodeIds) adjacency.set(id, []);
  for (const { source, target } of edges) {
    const out = adjacency.get(source);
    if (out && adjacency.has(target)) out.push(target);
  }
  return adjacency;
}

/**
 * Returns the node ids of one directed cycle, in order, or null if the graph
 * is acyclic. A self-loop `a -> a` yields `['a']`.
 */
export function findCycle(
  nodeIds: readonly string[],
  edges: readonly GraphEdge[],
): string[] | null {
  const adjacency = buildAdjacency(nodeIds, edges);
  const WHITE = 0;
  const GREY = 1; // on the current DFS path
  const BLACK = 2; // fully explored
  const color = new Map<string, number>();
  for (const id of adjacency.keys()) color.set(id, WHITE);

  for (const start of adjacency.keys()) {
    if (color.get(start) !== WHITE) continue;
    // Iterative DFS: `path` is the current grey path, `cursor[i]` the next
    // neighbour index to visit for `path[i]`.
    const path: string[] = [start];
    const cursor: number[] = [0];
    color.set(start, GREY);

    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top]!;
      const neighbours = adjacency.get(node)!;
      const i = cursor[top]!;
      if (i >= neighbours.length) {
        color.set(node, BLACK);
        path.pop();
        cursor.pop();
        continue;
      }
      cursor[top] = i + 1;
      const next = neighbours[i]!;
      const c = color.get(next);
      if (c === GREY) return path.slice(path.indexOf(next));
      if (c === WHITE) {
        color.set(next, GREY);
        path.push(next);
        cursor.push(0);
      }
    }
  }
  return null;
}

/**
 * Returns all node ids so that every edge goes from an earlier to a later
 * node (Kahn's algorithm). Ties keep the order of `nodeIds`, so the result
 * is deterministic. Throws `GraphCycleError` if the graph has a cycle.
 */
export function topologicalOrder(
  nodeIds: readonly string[],
  edges: readonly GraphEdge[],
): string[] {
  const adjacency = buildAdjacency(nodeIds, edges);
  const index = new Map<string, number>();
  const inDegree = new Map<string, number>();
  for (const id of adjacency.keys()) {
    index.set(id, index.size);
    inDegree.set(id, 0);
  }
  for (const targets of adjacency.values()) {
    for (const t of targets) inDegree.set(t, inDegree.get(t)! + 1);
  }

  // Ready set kept sorted by original position (graphs here are small).
  const ready = [...adjacency.keys()].filter((id) => inDegree.get(id) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    const node = ready.shift()!;
    order.push(node);
    for (const t of adjacency.get(node)!) {
      const d = inDegree.get(t)! - 1;
      inDegree.set(t, d);
      if (d === 0) {
        const pos = ready.findIndex((r) => index.get(r)! > index.get(t)!);
        if (pos === -1) ready.push(t);
        else ready.splice(pos, 0, t);
      }
    }
  }

  if (order.length < adjacency.size) {
    const cycle = findCycle(nodeIds, edges);
    // Unreachable in practice: leftover nodes always imply a cycle.
    throw new GraphCycleError(cycle ?? [...adjacency.keys()].filter((id) => !order.includes(id)));
  }
  return order;
}

/** Edges whose source or target does not name a node in `nodeIds`. */
export function danglingEdges<E extends GraphEdge>(
  nodeIds: readonly string[],
  edges: readonly E[],
): E[] {
  const known = new Set(nodeIds);
  return edges.filter((e) => !known.has(e.source) || !known.has(e.target));
}
