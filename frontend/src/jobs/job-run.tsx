/**
 * The job page island (`/jobs/<name>/`): the header with status, elapsed time, parameters and
 * actions; the pipeline graph coloured live by step status; and the panel of the selected step.
 * Everything live comes from the job websocket (`run-store.ts`).
 */
import { ReactFlowProvider } from '@xyflow/react';
import { useCallback, useEffect, useState } from 'react';
import { cancelJob } from './api';
import {
  elapsedSeconds,
  formatDuration,
  formatValue,
  relativeTime,
  statusClass,
  statusLabel,
} from './format';
import type { ConnectionState } from './job-socket';
import './jobs.css';
import { RunGraph } from './run-graph';
import { useJobRun, useNow } from './run-store';
import { StepPanel } from './step-panel';
import { JOB_TERMINAL, type JobRunProps, type JobWarning, type StepGraphNode } from './types';

function selectedFromHash(): string | null {
  if (typeof window === 'undefined') return null;
  const match = /^#step=([\w-]+)$/.exec(window.location.hash);
  return match ? match[1]! : null;
}

function ConnectionBadge({ connection, synced }: { connection: ConnectionState; synced: boolean }) {
  let text = 'Connecting…';
  let kind = 'connecting';
  if (connection.state === 'live' && synced) {
    text = 'Live';
    kind = 'live';
  } else if (connection.state === 'waiting') {
    text = 'Reconnecting…';
    kind = 'waiting';
  } else if (connection.state === 'refused') {
    text =
      connection.code === 4401
        ? 'Signed out — sign in again for live updates'
        : connection.code === 4404
          ? 'This job no longer exists'
          : 'Live updates refused';
    kind = 'refused';
  } else if (connection.state === 'connecting' && connection.attempt > 0) {
    text = 'Reconnecting…';
    kind = 'waiting';
  }
  return (
    <span className={`live-badge live-badge--${kind}`} role="status" data-testid="connection">
      {text}
    </span>
  );
}

function ActionForm({
  action,
  token,
  label,
  className,
}: {
  action: string;
  token: string;
  label: string;
  className?: string;
}) {
  return (
    <form method="post" action={action}>
      <input type="hidden" name="csrfmiddlewaretoken" value={token} />
      <button type="submit" className={className ?? 'button'}>
        {label}
      </button>
    </form>
  );
}

/** Fields of the job's YAML that were accepted but have no effect here, each with where it is. */
export function WarningsNotice({ warnings }: { warnings: JobWarning[] }) {
  if (!warnings.length) return null;
  const count = `${warnings.length} field${warnings.length === 1 ? '' : 's'}`;
  return (
    <details className="message message--warning job-run__warnings" data-testid="job-warnings">
      <summary>
        {count} of this job&apos;s YAML {warnings.length === 1 ? 'has' : 'have'} no effect here
      </summary>
      <ul>
        {warnings.map((warning, index) => (
          <li key={`${warning.field}-${index}`}>
            <code>
              {warning.file ? `${warning.file}${warning.line ? `:${warning.line}` : ''}: ` : ''}
              {warning.field}
            </code>{' '}
            {warning.message}
          </li>
        ))}
      </ul>
    </details>
  );
}

export function JobRun(props: JobRunProps) {
  const { job: name, urls = {}, graph = { nodes: [], edges: [] }, parameters = [] } = props;
  const { run, connection, store } = useJobRun(urls.socket ?? `/ws/jobs/${name}/`);
  const job = run.job;
  const status = job?.status ?? null;
  const terminal = status !== null && JOB_TERMINAL.has(status);
  const now = useNow(!terminal);
  const [selected, setSelected] = useState<string | null>(selectedFromHash);
  const [cancelState, setCancelState] = useState<{ busy: boolean; error: string | null }>({
    busy: false,
    error: null,
  });

  const select = useCallback((step: string | null) => {
    setSelected(step);
    const hash = step ? `#step=${step}` : '';
    if (window.location.hash !== hash) {
      window.history.replaceState(
        null,
        '',
        `${window.location.pathname}${window.location.search}${hash}`,
      );
    }
  }, []);

  useEffect(() => {
    const onHash = () => setSelected(selectedFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const onCancel = async () => {
    setCancelState({ busy: true, error: null });
    try {
      await cancelJob(name);
      setCancelState({ busy: false, error: null });
    } catch (err) {
      setCancelState({ busy: false, error: err instanceof Error ? err.message : String(err) });
    }
  };

  const elapsed = elapsedSeconds(job?.started_at, job?.finished_at, now);
  const selectedStep = selected ? run.steps[selected] : undefined;
  const selectedNode = graph.nodes.find(
    (n): n is StepGraphNode => n.kind === 'step' && n.id === selected,
  );
  const token = props.csrfToken ?? '';
  const title = job?.display_name || props.displayName || name;

  return (
    <div className="job-run">
      <header className="job-run__head">
        <div className="job-run__heading">
          <h1>
            {title}{' '}
            <span
              className={`badge badge--large badge--${statusClass(status)}`}
              data-testid="job-status"
            >
              {status ? statusLabel(status) : '…'}
            </span>
          </h1>
          <p className="muted job-run__facts">
            <code>{name}</code>
            {props.experiment ? <span>experiment {props.experiment}</span> : null}
            <span>
              submitted {relativeTime(job?.created_at, now)}
              {props.createdBy ? ` by ${props.createdBy}` : ''}
            </span>
            <span title="Elapsed time" data-testid="job-elapsed">
              {elapsed === null
                ? 'not started'
                : `${terminal ? 'ran' : 'running for'} ${formatDuration(elapsed)}`}
            </span>
            {props.rerunOf ? (
              <span>
                resubmitted from{' '}
                <a href={`/jobs/${encodeURIComponent(props.rerunOf)}/`}>{props.rerunOf}</a>
              </span>
            ) : null}
            <ConnectionBadge connection={connection} synced={run.synced} />
          </p>
          {parameters.length ? (
            <ul className="job-run__parameters" aria-label="Parameters">
              {parameters.map((p) => (
                <li key={p.name} className="param-chip" title={p.kind}>
                  <span className="param-chip__name">{p.name}</span>
                  <span className="param-chip__value">{formatValue(p.value)}</span>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        <div className="actions-row job-run__actions">
          {status !== null && !terminal && status !== 'CancelRequested' ? (
            <button
              type="button"
              className="button button--danger"
              onClick={onCancel}
              disabled={cancelState.busy}
            >
              {cancelState.busy ? 'Canceling…' : 'Cancel'}
            </button>
          ) : null}
          {urls.rerun ? <ActionForm action={urls.rerun} token={token} label="Resubmit" /> : null}
          {urls.clone ? (
            <ActionForm action={urls.clone} token={token} label="Clone to draft" />
          ) : null}
          {/* Publishing is built with the endpoints work; this only links to its page. */}
          {urls.publish ? (
            <a className="button" href={urls.publish} data-slot="publish">
              Publish
            </a>
          ) : null}
        </div>
      </header>
      <WarningsNotice warnings={props.warnings ?? []} />
      {job?.status_reason ? (
        <p className={`message message--${status === 'Failed' ? 'error' : 'info'} job-run__reason`}>
          {job.status_reason}
        </p>
      ) : null}
      {cancelState.error ? (
        <p className="message message--error" role="alert">
          {cancelState.error}
        </p>
      ) : null}
      <div className={`job-run__main${selectedStep ? ' has-panel' : ''}`}>
        <ReactFlowProvider>
          <RunGraph
            nodes={graph.nodes}
            edges={graph.edges}
            steps={run.steps}
            selected={selected}
            onSelect={select}
            now={now}
          />
        </ReactFlowProvider>
        {selectedStep ? (
          <StepPanel
            key={selectedStep.step}
            job={name}
            node={selectedNode}
            step={selectedStep}
            log={run.logs[selectedStep.step]}
            metrics={run.metrics[selectedStep.step]}
            live={connection.state === 'live' && run.synced}
            dispatch={store.dispatch}
            now={now}
            onClose={() => select(null)}
          />
        ) : (
          <p className="job-run__hint muted small">
            Select a step to see its log, outputs and reuse.
          </p>
        )}
      </div>
    </div>
  );
}
