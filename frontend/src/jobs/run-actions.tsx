/**
 * The job page's Cancel and Resubmit: Cancel asks first; Resubmit opens a dialog with the job's
 * pipeline parameters, each changeable, and submits the job again with what changed
 * (`POST /api/v1/jobs/<name>/rerun/` with `{"parameters": {...}}`), then opens the new job.
 * Both dialogs are native <dialog>s: modal, Escape closes them, focus stays inside.
 */
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, apiFetch } from '../lib/csrf';
import { formatValue } from './format';
import type { RerunParameter } from './types';

function Modal({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} className="run-dialog" aria-label={title} onClose={onClose}>
      <h2 className="run-dialog__title">{title}</h2>
      {children}
    </dialog>
  );
}

/** Cancel, after a yes in a dialog that says what it does. */
export function CancelButton({ busy, onConfirm }: { busy: boolean; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  return (
    <>
      <button
        type="button"
        className="button button--danger"
        onClick={() => setAsking(true)}
        disabled={busy}
      >
        {busy ? 'Canceling…' : 'Cancel'}
      </button>
      {asking ? (
        <Modal title="Cancel this job?" onClose={() => setAsking(false)}>
          <p>
            Running steps are stopped and steps not started yet will not run. This cannot be undone.
          </p>
          <div className="run-dialog__actions">
            <button type="button" className="button" onClick={() => setAsking(false)} autoFocus>
              Keep running
            </button>
            <button
              type="button"
              className="button button--danger"
              onClick={() => {
                setAsking(false);
                onConfirm();
              }}
            >
              Cancel job
            </button>
          </div>
        </Modal>
      ) : null}
    </>
  );
}

/** The value a form field shows for a parameter. */
function fieldText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : formatValue(value);
}

/** The values that differ from the job's, as the API takes them (text parsed by the server). */
export function changedParameters(
  parameters: readonly RerunParameter[],
  values: Record<string, string>,
): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const parameter of parameters) {
    const text = values[parameter.name];
    if (text === undefined || text === fieldText(parameter.value)) continue;
    changed[parameter.name] = parameter.type === 'boolean' ? text === 'true' : text;
  }
  return changed;
}

function ParameterInput({
  parameter,
  value,
  onChange,
  error,
}: {
  parameter: RerunParameter;
  value: string;
  onChange: (text: string) => void;
  error?: string;
}) {
  const id = `rerun-${parameter.name}`;
  const common = {
    id,
    name: parameter.name,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? `${id}-error` : undefined,
  };
  let input: ReactNode;
  if (parameter.enum?.length) {
    input = (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        {parameter.enum.map((choice) => (
          <option key={String(choice)} value={fieldText(choice)}>
            {fieldText(choice)}
          </option>
        ))}
      </select>
    );
  } else if (parameter.type === 'boolean') {
    input = (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  } else {
    const numeric = parameter.type === 'integer' || parameter.type === 'number';
    input = (
      <input
        {...common}
        type={numeric ? 'number' : 'text'}
        step={parameter.type === 'integer' ? 1 : numeric ? 'any' : undefined}
        min={parameter.min}
        max={parameter.max}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }
  return (
    <div className="run-dialog__field">
      <label htmlFor={id}>
        {parameter.name} <span className="muted small">{parameter.type}</span>
      </label>
      {input}
      {error ? (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      ) : null}
    </div>
  );
}

function ResubmitDialog({
  job,
  url,
  parameters,
  onClose,
}: {
  job: string;
  url: string;
  parameters: readonly RerunParameter[];
  onClose: () => void;
}) {
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(parameters.map((p) => [p.name, fieldText(p.value)])),
  );
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ detail: string; fields: Record<string, string> } | null>(
    null,
  );
  const changed = changedParameters(parameters, values);
  const count = Object.keys(changed).length;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const created = await apiFetch<{ name?: string; id?: string }>(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(count ? { parameters: changed } : {}),
      });
      const name = created.name ?? created.id;
      window.location.assign(`/jobs/${encodeURIComponent(name ?? job)}/`);
    } catch (error) {
      const fields: Record<string, string> = {};
      if (error instanceof ApiError) {
        for (const [field, messages] of Object.entries(error.errors)) {
          fields[field.replace(/^parameters\./, '')] = messages.join(' ');
        }
      }
      setProblem({ detail: error instanceof Error ? error.message : String(error), fields });
      setBusy(false);
    }
  };

  return (
    <Modal title="Resubmit this job" onClose={onClose}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <p className="muted">
          {parameters.length
            ? 'Change any parameter; steps whose inputs stay the same are reused.'
            : 'This job has no parameters to change: it runs again as it was; unchanged steps are reused.'}
        </p>
        {parameters.map((parameter) => (
          <ParameterInput
            key={parameter.name}
            parameter={parameter}
            value={values[parameter.name] ?? ''}
            onChange={(text) => {
              setValues((current) => ({ ...current, [parameter.name]: text }));
              setProblem(null);
            }}
            error={problem?.fields[parameter.name]}
          />
        ))}
        {problem && Object.keys(problem.fields).length === 0 ? (
          <p className="message message--error" role="alert">
            {problem.detail}
          </p>
        ) : null}
        <div className="run-dialog__actions">
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          <button type="submit" className="button button--primary" disabled={busy}>
            {busy
              ? 'Submitting…'
              : count
                ? `Resubmit with ${count} change${count === 1 ? '' : 's'}`
                : 'Resubmit'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function ResubmitButton(props: {
  job: string;
  url: string;
  parameters: readonly RerunParameter[];
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="button" onClick={() => setOpen(true)}>
        Resubmit
      </button>
      {open ? <ResubmitDialog {...props} onClose={() => setOpen(false)} /> : null}
    </>
  );
}
