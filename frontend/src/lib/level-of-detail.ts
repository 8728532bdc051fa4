/**
 * Bringing a big draft's canvas back to full detail a few cards and wires at a time
 * (designer/use-level-of-detail.ts): drawing all 500 cards and 600 edges of a draft in full at
 * once was one 200-233 ms frame (bench/designer_scale.py).
 */

/** Something to restore, by the centre of where it is drawn (flow coordinates). */
export interface Placed {
  id: string;
  x: number;
  y: number;
}

/** The ids, nearest to `centre` (the middle of the view) first: what is in view comes back first. */
export function restoreOrder(items: readonly Placed[], centre: { x: number; y: number }): string[] {
  const distance = (item: Placed) => (item.x - centre.x) ** 2 + (item.y - centre.y) ** 2;
  return items
    .map((item) => ({ id: item.id, d: distance(item) }))
    .sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((item) => item.id);
}

export const FRAME_MS = 1000 / 60;
export const MIN_CHUNK = 4;
export const MAX_CHUNK = 200;

/**
 * How many to restore in the next frame, from how many the last frame restored and how long it
 * took (the gap between two animation frames, which holds the style, paint and commit of what
 * was restored): half as many after a frame longer than three and a half frames (58 ms), half as
 * many again after a shorter one. Any change to a canvas of hundreds of cards costs the browser
 * two frames or more however little changed (bench/designer_scale.py: restoring 4 cards a frame
 * took 33 ms frames, and would have taken seconds in all), so the chunks grow while a frame stays
 * within about three and shrink when they make it longer, following what the machine can draw.
 */
export function nextChunkSize(current: number, frameMs: number): number {
  if (frameMs > 3.5 * FRAME_MS) return Math.max(MIN_CHUNK, Math.floor(current / 2));
  return Math.min(MAX_CHUNK, Math.ceil(current * 1.5));
}
