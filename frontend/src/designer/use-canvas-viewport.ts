import { useNodesInitialized, useReactFlow, type Viewport } from '@xyflow/react';
import { useCallback, useEffect, useRef } from 'react';
import { sameViewport } from '../lib/draft-graph';
import { useDesignerStore } from './store';
import { useHasNodes } from './use-designer';

/** How "fit view" frames the nodes when a draft opens without a saved viewport. */
export const FIT_VIEW_OPTIONS = { maxZoom: 1, padding: 0.2 };

/**
 * Opens the canvas where the draft was left: its saved viewport, or every node in view when it
 * has none (once the nodes are measured). Returns the canvas's `onMoveEnd`, which keeps each
 * later pan and zoom in the store for the autosave; placing the view on open is not one of them,
 * so merely opening a draft saves nothing.
 */
export function useCanvasViewport() {
  const { setViewport, fitView, getViewport } = useReactFlow();
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
      void fitView(FIT_VIEW_OPTIONS).then(placed);
    }
  }, [ready, hasNodes, measured, setViewport, fitView, getViewport]);

  return useCallback((_event: MouseEvent | TouchEvent | null, viewport: Viewport) => {
    if (stage.current !== 'placed') return;
    const initial = placedAt.current;
    placedAt.current = null;
    if (sameViewport(initial, viewport)) return;
    const store = useDesignerStore.getState();
    if (!sameViewport(store.viewport, viewport)) store.setViewport(viewport);
  }, []);
}
