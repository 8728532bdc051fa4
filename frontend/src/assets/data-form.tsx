/** New data asset: a file (uri_file) or a folder (uri_folder) uploaded with its definition. */
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
import { folderEntries, tarBlob } from './tar';
import { definitionPart } from './upload';

type Shape = 'uri_file' | 'uri_folder';

/** The multipart form of a data asset: its definition and the file (or the folder as a tar). */
export function dataForm(values: NameValues, shape: Shape, files: File[]): FormData {
  if (files.length === 0) {
    throw new Error(shape === 'uri_file' ? 'choose a file to upload' : 'choose a folder to upload');
  }
  const form = new FormData();
  const definition: Record<string, unknown> = { ...identity(values), type: shape };
  if (shape === 'uri_file') {
    const file = files[0]!;
    definition.path = file.name;
    if (/\.(csv|tsv)$/i.test(file.name))
      definition.tags = { format: file.name.split('.').pop()!.toLowerCase() };
    form.append('path', file, file.name);
  } else {
    const first = (files[0] as File & { webkitRelativePath?: string }).webkitRelativePath ?? '';
    const folder = first.split('/')[0] || 'data';
    definition.path = `./${folder}`;
    form.append('path', tarBlob(folderEntries(files)), `${folder}.tar`);
  }
  form.append('file', definitionPart(definition, 'data.yml'));
  return form;
}

export function DataForm({ detailBase }: { detailBase: string }) {
  const { state, submit } = useRegister('data');
  const [values, setValues] = useState<NameValues>({ name: '', version: '', description: '' });
  const [shape, setShape] = useState<Shape>('uri_file');
  const [files, setFiles] = useState<File[]>([]);
  const total = files.reduce((sum, file) => sum + file.size, 0);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit(() => dataForm(values, shape, files));
  };

  return (
    <form className="asset-form" aria-label="New data asset" onSubmit={onSubmit}>
      <FormSection title="Data asset">
        <NameFields
          values={values}
          onChange={setValues}
          problems={state.problems}
          namePlaceholder="e.g. customers"
        />
      </FormSection>
      <FormSection title="Contents">
        <Segmented
          name="shape"
          label="What to upload"
          options={[
            ['uri_file', 'A file (uri_file), e.g. a CSV'],
            ['uri_folder', 'A folder (uri_folder)'],
          ]}
          value={shape}
          onChange={(next) => {
            setShape(next);
            setFiles([]);
          }}
        />
        <div className="field">
          {shape === 'uri_file' ? (
            <>
              <label htmlFor="data-file">File</label>
              <input
                id="data-file"
                key="file"
                type="file"
                accept=".csv,.tsv,.txt,.json,.parquet,text/csv"
                onChange={(event) => setFiles(Array.from(event.target.files ?? []))}
              />
            </>
          ) : (
            <>
              <label htmlFor="data-folder">Folder</label>
              <input
                id="data-folder"
                key="folder"
                type="file"
                multiple
                // @ts-expect-error webkitdirectory is not in React's typings; every current browser has it
                webkitdirectory=""
                onChange={(event) => setFiles(Array.from(event.target.files ?? []))}
              />
            </>
          )}
          {files.length > 0 && (
            <p className="muted small">
              {files.length === 1 ? files[0]!.name : `${files.length} files`} ·{' '}
              {(total / 1024).toFixed(1)} KiB
            </p>
          )}
          <FieldProblems problems={state.problems} fields={['path', 'type']} />
        </div>
      </FormSection>
      <ProblemList problems={state.problems} />
      <ProgressBar progress={state.progress} />
      {state.registered && (
        <Registered registered={state.registered} noun="data asset" detailBase={detailBase} />
      )}
      <div className="asset-form__actions">
        <button type="submit" className="button button--primary" disabled={state.busy}>
          {state.busy ? 'Uploading…' : 'Upload and register'}
        </button>
        <span className="muted small">
          The same as <code>studio data create --file data.yml</code>; files are stored
          content-addressed.
        </span>
      </div>
    </form>
  );
}
