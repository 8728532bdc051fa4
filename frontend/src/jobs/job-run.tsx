/**
 * The job page island (`/jobs/<name>/`): the header with status, elapsed time, parameters and
 * actions; the pipeline graph coloured live by step status; and the panel of the selected step.
 * Everything live comes from the job websocket (`run-store.ts`).
 */
import { ReactFlowProvider } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useState } from 'react';
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
import { GroupPanel } from './group-panel';
import { useOpenGroups } from './open-groups';
import { CancelButton, ResubmitButton } from './run-actions';
import { RunGraph, type Selection } from './run-graph';
import { indexGroups, revealStep, summarizeGroup } from './run-groups';
import { useJobRun, useNow } from './run-store';
import { StepPanel } from './step-panel';
import {
  JOB_TERMINAL,
  type JobRunProps,
  type JobWarning,
  type RunGraphData,
  type StepGraphNode,
} from './types';

const NO_GRAPH: RunGraphData = { nodes: [], edges: [] };

/** `#step=NAME` or `#group=NAME` (names of steps inside pipeline components have dots). */
function selectedFromHash(): Selection | null {
  if (typeof window === 'undefined') return null;
  const match = /^#(step|group)=([\w.-]+)$/.exec(window.location.hash);
  return match ? { kind: match[1] as Selection['kind'], id: match[2]! } : null;
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
  const { job: name, urls = {}, graph = NO_GRAPH, parameters = [] } = props;
  const { run, connection, store } = useJobRun(urls.socket ?? `/ws/jobs/${name}/`);
  const job = run.job;
  const status = job?.status ?? null;
  const terminal = status !== null && JOB_TERMINAL.has(status);
  const now = useNow(!terminal);
  const [selected, setSelected] = useState<Selection | null>(selectedFromHash);
  const index = useMemo(() => indexGroups(graph), [graph]);
  const { open, toggle, update: updateOpen } = useOpenGroups(name);
  const [cancelState, setCancelState] = useState<{ busy: boolean; error: string | null }>({
    busy: false,
    error: null,
  });

  const select = useCallback((selection: Selection | null) => {
    setSelected(selection);
    const hash = selection ? `#${selection.kind}=${selection.id}` : '';
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

  // A step chosen inside closed pipeline components (from the URL or a group's panel) shows;
  // closing a group around it later is left alone.
  const selectedStepName = selected?.kind === 'step' ? selected.id : null;
  useEffect(() => {
    if (selectedStepName) updateOpen((current) => revealStep(index, current, selectedStepName));
  }, [selectedStepName, index, updateOpen]);

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
  const selectedStep = selectedStepName ? run.steps[selectedStepName] : undefined;
  const selectedNode = graph.nodes.find(
    (n): n is StepGraphNode => n.kind === 'step' && n.id === selectedStepName,
  );
  const selectedGroup = selected?.kind === 'group' ? index.groups.get(selected.id) : undefined;
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
            {/* A finished job changes no more: no "Live" badge; a refused socket still says why. */}
            {terminal && connection.state !== 'refused' ? null : (
              <ConnectionBadge connection={connection} synced={run.synced} />
            )}
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
          {urls.cancel && status !== null && !terminal && status !== 'CancelRequested' ? (
            <CancelButton busy={cancelState.busy} onConfirm={() => void onCancel()} />
          ) : null}
          {urls.rerunApi ? (
            <ResubmitButton
              job={name}
              url={urls.rerunApi}
              parameters={props.rerunParameters ?? []}
            />
          ) : urls.rerun ? (
            <ActionForm action={urls.rerun} token={token} label="Resubmit" />
          ) : null}
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
      <div className={`job-run__main${selectedStep || selectedGroup ? ' has-panel' : ''}`}>
        <ReactFlowProvider>
          <RunGraph
            graph={graph}
            index={index}
            open={open}
            onToggle={toggle}
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
        ) : selectedGroup ? (
          <GroupPanel
            key={selectedGroup.id}
            group={selectedGroup}
            summary={summarizeGroup(index, selectedGroup.id, run.steps)}
            steps={run.steps}
            open={open.has(selectedGroup.id)}
            now={now}
            onToggle={toggle}
            onSelectStep={(step) => select({ kind: 'step', id: step })}
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
