import { useEffect, useRef } from 'react';
import { flowToGraph } from '../lib/draft-graph';
import { saveDraftGraph } from './api';
import { createAutosave, type Autosave } from './autosave';
import { useDesignerStore } from './store';

/**
 * Saves every edit of the loaded draft (see `createAutosave`), retries when the browser comes
 * back online, and warns before leaving with unsaved edits. Returns the saver, for flushing
 * before validate, export and submit. Where the canvas looks is saved apart from the graph
 * (`useViewportAutosave`): a graph saved without a viewport keeps the saved one.
 */
export function useAutosave() {
  const ref = useRef<Autosave | null>(null);
  const draftId = useDesignerStore((s) => s.draft.id);
  const ready = useDesignerStore((s) => s.loadState === 'ready');
  const canChange = useDesignerStore((s) => s.draft.canChange !== false);

  useEffect(() => {
    if (!ready || draftId === null || !canChange) return;
    const store = useDesignerStore;
    const snapshot = () => JSON.stringify(flowToGraph(store.getState()));
    const autosave = createAutosave(snapshot(), {
      snapshot,
      save: async (json) => {
        const record = await saveDraftGraph(draftId, json, store.getState().draft.revision);
        store.getState().setDraft({ revision: record.revision });
      },
      onStatus: (status, error) => store.getState().setSaveStatus(status, error ?? null),
    });
    ref.current = autosave;
    // Every edit (and undo or redo) moves the history; selection and drags in progress do not.
    const unsubscribe = store.subscribe((state, previous) => {
      if (state.history !== previous.history) autosave.changed();
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
  }, [ready, draftId, canChange]);

  return ref;
}
