import { useCallback, useState, type RefObject } from 'react';
import { ApiError } from '../lib/csrf';
import type { ParameterValue } from '../lib/draft-graph';
import {
  exportDraft,
  submitDraft,
  validateDraft,
  type SubmittedJob,
  type ValidationProblem,
} from './api';
import type { Autosave } from './autosave';
import { useDesignerStore } from './store';

/** Why a submission was refused: the server's message and the problems to mark on nodes. */
export class SubmitRefused extends Error {
  readonly problems: ValidationProblem[];
  readonly errors: Record<string, string[]>;

  constructor(message: string, problems: ValidationProblem[], errors: Record<string, string[]>) {
    super(message);
    this.name = 'SubmitRefused';
    this.problems = problems;
    this.errors = errors;
  }
}

function problemsOf(error: ApiError): ValidationProblem[] {
  const body = error.body as { problems?: unknown } | null;
  return Array.isArray(body?.problems) ? (body.problems as ValidationProblem[]) : [];
}

/**
 * Validate, export and submit. Each first saves pending edits, since the server works on the
 * saved draft.
 */
export function useDraftActions(autosave: RefObject<Autosave | null>) {
  const [validating, setValidating] = useState(false);

  const saveFirst = useCallback(async (): Promise<number | null> => {
    const store = useDesignerStore.getState();
    const id = store.draft.id;
    if (id === null) {
      store.notify(
        'This canvas is not a saved draft; create a draft to validate or submit it.',
        'error',
      );
      return null;
    }
    if (store.saveStatus === 'conflict') {
      store.notify('This draft was changed elsewhere. Reload the page before going on.', 'error');
      return null;
    }
    const saved = (await autosave.current?.flush()) ?? false;
    if (!saved) {
      const status = useDesignerStore.getState().saveStatus;
      store.notify(
        status === 'offline'
          ? 'The server cannot be reached; your edits are kept and will be saved when it can.'
          : 'The latest edits could not be saved.',
        'error',
      );
      return null;
    }
    return id;
  }, [autosave]);

  const validate = useCallback(async () => {
    const id = await saveFirst();
    if (id === null) return;
    const store = useDesignerStore.getState();
    setValidating(true);
    try {
      const result = await validateDraft(id);
      store.setProblems(result.problems);
      const count = result.problems.length;
      if (result.valid && count === 0) {
        store.notify('No problems found: the pipeline is ready to submit.', 'success');
      } else {
        store.notify(`Validation found ${count} problem${count === 1 ? '' : 's'}.`, 'error');
      }
    } catch (error) {
      store.notify(
        `Validation failed: ${error instanceof Error ? error.message : String(error)}`,
        'error',
      );
    } finally {
      setValidating(false);
    }
  }, [saveFirst]);

  const exportYaml = useCallback(async (): Promise<string | null> => {
    const id = await saveFirst();
    return id === null ? null : exportDraft(id);
  }, [saveFirst]);

  const submit = useCallback(
    async (
      experimentName: string,
      parameters: Record<string, ParameterValue>,
    ): Promise<SubmittedJob> => {
      const id = await saveFirst();
      if (id === null) throw new SubmitRefused('The draft is not saved.', [], {});
      try {
        return await submitDraft(id, { experiment_name: experimentName, parameters });
      } catch (error) {
        if (error instanceof ApiError && error.status === 400) {
          const problems = problemsOf(error);
          if (problems.length > 0) useDesignerStore.getState().setProblems(problems);
          throw new SubmitRefused(error.detail ?? error.message, problems, error.errors);
        }
        throw error;
      }
    },
    [saveFirst],
  );

  return { validate, validating, exportYaml, submit };
}
