/**
 * A step's outputs: every file with a download link, and previews — a CSV's first rows as a
 * table, images, JSON pretty-printed, the head of a text file; then its "Outputs + logs".
 * A table can be explored (statistics, histograms, pages of rows), and Evaluate Model's
 * scores.csv is drawn as curves with a threshold (or residuals).
 */
import { useEffect, useMemo, useState } from 'react';
import { ArtifactsView } from './artifacts-view';
import { EvaluationButton, SCORES_FILE } from './evaluation-view';
import './results.css';
import { TableExplorerDialog } from './table-explorer';
import { fetchOutputs, fetchPreview, outputFileUrl, type OutputListing, type Preview } from './api';
import { previewCsv } from './csv';
import { formatBytes } from './format';

const PREVIEW_ROWS = 50;
const TABLE = /\.(csv|tsv)$/i;
const PREVIEWABLE = /\.(csv|tsv|json|txt|log|md|ya?ml|png|jpe?g|gif|py|html?|xml|ini|cfg|toml)$/i;

type Load<T> =
  { state: 'loading' } | { state: 'error'; error: string } | { state: 'ready'; value: T };

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function CsvTable({
  text,
  delimiter,
  truncated,
}: {
  text: string;
  delimiter: string;
  truncated: boolean;
}) {
  const table = useMemo(
    () => previewCsv(text, { delimiter, maxRows: PREVIEW_ROWS, truncated }),
    [text, delimiter, truncated],
  );
  const columns = Array.from({ length: table.columns }, (_, i) => i);
  return (
    <div className="preview-table">
      <table className="table table--compact" aria-label="CSV preview">
        <thead>
          <tr>
            {columns.map((i) => (
              <th key={i} scope="col">
                {table.header[i] ?? ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, r) => (
            <tr key={r}>
              {columns.map((i) => (
                <td key={i}>{row[i] ?? ''}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        {table.rows.length} row{table.rows.length === 1 ? '' : 's'}
        {table.more ? ` shown — the first ${PREVIEW_ROWS} at most; download for the rest` : ''}
      </p>
    </div>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function PreviewBody({ preview }: { preview: Preview }) {
  switch (preview.kind) {
    case 'csv':
    case 'tsv':
      return (
        <CsvTable
          text={preview.text ?? ''}
          delimiter={preview.kind === 'tsv' ? '\t' : ','}
          truncated={preview.truncated}
        />
      );
    case 'json':
      return <pre className="preview-text">{prettyJson(preview.text ?? '')}</pre>;
    case 'image':
      return <img className="preview-image" src={preview.download} alt={preview.path} />;
    case 'text':
      return (
        <>
          <pre className="preview-text">{preview.text}</pre>
          {preview.truncated ? (
            <p className="muted small">The beginning of the file; download it for the rest.</p>
          ) : null}
        </>
      );
    default:
      return (
        <p className="muted small">
          No preview for this file ({preview.content_type}); download it.
        </p>
      );
  }
}

function FilePreview({
  job,
  step,
  output,
  path,
}: {
  job: string;
  step: string;
  output: string;
  path: string;
}) {
  const [load, setLoad] = useState<Load<Preview>>({ state: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    fetchPreview(job, step, output, path, controller.signal).then(
      (value) => setLoad({ state: 'ready', value }),
      (err: unknown) => {
        if (!controller.signal.aborted) setLoad({ state: 'error', error: errorText(err) });
      },
    );
    return () => controller.abort();
  }, [job, step, output, path]);
  if (load.state === 'loading') return <p className="muted small">Loading the preview…</p>;
  if (load.state === 'error') return <p className="message message--error small">{load.error}</p>;
  return <PreviewBody preview={load.value} />;
}

function OutputFileRow({
  job,
  step,
  output,
  file,
  initiallyOpen,
}: {
  job: string;
  step: string;
  output: string;
  file: { path: string; size: number };
  initiallyOpen: boolean;
}) {
  const [open, setOpen] = useState(initiallyOpen);
  const [exploring, setExploring] = useState(false);
  return (
    <li className="output-file">
      <div className="output-file__row">
        <code className="output-file__path">{file.path}</code>
        <span className="muted small">{formatBytes(file.size)}</span>
        <span className="output-file__actions">
          <button
            type="button"
            className="button button--small"
            aria-expanded={open}
            onClick={() => setOpen(!open)}
            aria-label={`${open ? 'Hide preview of' : 'Preview'} ${file.path}`}
          >
            {open ? 'Hide' : 'Preview'}
          </button>
          {TABLE.test(file.path) ? (
            <button
              type="button"
              className="button button--small"
              onClick={() => setExploring(true)}
              aria-label={`Explore ${file.path}`}
            >
              Explore
            </button>
          ) : null}
          <a
            className="button button--small"
            href={outputFileUrl(job, step, output, file.path)}
            download
          >
            Download
          </a>
        </span>
      </div>
      {open ? (
        <div className="output-file__preview">
          <FilePreview job={job} step={step} output={output} path={file.path} />
        </div>
      ) : null}
      {exploring ? (
        <TableExplorerDialog
          job={job}
          step={step}
          output={output}
          path={file.path}
          onClose={() => setExploring(false)}
        />
      ) : null}
    </li>
  );
}

/** The asset an output was registered as, linked to its page. */
export function RegisteredAs({ asset, type }: { asset: string; type: string }) {
  const [name, version] = asset.split(':');
  const folder = type === 'mlflow_model' || type === 'custom_model' ? 'models' : 'data';
  const href = `/${folder}/${encodeURIComponent(name ?? '')}/${encodeURIComponent(version ?? '')}/`;
  return (
    <span className="small" data-testid="registered-as">
      registered as <a href={href}>{asset}</a>
    </span>
  );
}

interface OutputsViewProps {
  job: string;
  step: string;
  status: string;
  /** Changes when the step's outputs change (their hashes), to read the listing again. */
  version: string;
}

export function OutputsView({ job, step, status, version }: OutputsViewProps) {
  return (
    <>
      <DeclaredOutputs job={job} step={step} status={status} version={version} />
      <ArtifactsView job={job} step={step} status={status} />
    </>
  );
}

function DeclaredOutputs({ job, step, status, version }: OutputsViewProps) {
  const [load, setLoad] = useState<Load<Record<string, OutputListing>>>({ state: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    fetchOutputs(job, step, controller.signal).then(
      (value) => setLoad({ state: 'ready', value }),
      (err: unknown) => {
        if (!controller.signal.aborted) setLoad({ state: 'error', error: errorText(err) });
      },
    );
    return () => controller.abort();
  }, [job, step, version]);

  if (load.state === 'loading') return <p className="muted small">Loading the outputs…</p>;
  if (load.state === 'error') return <p className="message message--error small">{load.error}</p>;
  const outputs = Object.entries(load.value);
  if (!outputs.length) {
    return (
      <p className="muted small">
        {status === 'Completed'
          ? 'This step has no outputs.'
          : 'Outputs appear when the step completes.'}
      </p>
    );
  }
  return (
    <ul className="output-list">
      {outputs.map(([name, output]) => (
        <li key={name} className="output">
          <div className="output__head">
            <strong>{name}</strong>
            <span className="muted small">
              {output.type}
              {output.size !== undefined && output.size !== null
                ? ` · ${formatBytes(output.size)}`
                : ''}
            </span>
            {output.hash ? (
              <code className="small" title={output.hash}>
                {output.hash.slice(0, 19)}…
              </code>
            ) : null}
            {output.asset ? <RegisteredAs asset={output.asset} type={output.type} /> : null}
          </div>
          {output.files.some((file) => file.path === SCORES_FILE) ? (
            <EvaluationButton job={job} step={step} output={name} />
          ) : null}
          {output.files.length ? (
            <ul className="output-files">
              {output.files.map((file, i) => (
                <OutputFileRow
                  key={file.path}
                  job={job}
                  step={step}
                  output={name}
                  file={file}
                  initiallyOpen={i === 0 && output.files.length <= 3 && PREVIEWABLE.test(file.path)}
                />
              ))}
            </ul>
          ) : (
            <p className="muted small">No files.</p>
          )}
        </li>
      ))}
    </ul>
  );
}
