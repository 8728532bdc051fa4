/** New environment: a base image with conda/pip packages and variables, or a Dockerfile. */
import { useState, type FormEvent } from 'react';
import {
  FieldProblems,
  FormSection,
  NameFields,
  ProblemList,
  ProgressBar,
  Registered,
  Segmented,
  identity,
  useRegister,
  type NameValues,
} from './common';
import { folderEntries, tarBlob, type TarEntry } from './tar';
import { definitionPart } from './upload';

type Mode = 'image' | 'dockerfile';

export interface EnvironmentValues extends NameValues {
  image: string;
  python: string;
  conda: string;
  pip: string;
  variables: string;
  dockerfile: string;
}

const DEFAULT_IMAGE = 'studio/python:3.11-bookworm';
const DEFAULT_DOCKERFILE = `FROM ${DEFAULT_IMAGE}\nRUN python -m pip install --no-cache-dir requests\n`;

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

/** `NAME=value` lines as a mapping; a line without `=` is refused, naming it. */
export function parseVariables(text: string): Record<string, string> {
  const variables: Record<string, string> = {};
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const equals = line.indexOf('=');
    if (equals <= 0) {
      throw new Error(
        `environment variables, line ${index + 1}: expected NAME=value, got ${JSON.stringify(line)}`,
      );
    }
    variables[line.slice(0, equals).trim()] = line.slice(equals + 1);
  });
  return variables;
}

/** The inline conda specification of the form (python, conda packages, pip list, variables), or null. */
export function condaSpec(values: EnvironmentValues): Record<string, unknown> | null {
  const dependencies: unknown[] = [];
  if (values.python.trim()) dependencies.push(`python=${values.python.trim()}`);
  dependencies.push(...lines(values.conda));
  const pip = lines(values.pip);
  if (pip.length > 0) dependencies.push({ pip });
  const variables = parseVariables(values.variables);
  if (dependencies.length === 0 && Object.keys(variables).length === 0) return null;
  const spec: Record<string, unknown> = { name: values.name.trim() || 'environment', dependencies };
  if (Object.keys(variables).length > 0) spec.variables = variables;
  return spec;
}

/** The multipart form: the definition, and for a Dockerfile its build context as a tar. */
export function environmentForm(values: EnvironmentValues, mode: Mode, context: File[]): FormData {
  const form = new FormData();
  const definition: Record<string, unknown> = { ...identity(values) };
  if (mode === 'image') {
    definition.image = values.image.trim();
  } else {
    const entries: TarEntry[] = folderEntries(context).filter(
      (entry) => entry.path !== 'Dockerfile',
    );
    entries.unshift({ path: 'Dockerfile', data: new Blob([values.dockerfile]) });
    definition.build = { path: './context', dockerfile_path: 'Dockerfile' };
    form.append('build', tarBlob(entries), 'context.tar');
  }
  const conda = condaSpec(values);
  if (conda) definition.conda_file = conda;
  form.append('file', definitionPart(definition, 'environment.yml'));
  return form;
}

export function EnvironmentForm({ detailBase }: { detailBase: string }) {
  const { state, submit } = useRegister('environments');
  const [mode, setMode] = useState<Mode>('image');
  const [context, setContext] = useState<File[]>([]);
  const [values, setValues] = useState<EnvironmentValues>({
    name: '',
    version: '',
    description: '',
    image: DEFAULT_IMAGE,
    python: '',
    conda: '',
    pip: '',
    variables: '',
    dockerfile: DEFAULT_DOCKERFILE,
  });
  const set = (field: keyof EnvironmentValues) => (event: { target: { value: string } }) =>
    setValues({ ...values, [field]: event.target.value });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit(() => environmentForm(values, mode, context));
  };

  return (
    <form className="asset-form" aria-label="New environment" onSubmit={onSubmit}>
      <FormSection title="Environment">
        <NameFields
          values={values}
          onChange={(next) => setValues({ ...values, ...next })}
          problems={state.problems}
          namePlaceholder="e.g. pandas-2"
        />
      </FormSection>
      <FormSection title="Image">
        <Segmented
          name="mode"
          label="How the image is made"
          options={[
            ['image', 'A base image and packages'],
            ['dockerfile', 'A Dockerfile'],
          ]}
          value={mode}
          onChange={setMode}
        />
        {mode === 'image' ? (
          <div className="field">
            <label htmlFor="env-image">Base image</label>
            <input id="env-image" type="text" value={values.image} onChange={set('image')} />
            <span className="muted small">
              An image the Docker engine has (registries may be unreachable: build from the offline
              base image).
            </span>
            <FieldProblems problems={state.problems} fields={['image']} />
          </div>
        ) : (
          <>
            <div className="field">
              <label htmlFor="env-dockerfile">Dockerfile</label>
              <textarea
                id="env-dockerfile"
                className="code-input"
                rows={8}
                spellCheck={false}
                value={values.dockerfile}
                onChange={set('dockerfile')}
              />
            </div>
            <div className="field">
              <label htmlFor="env-context">
                Build context folder{' '}
                <span className="muted small">(optional: files the Dockerfile copies)</span>
              </label>
              <input
                id="env-context"
                type="file"
                multiple
                // @ts-expect-error webkitdirectory is not in React's typings; every current browser has it
                webkitdirectory=""
                onChange={(event) => setContext(Array.from(event.target.files ?? []))}
              />
              {context.length > 0 && <span className="muted small">{context.length} files</span>}
            </div>
            <FieldProblems problems={state.problems} fields={['build']} />
          </>
        )}
      </FormSection>
      <FormSection title="Packages and variables">
        <div className="asset-form__row">
          <div className="field">
            <label htmlFor="env-python">
              Python version <span className="muted small">(optional, e.g. 3.11)</span>
            </label>
            <input id="env-python" type="text" value={values.python} onChange={set('python')} />
          </div>
        </div>
        <div className="asset-form__row">
          <div className="field field--wide">
            <label htmlFor="env-conda">Conda packages, one a line</label>
            <textarea
              id="env-conda"
              className="code-input"
              rows={4}
              spellCheck={false}
              placeholder="numpy=1.26"
              value={values.conda}
              onChange={set('conda')}
            />
          </div>
          <div className="field field--wide">
            <label htmlFor="env-pip">Pip packages, one a line</label>
            <textarea
              id="env-pip"
              className="code-input"
              rows={4}
              spellCheck={false}
              placeholder="pandas>=2"
              value={values.pip}
              onChange={set('pip')}
            />
          </div>
          <div className="field field--wide">
            <label htmlFor="env-variables">Environment variables, NAME=value a line</label>
            <textarea
              id="env-variables"
              className="code-input"
              rows={4}
              spellCheck={false}
              placeholder="OMP_NUM_THREADS=1"
              value={values.variables}
              onChange={set('variables')}
            />
          </div>
        </div>
        <p className="muted small">
          Kept as the environment's inline conda file (<code>conda_file</code>): without conda in
          the image, conda packages are installed with pip under the same name, and the build log
          says so.
        </p>
        <FieldProblems problems={state.problems} fields={['conda_file']} />
      </FormSection>
      <ProblemList problems={state.problems} />
      <ProgressBar progress={state.progress} />
      {state.registered && (
        <Registered registered={state.registered} noun="environment" detailBase={detailBase} />
      )}
      <div className="asset-form__actions">
        <button type="submit" className="button button--primary" disabled={state.busy}>
          {state.busy ? 'Registering…' : 'Register environment'}
        </button>
        <span className="muted small">
          The image is built when a step first needs it. The same as{' '}
          <code>studio environment create --file environment.yml</code>.
        </span>
      </div>
    </form>
  );
}
