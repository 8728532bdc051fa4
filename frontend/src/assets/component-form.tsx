/** New component: Azure ML command component YAML, written here or loaded from a file, with its code folder. */
import { useRef, useState, type FormEvent } from 'react';
import { ProblemList, ProgressBar, Registered, useRegister } from './common';
import { folderEntries, tarBlob } from './tar';
import type { Problem } from './upload';

export const STARTER_YAML = `$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: my_component
version: "1"
display_name: My Component
description: Writes a greeting into its output folder.
tags:
  category: General
inputs:
  greeting:
    type: string
    default: hello
outputs:
  result:
    type: uri_folder
environment: azureml:python-3.11@latest
command: >-
  python -c "import pathlib, sys; pathlib.Path(sys.argv[1], 'greeting.txt').write_text(sys.argv[2])"
  \${{outputs.result}} \${{inputs.greeting}}
`;

/** The multipart form: the YAML as the file `filename`, and the code folder (if any) as a tar. */
export function componentForm(text: string, filename: string, code: File[]): FormData {
  if (!text.trim()) throw new Error('write the component YAML or load a file');
  const form = new FormData();
  form.append('file', new File([text], filename, { type: 'application/yaml' }));
  if (code.length > 0) form.append('code', tarBlob(folderEntries(code)), 'code.tar');
  return form;
}

/** Character offsets of the start and end of line `line` (1-based) of `text`. */
export function lineRange(text: string, line: number): [number, number] {
  let start = 0;
  for (let current = 1; current < line; current += 1) {
    const next = text.indexOf('\n', start);
    if (next === -1) return [text.length, text.length];
    start = next + 1;
  }
  const end = text.indexOf('\n', start);
  return [start, end === -1 ? text.length : end];
}

export function ComponentForm({ detailBase }: { detailBase: string }) {
  const { state, submit } = useRegister('components');
  const [text, setText] = useState(STARTER_YAML);
  const [filename, setFilename] = useState('component.yml');
  const [code, setCode] = useState<File[]>([]);
  const editor = useRef<HTMLTextAreaElement>(null);
  const lineCount = text.split('\n').length;

  const load = async (file: File | undefined) => {
    if (!file) return;
    setText(await file.text());
    setFilename(file.name);
  };

  const pick = (problem: Problem) => {
    const area = editor.current;
    if (!area || !problem.line) return;
    const [start, end] = lineRange(text, problem.line);
    area.focus();
    area.setSelectionRange(start, end);
    const lineHeight = area.scrollHeight / Math.max(lineCount, 1);
    area.scrollTop = Math.max(0, (problem.line - 4) * lineHeight);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit(() => componentForm(text, filename, code));
  };

  return (
    <form className="asset-form" aria-label="New component" onSubmit={onSubmit}>
      <fieldset className="asset-form__section">
        <legend>Definition</legend>
        <div className="asset-form__row asset-form__row--between">
          <div className="field">
            <label htmlFor="component-file">Load a YAML file</label>
            <input
              id="component-file"
              type="file"
              accept=".yml,.yaml"
              onChange={(event) => void load(event.target.files?.[0])}
            />
          </div>
          <div className="field">
            <label htmlFor="component-code">
              Code folder{' '}
              <span className="muted small">
                (for <code>code: ./src</code>)
              </span>
            </label>
            <input
              id="component-code"
              type="file"
              multiple
              // @ts-expect-error webkitdirectory is not in React's typings; every current browser has it
              webkitdirectory=""
              onChange={(event) => setCode(Array.from(event.target.files ?? []))}
            />
            {code.length > 0 && <span className="muted small">{code.length} files</span>}
          </div>
        </div>
        <div className="field">
          <label htmlFor="component-yaml">
            {filename} <span className="muted small">· Azure ML v2 command component YAML</span>
          </label>
          <div className="yaml-editor">
            <pre className="yaml-editor__gutter" aria-hidden="true">
              {Array.from({ length: lineCount }, (_, index) => index + 1).join('\n')}
            </pre>
            <textarea
              id="component-yaml"
              ref={editor}
              className="code-input yaml-editor__text"
              rows={Math.min(Math.max(lineCount + 1, 14), 28)}
              spellCheck={false}
              wrap="off"
              value={text}
              onChange={(event) => setText(event.target.value)}
              onScroll={(event) => {
                const gutter = event.currentTarget.previousElementSibling as HTMLElement | null;
                if (gutter) gutter.scrollTop = event.currentTarget.scrollTop;
              }}
            />
          </div>
        </div>
      </fieldset>
      <ProblemList problems={state.problems} onPick={pick} />
      <ProgressBar progress={state.progress} />
      {state.registered && (
        <Registered registered={state.registered} noun="component" detailBase={detailBase} />
      )}
      <div className="asset-form__actions">
        <button type="submit" className="button button--primary" disabled={state.busy}>
          {state.busy ? 'Registering…' : 'Register component'}
        </button>
        <span className="muted small">
          The same as <code>studio component create --file {filename}</code>; problems name the
          line.
        </span>
      </div>
    </form>
  );
}
