/**
 * What the palette hands to the canvas: by drag and drop (in the DataTransfer) or by keyboard.
 */
import type { DesignerNode } from '../lib/draft-graph';
import { freeSpot } from '../lib/free-spot';
import { useCatalogStore } from './catalog-store';
import { createCommentNode, createComponentNode, createDataNode } from './nodes';
import { useDesignerStore } from './store';

export type PaletteItem =
  { kind: 'component'; ref: string } | { kind: 'data'; ref: string } | { kind: 'comment' };

export const PALETTE_MIME = 'application/x-studio-palette-item';

const GRID = 16;
/** A new node's size before it is measured. */
const NEW_NODE_SIZE = { width: 232, height: 110 };

export function writePaletteItem(transfer: DataTransfer, item: PaletteItem): void {
  transfer.setData(PALETTE_MIME, JSON.stringify(item));
  transfer.setData('text/plain', item.kind === 'comment' ? 'note' : item.ref);
  transfer.effectAllowed = 'copy';
}

export function hasPaletteItem(transfer: DataTransfer): boolean {
  return Array.from(transfer.types).includes(PALETTE_MIME);
}

export function readPaletteItem(transfer: DataTransfer): PaletteItem | null {
  const raw = transfer.getData(PALETTE_MIME);
  if (!raw) return null;
  try {
    const item = JSON.parse(raw) as PaletteItem;
    if (item.kind === 'comment') return item;
    if ((item.kind === 'component' || item.kind === 'data') && typeof item.ref === 'string') {
      return item;
    }
  } catch {
    // Not ours: ignore the drop.
  }
  return null;
}

/**
 * Adds the item's node with its top-left corner near `point` (flow coordinates, snapped to the
 * grid; moved down past any node it would cover), selects it, and returns it; null when the
 * catalogue does not know the item.
 */
export function placePaletteItem(
  item: PaletteItem,
  point: { x: number; y: number },
): DesignerNode | null {
  const catalog = useCatalogStore.getState();
  const store = useDesignerStore.getState();
  const taken = new Set(store.nodes.map((n) => n.id));
  const wanted = {
    x: Math.round((point.x - 110) / GRID) * GRID,
    y: Math.round((point.y - 24) / GRID) * GRID,
  };
  const boxes = store.nodes.map((n) => ({
    ...n.position,
    width: n.measured?.width ?? NEW_NODE_SIZE.width,
    height: n.measured?.height ?? NEW_NODE_SIZE.height,
  }));
  const position = freeSpot(wanted, NEW_NODE_SIZE, boxes, GRID);
  let node: DesignerNode | null = null;
  if (item.kind === 'component') {
    const definition = catalog.components[item.ref];
    if (definition) node = createComponentNode(definition, position, taken);
  } else if (item.kind === 'data') {
    const asset = catalog.dataAssets[item.ref];
    if (asset) node = createDataNode(asset, position, taken);
  } else {
    node = createCommentNode(position, taken);
  }
  if (node) store.addNode(node);
  return node;
}
