/** What the three asset forms share: name fields, the upload progress bar and the problems list. */
import { useState, type ReactNode } from 'react';
import {
  describeProblem,
  problemsOf,
  register,
  type AssetKind,
  type Problem,
  type Registered,
  type UploadProgress,
} from './upload';

export interface RegisterState {
  busy: boolean;
  progress: UploadProgress | null;
  problems: Problem[];
  registered: Registered | null;
}

/** Sends a form to the registry API and keeps what came of it. */
export function useRegister(kind: AssetKind) {
  const [state, setState] = useState<RegisterState>({
    busy: false,
    progress: null,
    problems: [],
    registered: null,
  });
  const submit = async (build: () => FormData) => {
    let form: FormData;
    try {
      form = build();
    } catch (error) {
      setState({ busy: false, progress: null, problems: problemsOf(error), registered: null });
      return;
    }
    setState({ busy: true, progress: { loaded: 0, total: 0 }, problems: [], registered: null });
    try {
      const registered = await register(kind, form, (progress) =>
        setState((current) => ({ ...current, progress })),
      );
      setState({ busy: false, progress: null, problems: [], registered });
    } catch (error) {
      setState({ busy: false, progress: null, problems: problemsOf(error), registered: null });
    }
  };
  return { state, submit };
}

/** The top-level field a problem is on (`conda_file.dependencies.1` -> `conda_file`). */
export function fieldOf(problem: Problem): string {
  return problem.field.split('.')[0] ?? '';
}

export function FieldProblems({ problems, fields }: { problems: Problem[]; fields: string[] }) {
  const mine = problems.filter((problem) => fields.includes(fieldOf(problem)));
  if (mine.length === 0) return null;
  return (
    <ul className="asset-form__field-problems">
      {mine.map((problem, index) => (
        <li key={index} className="field-error">
          {problem.field}: {problem.message}
        </li>
      ))}
    </ul>
  );
}

export function ProblemList({
  problems,
  onPick,
}: {
  problems: Problem[];
  onPick?: (problem: Problem) => void;
}) {
  if (problems.length === 0) return null;
  return (
    <div className="asset-form__problems" role="alert">
      <strong>
        {problems.length === 1
          ? 'Not registered: 1 problem'
          : `Not registered: ${problems.length} problems`}
      </strong>
      <ul>
        {problems.map((problem, index) => (
          <li key={index}>
            {onPick && problem.line ? (
              <button type="button" className="linklike" onClick={() => onPick(problem)}>
                {describeProblem(problem)}
              </button>
            ) : (
              describeProblem(problem)
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function ProgressBar({ progress }: { progress: UploadProgress | null }) {
  if (!progress) return null;
  const percent = progress.total ? Math.round((progress.loaded / progress.total) * 100) : 0;
  const done = progress.total > 0 && progress.loaded >= progress.total;
  return (
    <div className="asset-form__progress">
      <progress max={100} value={percent} aria-label="Upload progress" />
      <span className="muted small">
        {done
          ? 'Uploaded; the server is checking and storing it…'
          : progress.total
            ? `${percent}% · ${size(progress.loaded)} of ${size(progress.total)}`
            : 'Starting…'}
      </span>
    </div>
  );
}

export function Registered({
  registered,
  noun,
  detailBase,
}: {
  registered: Registered;
  noun: string;
  detailBase: string;
}) {
  const url = `${detailBase}${encodeURIComponent(registered.name)}/${encodeURIComponent(registered.version)}/`;
  const warnings = registered.warnings ?? [];
  return (
    <div className="asset-form__done" role="status">
      <p>
        <strong>
          Registered {noun} {registered.name}:{registered.version}.
        </strong>{' '}
        {noun === 'environment'
          ? `Components use it as azureml:${registered.name}:${registered.version} (or @latest).`
          : "It is in the designer's palette now."}
      </p>
      {warnings.length > 0 && (
        <ul className="asset-form__warnings">
          {warnings.map((warning, index) => (
            <li key={index}>warning: {describeProblem(warning)}</li>
          ))}
        </ul>
      )}
      <p className="actions-row">
        <a className="button button--primary" href={url}>
          Open {registered.name}
        </a>
        <a className="button" href="/designer/">
          Open the designer
        </a>
      </p>
    </div>
  );
}

export interface NameValues {
  name: string;
  version: string;
  description: string;
}

/** `name`, `version` (optional) and `description` of a definition, trimmed, empty ones left out. */
export function identity(values: NameValues): Record<string, string> {
  const fields: Record<string, string> = { name: values.name.trim() };
  if (values.version.trim()) fields.version = values.version.trim();
  if (values.description.trim()) fields.description = values.description.trim();
  return fields;
}

export function NameFields({
  values,
  onChange,
  problems,
  namePlaceholder,
}: {
  values: NameValues;
  onChange: (values: NameValues) => void;
  problems: Problem[];
  namePlaceholder: string;
}) {
  return (
    <div className="asset-form__row">
      <div className="field">
        <label htmlFor="asset-name">Name</label>
        <input
          id="asset-name"
          type="text"
          required
          value={values.name}
          placeholder={namePlaceholder}
          onChange={(event) => onChange({ ...values, name: event.target.value })}
        />
        <FieldProblems problems={problems} fields={['name']} />
      </div>
      <div className="field">
        <label htmlFor="asset-version">
          Version <span className="muted small">(optional: the next number)</span>
        </label>
        <input
          id="asset-version"
          type="text"
          value={values.version}
          placeholder="auto"
          onChange={(event) => onChange({ ...values, version: event.target.value })}
        />
        <FieldProblems problems={problems} fields={['version']} />
      </div>
      <div className="field field--wide">
        <label htmlFor="asset-description">Description</label>
        <input
          id="asset-description"
          type="text"
          value={values.description}
          onChange={(event) => onChange({ ...values, description: event.target.value })}
        />
      </div>
    </div>
  );
}

export function FormSection({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="asset-form__section">
      <legend>{title}</legend>
      {children}
    </fieldset>
  );
}

/** A choice of a few, drawn as a row of labelled radio buttons (the chosen one highlighted). */
export function Segmented<T extends string>({
  name,
  label,
  options,
  value,
  onChange,
}: {
  name: string;
  label: string;
  options: readonly (readonly [T, string])[];
  value: T;
  onChange: (value: T) => void;
}) {
  return (
    <div className="segmented" role="radiogroup" aria-label={label}>
      {options.map(([option, text]) => (
        <label key={option} className={value === option ? 'is-on' : ''}>
          <input
            type="radio"
            name={name}
            checked={value === option}
            onChange={() => onChange(option)}
          />
          {text}
        </label>
      ))}
    </div>
  );
}
