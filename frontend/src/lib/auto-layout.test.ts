import { describe, expect, it } from 'vitest';
import { layoutLeftToRight } from './auto-layout';

const box = (id: string, width = 200, height = 100) => ({ id, width, height });

describe('layoutLeftToRight', () => {
  it('places each node right of the nodes that feed it', () => {
    const nodes = [box('score'), box('train'), box('split'), box('import')];
    const edges = [
      { source: 'import', target: 'split' },
      { source: 'split', target: 'train' },
      { source: 'split', target: 'score' },
      { source: 'train', target: 'score' },
    ];
    const p = layoutLeftToRight(nodes, edges);
    for (const { source, target } of edges) {
      expect(p[target]!.x).toBeGreaterThanOrEqual(p[source]!.x + 200);
    }
  });

  it('keeps nodes of one layer from overlapping', () => {
    const nodes = [box('src'), box('a', 200, 120), box('b', 200, 120)];
    const edges = [
      { source: 'src', target: 'a' },
      { source: 'src', target: 'b' },
    ];
    const p = layoutLeftToRight(nodes, edges);
    expect(p.a!.x).toBe(p.b!.x);
    expect(Math.abs(p.a!.y - p.b!.y)).toBeGreaterThanOrEqual(120);
  });

  it('positions unconnected nodes and ignores edges to unknown nodes', () => {
    const p = layoutLeftToRight([box('x'), box('y')], [{ source: 'x', target: 'ghost' }]);
    expect(Object.keys(p).sort()).toEqual(['x', 'y']);
    expect(Number.isFinite(p.x!.x) && Number.isFinite(p.y!.y)).toBe(true);
  });

  it('lays out an empty graph', () => {
    expect(layoutLeftToRight([], [])).toEqual({});
  });
});
