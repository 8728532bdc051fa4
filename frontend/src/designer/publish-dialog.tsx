/**
 * Publish the saved draft as the next version of an endpoint (`POST /api/v1/endpoints/`): the
 * toolbar's Publish button, enabled once the canvas is saved, and its dialog.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, apiFetch } from '../lib/csrf';
import { nameOk } from '../lib/rules';
import { loadDraft, type ValidationProblem } from './api';
import { Dialog } from './dialog';
import { useDraft, useSaveStatus } from './use-designer';

/** An endpoint name made from a draft name ("Split iris" → "split-iris"), as the server suggests. */
export function suggestedEndpointName(text: string): string {
  // django.utils.text.slugify, then what endpoint names allow (endpoints/pages/publish.py)
  const slug = text
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .toLowerCase()
    .replace(/[^\w\s-]/g, '')
    .replace(/[-\s]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  return slug
    .replace(/_/g, '-')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, 100)
    .replace(/^-+|-+$/g, '');
}

interface Published {
  name: string;
  default_version: number;
  published_version: number;
}

/** The toolbar's Publish button and its dialog. */
export function PublishButton() {
  const draft = useDraft();
  const { status } = useSaveStatus();
  const [open, setOpen] = useState(false);
  const saved = draft.id !== null && status === 'saved';
  const why =
    draft.id === null
      ? 'This canvas is not a saved draft.'
      : saved
        ? 'Publish the saved draft as an endpoint other systems run over REST'
        : 'Save first: publishing takes the saved draft (the canvas saves on its own).';
  return (
    <>
      <button
        type="button"
        className="button button--small"
        onClick={() => setOpen(true)}
        disabled={!saved}
        title={why}
        aria-haspopup="dialog"
      >
        Publish
      </button>
      {open && draft.id !== null ? (
        <PublishDialog draftId={draft.id} draftName={draft.name} onClose={() => setOpen(false)} />
      ) : null}
    </>
  );
}

interface PublishDialogProps {
  draftId: number;
  draftName: string;
  onClose: () => void;
}

export function PublishDialog({ draftId, draftName, onClose }: PublishDialogProps) {
  const { status } = useSaveStatus();
  const [name, setName] = useState(() => suggestedEndpointName(draftName));
  const [description, setDescription] = useState('');
  const [makeDefault, setMakeDefault] = useState(false);
  const [existing, setExisting] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [nameError, setNameError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [problems, setProblems] = useState<ValidationProblem[]>([]);
  const [published, setPublished] = useState<Published | null>(null);
  const nameInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    // After the dialog has placed focus on its first control: the name is what one changes first.
    const frame = requestAnimationFrame(() => nameInput.current?.focus());
    return () => cancelAnimationFrame(frame);
  }, []);

  useEffect(() => {
    let cancelled = false;
    loadDraft(draftId).then(
      (record) => {
        if (!cancelled) setDescription((current) => current || record.description || '');
      },
      () => undefined, // the description can still be typed
    );
    apiFetch<{ results: { name: string }[] }>('/api/v1/endpoints/').then(
      (body) => {
        if (!cancelled) setExisting(body.results.map((endpoint) => endpoint.name));
      },
      () => undefined, // the name can still be typed
    );
    return () => {
      cancelled = true;
    };
  }, [draftId]);

  const saved = status === 'saved';
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!saved) return;
    if (!nameOk('endpoint', name.trim())) {
      // The server's rule (pipelines/rules.py), checked here so a typo costs no round trip.
      setNameError(
        'Use 1-100 lowercase letters, digits and “-”, starting and ending with a letter or digit.',
      );
      return;
    }
    setBusy(true);
    setNameError(null);
    setError(null);
    setProblems([]);
    try {
      const answer = await apiFetch<Published>('/api/v1/endpoints/', {
        method: 'POST',
        body: JSON.stringify({
          name: name.trim(),
          draft: draftId,
          description,
          make_default: makeDefault,
        }),
      });
      setPublished(answer);
    } catch (err) {
      if (err instanceof ApiError) {
        const body = err.body as { problems?: ValidationProblem[] } | null;
        if (err.errors.name) setNameError(err.errors.name.join(' '));
        else setError(err.detail ?? err.message);
        setProblems(Array.isArray(body?.problems) ? body.problems : []);
      } else {
        setError(err instanceof Error ? err.message : String(err));
      }
    } finally {
      setBusy(false);
    }
  };

  if (published) {
    const isDefault = published.default_version === published.published_version;
    return (
      <Dialog
        title="Published"
        onClose={onClose}
        footer={
          <>
            <button type="button" className="button" onClick={onClose}>
              Close
            </button>
            <a className="button button--primary" href={`/endpoints/${published.name}/`}>
              Open {published.name}
            </a>
          </>
        }
      >
        <p role="status" data-published={published.name}>
          Published <a href={`/endpoints/${published.name}/`}>{published.name}</a> version{' '}
          {published.published_version}:{' '}
          {isDefault
            ? 'it is the default version.'
            : `the default is still version ${published.default_version}.`}
        </p>
      </Dialog>
    );
  }

  return (
    <Dialog
      title="Publish as an endpoint"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="publish-draft-form"
            className="button button--primary"
            disabled={busy || !saved}
          >
            {busy ? 'Publishing…' : 'Publish'}
          </button>
        </>
      }
    >
      <form
        id="publish-draft-form"
        className="submit-form"
        noValidate
        onSubmit={(e) => void onSubmit(e)}
      >
        <p className="muted small">
          Publishes the <strong>saved</strong> draft as the next version of an endpoint that other
          systems run over REST.{' '}
          {saved ? null : (
            <strong role="status">Save first: the canvas has unsaved changes.</strong>
          )}
        </p>
        <div className="field">
          <label htmlFor="publish-name">Endpoint name</label>
          <input
            type="text"
            id="publish-name"
            ref={nameInput}
            value={name}
            list="publish-endpoints"
            maxLength={100}
            required
            autoComplete="off"
            aria-invalid={nameError ? true : undefined}
            aria-describedby={
              nameError ? 'publish-name-help publish-name-error' : 'publish-name-help'
            }
            onChange={(event) => setName(event.target.value)}
          />
          <datalist id="publish-endpoints">
            {existing.map((endpoint) => (
              <option key={endpoint} value={endpoint} />
            ))}
          </datalist>
          <p className="muted small" id="publish-name-help">
            Lowercase letters, digits and “-”. A new name creates an endpoint; an existing one gets
            the next version.
          </p>
          {nameError ? (
            <p className="field-error" id="publish-name-error">
              {nameError}
            </p>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor="publish-description">Description</label>
          <textarea
            id="publish-description"
            rows={3}
            value={description}
            onChange={(event) => setDescription(event.target.value)}
          />
        </div>
        <label className="checkbox checkbox--strong">
          <input
            type="checkbox"
            checked={makeDefault}
            onChange={(event) => setMakeDefault(event.target.checked)}
          />{' '}
          Make this version the default
        </label>
        <p className="muted small">
          The default version is the one that runs when a caller does not pin{' '}
          <code>?version=N</code>. A new endpoint&apos;s first version is always the default.
        </p>
        {error ? (
          <div className="dialog__error" role="alert">
            <p>{error}</p>
            {problems.length > 0 ? (
              <ul>
                {problems.map((p, i) => (
                  <li key={i}>
                    {p.node ? <code>{p.node}</code> : null} {p.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
      </form>
    </Dialog>
  );
}
