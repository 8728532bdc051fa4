import { describe, expect, it } from 'vitest';
import { wireOverview, wireOverviewImage, type MeasuredNode } from './wire-overview';

const nodes: Record<string, MeasuredNode> = {
  a: {
    x: 100,
    y: 50,
    source: [
      { id: 'first', position: 'right', x: 228, y: 40, width: 8, height: 8 },
      { id: 'second', position: 'right', x: 228, y: 60, width: 8, height: 8 },
    ],
    target: [],
  },
  b: {
    x: 400,
    y: 0,
    source: [],
    target: [{ id: 'dataset', position: 'left', x: -4, y: 30, width: 8, height: 8 }],
  },
};

describe('wireOverview', () => {
  it('draws each wire as one straight segment between the middles of its handles', () => {
    const overview = wireOverview(
      [
        { source: 'a', sourceHandle: 'second', target: 'b', targetHandle: 'dataset' },
        {
          source: 'a',
          sourceHandle: 'first',
          target: 'b',
          targetHandle: 'dataset',
          selected: true,
        },
      ],
      (id) => nodes[id],
    );

    expect(overview.wires).toBe('M336 114L396 34M336 94L396 34');
    expect(overview.selected).toBe('M336 94L396 34');
    expect(overview.bounds).toEqual({ x: 336, y: 34, width: 60, height: 80 });
  });

  it('makes an SVG image of the wires covering their bounds', () => {
    const image = wireOverviewImage({
      wires: 'M0 0L10 20',
      selected: '',
      bounds: { x: 0, y: 0, width: 10, height: 20 },
    })!;

    expect([image.x, image.y, image.width, image.height]).toEqual([-4, -4, 18, 28]);
    const svg = decodeURIComponent(image.src.replace('data:image/svg+xml,', ''));
    expect(svg).toContain('viewBox="-4 -4 18 28"');
    expect(svg).toContain('<path d="M0 0L10 20"');
    expect(svg.match(/<path/g)).toHaveLength(1);
  });

  it('leaves out a wire whose node or handle is not measured', () => {
    const overview = wireOverview(
      [
        { source: 'a', sourceHandle: 'first', target: 'missing', targetHandle: 'dataset' },
        { source: 'b', sourceHandle: 'out', target: 'a', targetHandle: 'in' },
      ],
      (id) => nodes[id],
    );

    expect(overview).toEqual({ wires: '', selected: '', bounds: null });
    expect(wireOverviewImage(overview)).toBeNull();
  });
});
