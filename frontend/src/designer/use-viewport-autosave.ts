import { useEffect } from 'react';
import { roundViewport, type CanvasViewport } from '../lib/draft-graph';
import { saveDraftViewport } from './api';
import { createAutosave } from './autosave';
import { useDesignerStore } from './store';

/**
 * Saves where the loaded draft's canvas looks after each pause in panning and zooming, apart
 * from its edits: a viewport save needs no revision and moves none, so panning never makes this
 * tab's or another tab's next edit conflict. It is quiet (the save status is about edits) and
 * not worth a warning before leaving the page.
 */
export function useViewportAutosave() {
  const draftId = useDesignerStore((s) => s.draft.id);
  const ready = useDesignerStore((s) => s.loadState === 'ready');
  const canChange = useDesignerStore((s) => s.draft.canChange !== false);

  useEffect(() => {
    if (!ready || draftId === null || !canChange) return;
    const store = useDesignerStore;
    const snapshot = () => {
      const { viewport } = store.getState();
      return JSON.stringify(viewport ? roundViewport(viewport) : null);
    };
    const autosave = createAutosave(snapshot(), {
      snapshot,
      save: async (json) => {
        const viewport = JSON.parse(json) as CanvasViewport | null;
        if (viewport) await saveDraftViewport(draftId, viewport);
      },
      onStatus: () => undefined,
    });
    const unsubscribe = store.subscribe((state, previous) => {
      if (state.viewport !== previous.viewport) autosave.changed();
    });
    const onOnline = () => autosave.retryNow();
    window.addEventListener('online', onOnline);
    return () => {
      unsubscribe();
      window.removeEventListener('online', onOnline);
      autosave.stop();
    };
  }, [ready, draftId, canChange]);
}
