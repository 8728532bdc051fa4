/**
 * Where a new node goes so that it covers no node already on the canvas: the wanted spot when it
 * is free, else the nearest free spot below it (then beside it), in grid steps. Pure.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Room kept between the new node and its neighbours. */
const GAP = 16;
/** How far the search goes before it gives up and takes the wanted spot. */
const MAX_TRIES = 60;

function overlaps(a: Rect, b: Rect): boolean {
  return (
    a.x < b.x + b.width + GAP &&
    b.x < a.x + a.width + GAP &&
    a.y < b.y + b.height + GAP &&
    b.y < a.y + a.height + GAP
  );
}

/**
 * The top-left of a `size` box at `wanted`, or moved down (then right) past the boxes of `taken`
 * it would cover, by multiples of `grid`.
 */
export function freeSpot(
  wanted: { x: number; y: number },
  size: { width: number; height: number },
  taken: readonly Rect[],
  grid = 16,
): { x: number; y: number } {
  const up = (n: number) => Math.ceil(n / grid) * grid;
  const step = Math.max(grid, up(size.height / 2));
  const across = up(size.width + GAP);
  for (let column = 0; column < 4; column += 1) {
    for (let row = 0; row < MAX_TRIES / 4; row += 1) {
      const at = {
        x: wanted.x + column * across,
        y: wanted.y + row * step,
      };
      const box = { ...at, ...size };
      if (!taken.some((other) => overlaps(box, other))) return at;
    }
  }
  return wanted;
}
