/**
 * The wires of a zoomed-out canvas as one SVG image: a straight line from each output handle to
 * its input handle. One image instead of 600 `<svg>` elements spares the browser most of its
 * per-frame work while zooming far out (bench/designer_scale.py).
 */

/** Where a handle sits on its node, as React Flow measured it (relative to the node). */
export interface MeasuredHandle {
  id?: string | null;
  position: 'left' | 'right' | 'top' | 'bottom';
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What a wire's end needs of its node: where it is, and its measured handles. */
export interface MeasuredNode {
  x: number;
  y: number;
  source: MeasuredHandle[];
  target: MeasuredHandle[];
}

export interface OverviewWire {
  source: string;
  sourceHandle?: string | null;
  target: string;
  targetHandle?: string | null;
  selected?: boolean;
}

/** The path data of every wire, of the selected ones (drawn over them), and their bounds. */
export interface WireOverview {
  wires: string;
  selected: string;
  bounds: { x: number; y: number; width: number; height: number } | null;
}

const round = (value: number) => Math.round(value * 10) / 10;

function handlePoint(node: MeasuredNode, handles: MeasuredHandle[], id?: string | null) {
  const handle = handles.find((h) => (h.id ?? null) === (id ?? null)) ?? handles[0];
  if (!handle) return null;
  let { x, y } = handle;
  if (handle.position === 'left' || handle.position === 'right') {
    y += handle.height / 2;
    if (handle.position === 'right') x += handle.width;
  } else {
    x += handle.width / 2;
    if (handle.position === 'bottom') y += handle.height;
  }
  return [round(node.x + x), round(node.y + y)] as const;
}

/**
 * One straight segment per wire whose two ends are measured; a wire whose node or handle is not
 * (yet) measured is left out.
 */
export function wireOverview(
  wires: readonly OverviewWire[],
  nodeAt: (id: string) => MeasuredNode | undefined,
): WireOverview {
  const all: string[] = [];
  const selected: string[] = [];
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const wire of wires) {
    const source = nodeAt(wire.source);
    const target = nodeAt(wire.target);
    if (!source || !target) continue;
    const from = handlePoint(source, source.source, wire.sourceHandle);
    const to = handlePoint(target, target.target, wire.targetHandle);
    if (!from || !to) continue;
    const segment = `M${from[0]} ${from[1]}L${to[0]} ${to[1]}`;
    minX = Math.min(minX, from[0], to[0]);
    minY = Math.min(minY, from[1], to[1]);
    maxX = Math.max(maxX, from[0], to[0]);
    maxY = Math.max(maxY, from[1], to[1]);
    all.push(segment);
    if (wire.selected) selected.push(segment);
  }
  const bounds =
    all.length > 0 ? { x: minX, y: minY, width: maxX - minX, height: maxY - minY } : null;
  return { wires: all.join(''), selected: selected.join(''), bounds };
}

/** Where the image of the wires goes on the canvas (flow coordinates), and its data URL. */
export interface WireOverviewImage {
  x: number;
  y: number;
  width: number;
  height: number;
  src: string;
}

const WIRE_COLOR = '#b1b1b7'; // React Flow's edge colours
const SELECTED_WIRE_COLOR = '#555';
const PAD = 4;

/** The wires as an SVG image covering their bounds, or null when there is no wire to draw. */
export function wireOverviewImage(overview: WireOverview): WireOverviewImage | null {
  const { bounds } = overview;
  if (!bounds) return null;
  const [x, y] = [bounds.x - PAD, bounds.y - PAD];
  const [width, height] = [bounds.width + 2 * PAD, bounds.height + 2 * PAD];
  const path = (d: string, color: string) =>
    `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${x} ${y} ${width} ${height}" ` +
    `width="${width}" height="${height}">` +
    path(overview.wires, WIRE_COLOR) +
    (overview.selected ? path(overview.selected, SELECTED_WIRE_COLOR) : '') +
    '</svg>';
  return { x, y, width, height, src: `data:image/svg+xml,${encodeURIComponent(svg)}` };
}
