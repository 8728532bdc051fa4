import { describe, expect, it } from 'vitest';
import {
  danglingEdges,
  findCycle,
  GraphCycleError,
  topologicalOrder,
  type GraphEdge,
} from './graph';

const e = (source: string, target: string): GraphEdge => ({ source, target });

/** A cycle is valid if consecutive ids (wrapping around) are joined by edges. */
function expectValidCycle(cycle: string[] | null, edges: GraphEdge[]) {
  expect(cycle).not.toBeNull();
  const c = cycle!;
  expect(c.length).toBeGreaterThan(0);
  expect(new Set(c).size).toBe(c.length);
  c.forEach((from, i) => {
    const to = c[(i + 1) % c.length];
    expect(edges.some((x) => x.source === from && x.target === to)).toBe(true);
  });
}

function expectTopological(order: string[], nodeIds: string[], edges: GraphEdge[]) {
  expect([...order].sort()).toEqual([...nodeIds].sort());
  for (const { source, target } of edges) {
    expect(order.indexOf(source)).toBeLessThan(order.indexOf(target));
  }
}

describe('findCycle', () => {
  it('returns null for an empty graph', () => {
    expect(findCycle([], [])).toBeNull();
  });

  it('returns null for an acyclic diamond', () => {
    const edges = [e('a', 'b'), e('a', 'c'), e('b', 'd'), e('c', 'd')];
    expect(findCycle(['a', 'b', 'c', 'd'], edges)).toBeNull();
  });

  it('detects a self-loop', () => {
    expect(findCycle(['a', 'b'], [e('a', 'b'), e('b', 'b')])).toEqual(['b']);
  });

  it('returns a multi-node cycle in edge order', () => {
    const edges = [e('in', 'a'), e('a', 'b'), e('b', 'c'), e('c', 'a'), e('c', 'out')];
    const cycle = findCycle(['in', 'a', 'b', 'c', 'out'], edges);
    expect(cycle).toEqual(['a', 'b', 'c']);
    expectValidCycle(cycle, edges);
  });

  it('does not report a cycle for two paths converging (cross edge)', () => {
    // b is reached twice, but never via a back edge.
    const edges = [e('a', 'b'), e('c', 'b'), e('a', 'c')];
    expect(findCycle(['a', 'b', 'c'], edges)).toBeNull();
  });

  it('finds a cycle in a later disconnected component', () => {
    const edges = [e('a', 'b'), e('x', 'y'), e('y', 'z'), e('z', 'x')];
    const cycle = findCycle(['a', 'b', 'x', 'y', 'z'], edges);
    expectValidCycle(cycle, edges);
    expect([...cycle!].sort()).toEqual(['x', 'y', 'z']);
  });

  it('ignores dangling edges', () => {
    expect(findCycle(['a'], [e('a', 'ghost'), e('ghost', 'a')])).toBeNull();
  });

  it('handles long chains without recursion limits', () => {
    const ids = Array.from({ length: 20000 }, (_, i) => `n${i}`);
    const edges = ids.slice(1).map((id, i) => e(ids[i]!, id));
    expect(findCycle(ids, edges)).toBeNull();
    edges.push(e(ids[ids.length - 1]!, ids[0]!));
    expect(findCycle(ids, edges)).toHaveLength(20000);
  });
});

describe('topologicalOrder', () => {
  it('orders an acyclic graph so every edge points forward', () => {
    const ids = ['d', 'c', 'b', 'a'];
    const edges = [e('a', 'b'), e('a', 'c'), e('b', 'd'), e('c', 'd')];
    const order = topologicalOrder(ids, edges);
    expectTopological(order, ids, edges);
    expect(order).toEqual(['a', 'c', 'b', 'd']);
  });

  it('includes disconnected nodes, keeping input order for ties', () => {
    const ids = ['solo', 'x', 'y', 'other'];
    const edges = [e('y', 'x')];
    const order = topologicalOrder(ids, edges);
    expectTopological(order, ids, edges);
    expect(order).toEqual(['solo', 'y', 'x', 'other']);
  });

  it('ignores dangling edges', () => {
    expect(topologicalOrder(['b', 'a'], [e('ghost', 'a'), e('b', 'a'), e('a', 'nowhere')])).toEqual(
      ['b', 'a'],
    );
  });

  it('throws GraphCycleError listing a self-loop', () => {
    expect(() => topologicalOrder(['a'], [e('a', 'a')])).toThrow(GraphCycleError);
    try {
      topologicalOrder(['a'], [e('a', 'a')]);
    } catch (err) {
      expect((err as GraphCycleError).cycle).toEqual(['a']);
    }
  });

  it('throws GraphCycleError listing a multi-node cycle', () => {
    const edges = [e('src', 'a'), e('a', 'b'), e('b', 'a')];
    let caught: unknown;
    try {
      topologicalOrder(['src', 'a', 'b', 'solo'], edges);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GraphCycleError);
    expect(caught).toBeInstanceOf(Error);
    const cycleError = caught as GraphCycleError;
    expect(cycleError.name).toBe('GraphCycleError');
    expectValidCycle(cycleError.cycle, edges);
    expect([...cycleError.cycle].sort()).toEqual(['a', 'b']);
    expect(cycleError.message).toContain('a -> b -> a');
  });
});

describe('danglingEdges', () => {
  it('returns nothing when all endpoints exist', () => {
    expect(danglingEdges(['a', 'b'], [e('a', 'b')])).toEqual([]);
  });

  it('returns edges with a missing source or target, preserving extra fields', () => {
    const edges = [
      { id: 'ok', source: 'a', target: 'b' },
      { id: 'no-source', source: 'ghost', target: 'b' },
      { id: 'no-target', source: 'a', target: 'ghost' },
      { id: 'neither', source: 'x', target: 'y' },
    ];
    expect(danglingEdges(['a', 'b'], edges).map((x) => x.id)).toEqual([
      'no-source',
      'no-target',
      'neither',
    ]);
  });

  it('treats every edge as dangling in an empty graph', () => {
    expect(danglingEdges([], [e('a', 'b')])).toHaveLength(1);
  });
});
