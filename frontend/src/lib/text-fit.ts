/**
 * Which texts of a node card may be too long for it. Only those are clipped with an ellipsis:
 * a clipped box costs the browser work on every frame of a pan or zoom, and hundreds of nodes
 * with three or four clipped boxes each are what made big canvases stutter. Counts are in
 * characters, with room to spare for wide letters.
 */

/** Characters of a node's title (13px, bold) that always fit beside its icon. */
export const TITLE_CHARS = 17;
/** Characters of `name@version` (monospace) that always fit beside the icon. */
export const REFERENCE_CHARS = 26;
/** Characters of port names (with 2 between names) that fit on one row of a card's edge. */
export const PORT_ROW_CHARS = 30;

/** Whether a title or `name@version` line may need clipping. */
export function mayOverflow(text: string, limit: number): boolean {
  return text.length > limit;
}

/** `className`, plus `is-clipped` (overflow hidden, with an ellipsis) when `clip`. */
export function clipped(className: string, clip: boolean): string {
  return clip ? `${className} is-clipped` : className;
}

/**
 * Whether the port names of a card may need clipping: its inputs (a required one with its `*`)
 * share one row along the card's top edge, its outputs one along the bottom.
 */
export function portNamesMayOverflow(
  inputs: readonly { name: string; required?: boolean }[],
  outputs: readonly string[],
): boolean {
  const row = (lengths: number[]) =>
    lengths.reduce((sum, n) => sum + n, 0) + 2 * Math.max(0, lengths.length - 1);
  const top = row(inputs.map((p) => p.name.length + (p.required ? 1 : 0)));
  const bottom = row(outputs.map((name) => name.length));
  return Math.max(top, bottom) > PORT_ROW_CHARS;
}
