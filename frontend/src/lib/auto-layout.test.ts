import { describe, expect, it } from 'vitest';
import { layoutTopToBottom } from './auto-layout';
import { READABLE_ZOOM, readableViewport } from './readable-viewport';

const box = (id: string, width = 232, height = 110) => ({ id, width, height });

/** The iris pipeline of the designer's end-to-end test. */
const IRIS_NODES = [
  'iris',
  'import_csv',
  'split_data',
  'train_model',
  'score_model',
  'evaluate_model',
];
const IRIS_EDGES = [
  { source: 'iris', target: 'import_csv' },
  { source: 'import_csv', target: 'split_data' },
  { source: 'split_data', target: 'train_model' },
  { source: 'train_model', target: 'score_model' },
  { source: 'split_data', target: 'score_model' },
  { source: 'score_model', target: 'evaluate_model' },
];

describe('layoutTopToBottom', () => {
  it('places each node below the nodes that feed it', () => {
    const nodes = [box('score'), box('train'), box('split'), box('import')];
    const edges = [
      { source: 'import', target: 'split' },
      { source: 'split', target: 'train' },
      { source: 'split', target: 'score' },
      { source: 'train', target: 'score' },
    ];
    const p = layoutTopToBottom(nodes, edges);
    for (const { source, target } of edges) {
      expect(p[target]!.y).toBeGreaterThanOrEqual(p[source]!.y + 110);
    }
  });

  it('puts the nodes of one layer side by side without overlapping', () => {
    const nodes = [box('src'), box('a', 232, 120), box('b', 232, 120)];
    const edges = [
      { source: 'src', target: 'a' },
      { source: 'src', target: 'b' },
    ];
    const p = layoutTopToBottom(nodes, edges);
    expect(p.a!.y).toBe(p.b!.y);
    expect(Math.abs(p.a!.x - p.b!.x)).toBeGreaterThanOrEqual(232);
  });

  it('lays the iris pipeline out in one column of layers, never one row', () => {
    const p = layoutTopToBottom(
      IRIS_NODES.map((id) => box(id)),
      IRIS_EDGES,
    );
    const rows = new Set(Object.values(p).map((at) => at.y));
    expect(rows.size).toBe(6); // score_model waits for train_model: six layers
    const xs = Object.values(p).map((at) => at.x);
    expect(Math.max(...xs) - Math.min(...xs)).toBeLessThan(2 * 232 + 40);
  });

  it('is fitted at a readable zoom in a 1280x720 window, scrolling rather than shrinking', () => {
    const p = layoutTopToBottom(
      IRIS_NODES.map((id) => box(id)),
      IRIS_EDGES,
    );
    const right = Math.max(...Object.values(p).map((at) => at.x + 232));
    const bottom = Math.max(...Object.values(p).map((at) => at.y + 110));
    const left = Math.min(...Object.values(p).map((at) => at.x));
    const top = Math.min(...Object.values(p).map((at) => at.y));
    // The canvas between the library and the properties panel at 1280x720.
    const view = readableViewport(
      { x: left, y: top, width: right - left, height: bottom - top },
      660,
      560,
    );
    expect(view.zoom).toBeGreaterThanOrEqual(READABLE_ZOOM);
    expect(13 * view.zoom).toBeGreaterThanOrEqual(10); // a node's title, in screen pixels
    expect(view.y + top * view.zoom).toBe(24); // its first layer shows, the rest a scroll away
  });

  it('puts nodes without wires in a grid below the wired ones, not in one long row', () => {
    const loose = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => box(id));
    const p = layoutTopToBottom(
      [box('src'), box('dst'), ...loose],
      [{ source: 'src', target: 'dst' }],
    );
    const xs = new Set(loose.map((n) => p[n.id]!.x));
    expect(xs.size).toBe(2); // six loose nodes: two columns of three
    for (const node of loose) expect(p[node.id]!.y).toBeGreaterThan(p.dst!.y + 110);
  });

  it('positions unconnected nodes and ignores edges to unknown nodes', () => {
    const p = layoutTopToBottom([box('x'), box('y')], [{ source: 'x', target: 'ghost' }]);
    expect(Object.keys(p).sort()).toEqual(['x', 'y']);
    expect(Number.isFinite(p.x!.x) && Number.isFinite(p.y!.y)).toBe(true);
  });

  it('lays out an empty graph', () => {
    expect(layoutTopToBottom([], [])).toEqual({});
  });
});
