import { describe, expect, it } from 'vitest';
import { freeSpot } from './free-spot';

const SIZE = { width: 232, height: 110 };

describe('freeSpot', () => {
  it('keeps the wanted spot when nothing is there', () => {
    expect(freeSpot({ x: 32, y: 48 }, SIZE, [{ x: 600, y: 600, ...SIZE }])).toEqual({
      x: 32,
      y: 48,
    });
  });

  it('moves a node off one it would cover, onto the grid and clear of it', () => {
    const existing = { x: 0, y: 0, ...SIZE };
    const at = freeSpot({ x: 0, y: 0 }, SIZE, [existing]);
    expect(at.x % 16).toBe(0);
    expect(at.y % 16).toBe(0);
    const clear = at.y >= existing.y + existing.height || at.x >= existing.x + existing.width;
    expect(clear).toBe(true);
  });

  it('finds room past a column of nodes', () => {
    const column = [0, 128, 256, 384].map((y) => ({ x: 0, y, ...SIZE }));
    const at = freeSpot({ x: 0, y: 0 }, SIZE, column);
    for (const other of column) {
      const apart =
        at.y >= other.y + other.height ||
        at.y + SIZE.height <= other.y ||
        at.x >= other.x + other.width;
      expect(apart).toBe(true);
    }
  });
});
