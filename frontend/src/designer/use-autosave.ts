import { useEffect, useRef } from 'react';
import { flowToGraph } from '../lib/draft-graph';
import { saveDraftGraph } from './api';
import { createAutosave, type Autosave } from './autosave';
import { useDesignerStore } from './store';

/** A saved graph's JSON without its viewport. */
function withoutViewport(json: string): string {
  const graph = JSON.parse(json) as { viewport?: unknown };
  delete graph.viewport;
  return JSON.stringify(graph);
}

/**
 * Saves every edit of the loaded draft and where its canvas looks (see `createAutosave`), retries when the browser comes
 * back online, and warns before leaving with unsaved edits. Returns the saver, for flushing
 * before validate, export and submit.
 */
export function useAutosave() {
  const ref = useRef<Autosave | null>(null);
  const draftId = useDesignerStore((s) => s.draft.id);
  const ready = useDesignerStore((s) => s.loadState === 'ready');

  useEffect(() => {
    if (!ready || draftId === null) return;
    const store = useDesignerStore;
    const snapshot = () => {
      const state = store.getState();
      return JSON.stringify(flowToGraph(state, state.viewport));
    };
    const autosave = createAutosave(snapshot(), {
      snapshot,
      save: async (json) => {
        const record = await saveDraftGraph(draftId, json, store.getState().draft.revision);
        store.getState().setDraft({ revision: record.revision });
      },
      onStatus: (status, error) => store.getState().setSaveStatus(status, error ?? null),
      // Leaving with only a pan or zoom unsaved is not worth a warning.
      essential: withoutViewport,
    });
    ref.current = autosave;
    // Every edit (and undo or redo) moves the history; selection and drags in progress do not.
    // A pan or zoom is saved too, so that the draft opens where it was left.
    const unsubscribe = store.subscribe((state, previous) => {
      if (state.history !== previous.history || state.viewport !== previous.viewport) {
        autosave.changed();
      }
    });
    const onOnline = () => autosave.retryNow();
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (store.getState().saveStatus === 'conflict') return;
      if (autosave.hasUnsavedChanges()) event.preventDefault();
    };
    window.addEventListener('online', onOnline);
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      unsubscribe();
      window.removeEventListener('online', onOnline);
      window.removeEventListener('beforeunload', onBeforeUnload);
      autosave.stop();
      if (ref.current === autosave) ref.current = null;
    };
  }, [ready, draftId]);

  return ref;
}
