import { useNodesInitialized, useReactFlow, useStoreApi, type Viewport } from '@xyflow/react';
import { useCallback, useEffect, useRef } from 'react';
import { sameViewport } from '../lib/draft-graph';
import { readableViewport } from '../lib/readable-viewport';
import { useDesignerStore } from './store';
import { useHasNodes } from './use-designer';

/**
 * Fits every node in view, never below a readable zoom: a pipeline too big for the canvas shows
 * its first layers and the rest is a scroll away. Used on open, by Zoom to fit and after
 * auto-layout. Resolves false when there is nothing to fit.
 */
export function useReadableFit() {
  const { getNodes, getNodesBounds, setViewport } = useReactFlow();
  const store = useStoreApi();
  return useCallback(
    async (options?: { duration?: number }) => {
      const nodes = getNodes();
      const { width, height } = store.getState();
      if (!nodes.length || !width || !height) return false;
      return setViewport(readableViewport(getNodesBounds(nodes), width, height), options);
    },
    [getNodes, getNodesBounds, setViewport, store],
  );
}

/**
 * Opens the canvas where the draft was left: its saved viewport, or every node in view when it
 * has none (once the nodes are measured), fitted no smaller than readable. Returns the canvas's `onMoveEnd`, which keeps each
 * later pan and zoom in the store for the autosave; placing the view on open is not one of them,
 * so merely opening a draft saves nothing.
 */
export function useCanvasViewport() {
  const { setViewport, getViewport } = useReactFlow();
  const fit = useReadableFit();
  const ready = useDesignerStore((s) => s.loadState === 'ready');
  const hasNodes = useHasNodes();
  const measured = useNodesInitialized();
  const stage = useRef<'pending' | 'placing' | 'placed'>('pending');
  // Where the view was placed on open: React Flow reports that move's end a moment later, and
  // it is not the user's.
  const placedAt = useRef<Viewport | null>(null);

  useEffect(() => {
    if (!ready || stage.current !== 'pending') return;
    const placed = () => {
      placedAt.current = getViewport();
      stage.current = 'placed';
    };
    const saved = useDesignerStore.getState().viewport;
    if (saved) {
      stage.current = 'placing';
      void setViewport(saved).then(placed);
    } else if (!hasNodes) {
      stage.current = 'placed';
    } else if (measured) {
      stage.current = 'placing';
      void fit().then(placed);
    }
  }, [ready, hasNodes, measured, setViewport, fit, getViewport]);

  return useCallback((_event: MouseEvent | TouchEvent | null, viewport: Viewport) => {
    if (stage.current !== 'placed') return;
    const initial = placedAt.current;
    placedAt.current = null;
    if (sameViewport(initial, viewport)) return;
    const store = useDesignerStore.getState();
    if (!sameViewport(store.viewport, viewport)) store.setViewport(viewport);
  }, []);
}
