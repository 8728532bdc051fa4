import { useStoreApi, type ReactFlowState } from '@xyflow/react';
import { useEffect, useState } from 'react';
import { nextChunkSize, restoreOrder, type Placed } from '../lib/level-of-detail';

/**
 * Below this zoom a big draft's canvas is drawn in less detail: blank cards, and the wires as one
 * image (`WireOverview`) instead of one React Flow edge `<svg>` each, which made every zoom frame
 * of a 500-node draft several times too slow (bench/designer_scale.py). Cards are hard to read
 * there anyway. A fitted 500-node draft is well below it.
 */
export const OVERVIEW_ZOOM = 0.45;
/**
 * Full detail comes back at this zoom or above, a little over `OVERVIEW_ZOOM` so that a zoom that
 * wavers around the threshold does not switch back and forth, and only once the view has stood
 * still for `SETTLE_MS`: a wheel gesture that zooms in and on (or back out) stays in the cheap
 * mode throughout.
 */
export const DETAIL_ZOOM = 0.5;
export const SETTLE_MS = 200;
/** Smaller drafts are cheap to draw in full at any zoom, and keep every detail. */
export const OVERVIEW_MIN_NODES = 100;
/** Cards and wires restored in the first frame; later frames follow `nextChunkSize`. */
const FIRST_CHUNK = 16;

/**
 * - `detail`: everything drawn in full.
 * - `overview`: blank cards, the wires as one image (designer.css, `designer-canvas--zoomed-out`).
 * - `restoring`: on the way back to `detail`, a chunk of cards, then of edges, each animation
 *   frame, nearest the middle of the view first; a restored card or edge is marked `data-lod`
 *   (a DOM attribute, so that nothing is rendered again by React), and the wire image stays
 *   until the last edge is back.
 */
export type DetailMode = 'detail' | 'overview' | 'restoring';

const MARK = 'data-lod';

function initialMode(s: ReactFlowState): DetailMode {
  return s.transform[2] < OVERVIEW_ZOOM && s.nodes.length >= OVERVIEW_MIN_NODES
    ? 'overview'
    : 'detail';
}

/** Where each node's and each edge's middle is, and the middle of the view (flow coordinates). */
function layout(s: ReactFlowState) {
  const [tx, ty, zoom] = s.transform;
  const centre = { x: (s.width / 2 - tx) / zoom, y: (s.height / 2 - ty) / zoom };
  const middles = new Map<string, Placed>();
  for (const [id, node] of s.nodeLookup) {
    const { x, y } = node.internals.positionAbsolute;
    const width = node.measured.width ?? 0;
    const height = node.measured.height ?? 0;
    middles.set(id, { id, x: x + width / 2, y: y + height / 2 });
  }
  const edges: Placed[] = [];
  for (const edge of s.edges) {
    const from = middles.get(edge.source);
    const to = middles.get(edge.target);
    if (from && to) edges.push({ id: edge.id, x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 });
  }
  return { centre, nodes: [...middles.values()], edges };
}

function byId(root: Element, selector: string): Map<string, Element> {
  const found = new Map<string, Element>();
  for (const element of root.querySelectorAll(selector)) {
    const id = element.getAttribute('data-id');
    if (id !== null) found.set(id, element);
  }
  return found;
}

/**
 * Which level of detail the canvas is drawn in. Zooming out below `OVERVIEW_ZOOM` switches to the
 * overview at once (every frame after it is cheaper); coming back is put off until the view
 * settles at `DETAIL_ZOOM` or above, then spread over as many frames as it takes, so that no
 * frame draws every card and edge in full.
 */
export function useLevelOfDetail(): DetailMode {
  const store = useStoreApi();
  const [mode, setMode] = useState<DetailMode>(() => initialMode(store.getState()));

  useEffect(() => {
    let current = initialMode(store.getState());
    let transform = store.getState().transform;
    let settle: ReturnType<typeof setTimeout> | undefined;
    let frame: number | undefined;

    const go = (next: DetailMode) => {
      if (next === current) return;
      current = next;
      setMode(next);
    };
    const stopRestoring = () => {
      if (settle !== undefined) clearTimeout(settle);
      if (frame !== undefined) cancelAnimationFrame(frame);
      settle = frame = undefined;
    };
    const toOverview = () => {
      stopRestoring();
      if (current === 'overview') return;
      // What an earlier restore brought back is blank again, in the same frame as the switch.
      const root = store.getState().domNode;
      root?.querySelectorAll(`[${MARK}]`).forEach((element) => element.removeAttribute(MARK));
      go('overview');
    };

    const restore = () => {
      settle = undefined;
      const s = store.getState();
      const root = s.domNode;
      if (!root) return go('detail');
      const { centre, nodes, edges } = layout(s);
      const nodeElements = byId(root, '.react-flow__node');
      const edgeElements = byId(root, '.react-flow__edge');
      const queue = [
        ...restoreOrder(nodes, centre).map((id) => nodeElements.get(id)),
        ...restoreOrder(edges, centre).map((id) => edgeElements.get(id)),
      ].filter((element): element is Element => element !== undefined);
      let next = 0;
      let size = FIRST_CHUNK;
      let last: number | undefined;
      const step = (now: number) => {
        frame = undefined;
        if (last !== undefined) size = nextChunkSize(size, now - last);
        last = now;
        const end = Math.min(queue.length, next + size);
        for (; next < end; next++) queue[next]?.setAttribute(MARK, '');
        if (next < queue.length) frame = requestAnimationFrame(step);
        // One frame more, for the last chunk to be drawn, before the wire image goes.
        else
          frame = requestAnimationFrame(() => {
            frame = undefined;
            go('detail');
          });
      };
      go('restoring');
      frame = requestAnimationFrame(step);
    };

    const check = (s: ReactFlowState) => {
      const moved = s.transform !== transform;
      transform = s.transform;
      const zoom = s.transform[2];
      if (s.nodes.length < OVERVIEW_MIN_NODES) {
        stopRestoring();
        return go('detail');
      }
      if (zoom < OVERVIEW_ZOOM) return toOverview();
      if (current !== 'overview') return;
      if (zoom < DETAIL_ZOOM) {
        if (settle !== undefined) clearTimeout(settle);
        settle = undefined;
        return;
      }
      if (moved || settle === undefined) {
        if (settle !== undefined) clearTimeout(settle);
        settle = setTimeout(restore, SETTLE_MS);
      }
    };

    check(store.getState());
    const unsubscribe = store.subscribe(check);
    return () => {
      unsubscribe();
      stopRestoring();
    };
  }, [store]);

  return mode;
}
