/**
 * Fitting a graph in view without making it unreadable: the designer and the job page both fit
 * no smaller than READABLE_ZOOM and let the rest be a scroll (pan) away. Pure.
 */

export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Below this zoom a node's title (13px) is drawn under 10.4 screen pixels and is hard to read: the
 * graph is fitted no smaller, and pans.
 */
export const READABLE_ZOOM = 0.8;
/** The fitted graph is never drawn larger than its own size. */
export const MAX_FIT_ZOOM = 1;
/** Room kept between the graph and the edges of its box, in screen pixels. */
export const FIT_PADDING = 24;

/**
 * The viewport that fits `bounds` (the graph's, in graph units) in a `width` x `height` box,
 * centred, at a zoom between READABLE_ZOOM and MAX_FIT_ZOOM. When even READABLE_ZOOM is too large
 * for the box, the graph's start shows (its top, and its left edge when it is too wide) and the
 * rest is a pan away.
 */
export function readableViewport(
  bounds: Bounds,
  width: number,
  height: number,
): { x: number; y: number; zoom: number } {
  const room = (size: number) => Math.max(size - 2 * FIT_PADDING, 1);
  const fit = Math.min(
    room(width) / Math.max(bounds.width, 1),
    room(height) / Math.max(bounds.height, 1),
  );
  const zoom = Math.min(Math.max(fit, READABLE_ZOOM), MAX_FIT_ZOOM);
  const place = (start: number, size: number, box: number) =>
    size * zoom <= room(box) ? (box - size * zoom) / 2 - start * zoom : FIT_PADDING - start * zoom;
  return {
    x: place(bounds.x, bounds.width, width),
    y: place(bounds.y, bounds.height, height),
    zoom,
  };
}
