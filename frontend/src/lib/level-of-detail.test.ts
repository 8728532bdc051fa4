import { describe, expect, it } from 'vitest';
import { FRAME_MS, MAX_CHUNK, MIN_CHUNK, nextChunkSize, restoreOrder } from './level-of-detail';

describe('restoreOrder', () => {
  it('puts what is nearest the middle of the view first', () => {
    const items = [
      { id: 'far', x: 1000, y: 0 },
      { id: 'middle', x: 101, y: 99 },
      { id: 'near', x: 160, y: 100 },
      { id: 'left', x: -200, y: 100 },
    ];
    expect(restoreOrder(items, { x: 100, y: 100 })).toEqual(['middle', 'near', 'left', 'far']);
  });

  it('orders ties by id, and leaves its input alone', () => {
    const items = [
      { id: 'b', x: 10, y: 0 },
      { id: 'a', x: -10, y: 0 },
      { id: 'c', x: 0, y: 10 },
    ];
    expect(restoreOrder(items, { x: 0, y: 0 })).toEqual(['a', 'b', 'c']);
    expect(items.map((item) => item.id)).toEqual(['b', 'a', 'c']);
    expect(restoreOrder([], { x: 0, y: 0 })).toEqual([]);
  });
});

describe('nextChunkSize', () => {
  it('halves after a frame longer than three and a half, down to the minimum', () => {
    expect(nextChunkSize(16, 4 * FRAME_MS)).toBe(8);
    expect(nextChunkSize(MIN_CHUNK + 1, 200)).toBe(MIN_CHUNK);
  });

  it('grows after a frame of at most three, up to the maximum', () => {
    expect(nextChunkSize(16, FRAME_MS)).toBe(24);
    expect(nextChunkSize(16, 3 * FRAME_MS)).toBe(24);
    expect(nextChunkSize(MAX_CHUNK, FRAME_MS)).toBe(MAX_CHUNK);
  });
});
