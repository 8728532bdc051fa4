import { describe, expect, it } from 'vitest';
import { copySelection, duplicate } from './clipboard';

const nodes = [
  { id: 'a', position: { x: 0, y: 0 }, data: { v: 1 } },
  { id: 'b', position: { x: 100, y: 0 }, data: { v: 2 } },
  { id: 'c', position: { x: 200, y: 0 }, data: { v: 3 } },
];
const edges = [
  { id: 'a.o->b.i', source: 'a', sourceHandle: 'o', target: 'b', targetHandle: 'i' },
  { id: 'b.o->c.i', source: 'b', sourceHandle: 'o', target: 'c', targetHandle: 'i' },
];

describe('copySelection', () => {
  it('keeps the chosen nodes and only the edges between them', () => {
    const copied = copySelection(nodes, edges, new Set(['a', 'b']));
    expect(copied.nodes.map((n) => n.id)).toEqual(['a', 'b']);
    expect(copied.edges.map((e) => e.id)).toEqual(['a.o->b.i']);
  });
});

describe('duplicate', () => {
  it('gives new ids, offsets positions, selects the copies and rewires internal edges', () => {
    const copied = copySelection(nodes, edges, new Set(['a', 'b']));
    const pasted = duplicate(copied, new Set(['a', 'b', 'c']), { x: 40, y: 40 });
    expect(pasted.nodes.map((n) => n.id)).toEqual(['a_2', 'b_2']);
    expect(pasted.nodes[0]).toMatchObject({ position: { x: 40, y: 40 }, selected: true });
    expect(pasted.nodes[0]!.data).toEqual({ v: 1 });
    expect(pasted.edges).toEqual([
      {
        id: 'a_2.o->b_2.i',
        source: 'a_2',
        sourceHandle: 'o',
        target: 'b_2',
        targetHandle: 'i',
        selected: false,
      },
    ]);
  });

  it('numbers copies of copies from the base name', () => {
    const copied = copySelection(nodes, edges, new Set(['a']));
    const first = duplicate(copied, new Set(['a', 'a_2']), { x: 0, y: 0 });
    expect(first.nodes[0]!.id).toBe('a_3');
  });
});
