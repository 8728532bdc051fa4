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
/** Characters of the longest input plus the longest output name that fit on one row. */
export const PORT_ROW_CHARS = 26;

/** Whether a title or `name@version` line may need clipping. */
export function mayOverflow(text: string, limit: number): boolean {
  return text.length > limit;
}

/** `className`, plus `is-clipped` (overflow hidden, with an ellipsis) when `clip`. */
export function clipped(className: string, clip: boolean): string {
  return clip ? `${className} is-clipped` : className;
}

/**
 * Whether the port names of a card may need clipping: inputs (a required one with its `*`)
 * sit on the left of the same rows as outputs on the right.
 */
export function portNamesMayOverflow(
  inputs: readonly { name: string; required?: boolean }[],
  outputs: readonly string[],
): boolean {
  const longestInput = Math.max(0, ...inputs.map((p) => p.name.length + (p.required ? 1 : 0)));
  const longestOutput = Math.max(0, ...outputs.map((name) => name.length));
  return longestInput + longestOutput > PORT_ROW_CHARS;
}
