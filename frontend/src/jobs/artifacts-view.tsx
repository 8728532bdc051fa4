/**
 * A step's "Outputs + logs": what it wrote under ./outputs and ./logs of its working folder, kept
 * when it ended (failed or not) as Azure ML keeps them; each file with a download link, and what
 * was left out (symbolic links are never followed). `runner/api/artifacts.py` serves them.
 */
import { useEffect, useState } from 'react';
import { apiFetch } from '../lib/csrf';
import { jobApi } from './api';
import { formatBytes } from './format';

export interface ArtifactListing {
  step: string;
  /** JOB/STEP of the run a reused step shows the artifacts of. */
  reused_from: string | null;
  files: { path: string; size: number; download: string }[];
  skipped: { path: string; reason: string }[];
}

const ENDED = ['Completed', 'Failed', 'Canceled'];

export function fetchArtifacts(job: string, step: string, signal?: AbortSignal) {
  return apiFetch<ArtifactListing>(`${jobApi(job)}steps/${encodeURIComponent(step)}/artifacts/`, {
    signal,
  });
}

export function ArtifactList({ listing, status }: { listing: ArtifactListing; status: string }) {
  const { files, skipped } = listing;
  if (!files.length && !skipped.length) {
    return (
      <p className="muted small">
        {ENDED.includes(status)
          ? 'The step wrote nothing under ./outputs or ./logs.'
          : 'Files the step writes under ./outputs and ./logs appear when it ends.'}
      </p>
    );
  }
  return (
    <>
      {listing.reused_from ? (
        <p className="muted small">From the run this step reused, {listing.reused_from}.</p>
      ) : null}
      <ul className="output-files" aria-label="Outputs + logs">
        {files.map((file) => (
          <li key={file.path} className="output-file">
            <div className="output-file__row">
              <code className="output-file__path">{file.path}</code>
              <span className="muted small">{formatBytes(file.size)}</span>
              <span className="output-file__actions">
                <a
                  className="button button--small"
                  href={file.download}
                  download
                  aria-label={`Download ${file.path}`}
                >
                  Download
                </a>
              </span>
            </div>
          </li>
        ))}
      </ul>
      {skipped.length ? (
        <ul className="output-files" aria-label="Left out">
          {skipped.map((entry) => (
            <li key={entry.path} className="muted small">
              <code>{entry.path}</code> left out: {entry.reason}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

type Load =
  | { state: 'loading' }
  | { state: 'error'; error: string }
  | { state: 'ready'; value: ArtifactListing };

export function ArtifactsView({
  job,
  step,
  status,
}: {
  job: string;
  step: string;
  status: string;
}) {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    fetchArtifacts(job, step, controller.signal).then(
      (value) => setLoad({ state: 'ready', value }),
      (err: unknown) => {
        if (!controller.signal.aborted) {
          setLoad({ state: 'error', error: err instanceof Error ? err.message : String(err) });
        }
      },
    );
    return () => controller.abort();
  }, [job, step, status]);
  return (
    <section className="output" data-testid="artifacts">
      <div className="output__head">
        <strong>Outputs + logs</strong>
        <span className="muted small">./outputs and ./logs of the step&apos;s working folder</span>
      </div>
      {load.state === 'loading' ? <p className="muted small">Loading the files…</p> : null}
      {load.state === 'error' ? <p className="message message--error small">{load.error}</p> : null}
      {load.state === 'ready' ? <ArtifactList listing={load.value} status={status} /> : null}
    </section>
  );
}
