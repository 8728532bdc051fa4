import { useEffect } from 'react';
import { graphToFlow, viewportOf } from '../lib/draft-graph';
import { loadDraft } from './api';
import { useCatalogStore } from './catalog-store';
import { useDesignerStore } from './store';

/**
 * Loads the library and the draft into the stores. The draft's nodes are placed once the library
 * is in too, whichever answers first, so that each card is drawn and measured once, with its
 * ports. Without a draft id the canvas is a scratch pad that saves nowhere.
 */
export function useDraftLoader(draftId: number | undefined, draftName: string | undefined) {
  useEffect(() => {
    const library = useCatalogStore.getState().load();
    const store = useDesignerStore.getState();
    if (draftId === undefined || draftId === null) {
      store.loadDocument(graphToFlow({}), { id: null, name: draftName ?? '' });
      store.setSaveStatus('local');
      return;
    }
    let cancelled = false;
    store.setLoadState('loading');
    const fetchDraft = () =>
      Promise.all([loadDraft(draftId), library]).then(
        ([record]) => {
          if (cancelled) return;
          store.loadDocument(
            graphToFlow(record.graph),
            {
              id: record.id,
              name: record.name || draftName || '',
              revision: record.revision,
              lastJobName: record.last_job_name ?? null,
              canChange: record.can_change !== false,
            },
            viewportOf(record.graph),
          );
          if (record.can_change === false) {
            const owner = record.created_by ? `${record.created_by}'s` : 'nobody’s (an Admin’s to change)';
            store.setSaveStatus(
              'readonly',
              `This is ${owner} draft: only its owner or an Admin can change it, so edits here are not ` +
                'saved. Duplicate it (Drafts page) to make a copy of your own.',
            );
          } else {
            store.setSaveStatus('saved');
          }
        },
        (error: unknown) => {
          if (cancelled) return;
          store.setLoadState('error', error instanceof Error ? error.message : String(error));
        },
      );
    void fetchDraft();
    return () => {
      cancelled = true;
    };
  }, [draftId, draftName]);
}
