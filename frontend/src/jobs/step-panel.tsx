/**
 * The panel of the selected step: its facts, then tabs for the live log, the outputs with
 * previews, and the reuse key with why the step was (not) reused; and the metrics slot.
 */
import { useState } from 'react';
import { elapsedSeconds, formatDuration, statusClass, statusLabel } from './format';
import { EMPTY_LOG, type RunAction, type StepLog } from './job-state';
import { LogView } from './log-view';
import type { MetricSeries } from './metric-series';
import { OutputsView } from './outputs-view';
import { Fact, ReuseView } from './reuse-view';
import { StepMetrics } from './step-metrics';
import { STEP_ACTIVE, STEP_TERMINAL, type StepGraphNode, type StepInfo } from './types';

const NO_METRICS: MetricSeries = {};

type Tab = 'log' | 'outputs' | 'reuse';
const TABS: { id: Tab; label: string }[] = [
  { id: 'log', label: 'Log' },
  { id: 'outputs', label: 'Outputs' },
  { id: 'reuse', label: 'Reuse' },
];

interface StepPanelProps {
  job: string;
  node: StepGraphNode | undefined;
  step: StepInfo;
  log: StepLog | undefined;
  /** The step's metric points from the websocket's `metric` events. */
  metrics?: MetricSeries;
  /** Whether the websocket is live: the metrics are then read from REST only when needed. */
  live?: boolean;
  dispatch: (action: RunAction) => void;
  now: number;
  onClose: () => void;
}

function reusedLink(reusedFrom: string) {
  const [job, step] = reusedFrom.split('/');
  return (
    <a href={`/jobs/${encodeURIComponent(job ?? '')}/`}>
      {job}/{step}
    </a>
  );
}

export function StepPanel({
  job,
  node,
  step,
  log,
  metrics,
  live = false,
  dispatch,
  now,
  onClose,
}: StepPanelProps) {
  const [tab, setTab] = useState<Tab>('log');
  const duration = elapsedSeconds(step.started_at, step.finished_at, now);
  const running = STEP_ACTIVE.has(step.status) || !STEP_TERMINAL.has(step.status);
  const outputsVersion = `${step.status}:${Object.values(step.outputs)
    .map((o) => o.hash ?? '')
    .join(',')}`;
  const title = node?.label || step.step;
  const subtitle = [step.display_name !== title ? step.display_name : '', node?.component ?? '']
    .filter(Boolean)
    .join(' · ');
  return (
    <aside className="step-panel" aria-label={`Step ${step.step}`} data-testid="step-panel">
      <header className="step-panel__head">
        <div>
          <h2 className="step-panel__title">
            {title}{' '}
            <span className={`badge badge--${statusClass(step.status)}`} data-testid="step-status">
              {statusLabel(step.status)}
            </span>
            {step.reused_from ? <span className="badge badge--reused">reused</span> : null}
          </h2>
          {subtitle ? <p className="muted small step-panel__subtitle">{subtitle}</p> : null}
        </div>
        <button
          type="button"
          className="button button--ghost button--small"
          onClick={onClose}
          aria-label="Close the step panel"
        >
          ✕
        </button>
      </header>
      <dl className="facts facts--step">
        <Fact label="Compute">{step.compute ?? node?.compute ?? '—'}</Fact>
        <Fact label="Duration">{duration === null ? '—' : formatDuration(duration)}</Fact>
        <Fact label="Attempt">
          {step.attempt || '—'}
          {step.max_retries ? ` of ${step.max_retries + 1}` : ''}
        </Fact>
        <Fact label="Exit code">{step.exit_code ?? '—'}</Fact>
        {step.reused_from ? <Fact label="Reused from">{reusedLink(step.reused_from)}</Fact> : null}
        {step.next_attempt_at && !STEP_TERMINAL.has(step.status) ? (
          <Fact label="Next attempt">{new Date(step.next_attempt_at).toLocaleTimeString()}</Fact>
        ) : null}
      </dl>
      {step.status_reason ? (
        <pre className={`step-panel__reason step-panel__reason--${statusClass(step.status)}`}>
          {step.status_reason}
        </pre>
      ) : null}
      {/* REST is the initial load; `metric` events keep the charts current; REST polls only while
          the socket is down. */}
      <section className="step-panel__metrics" aria-label="Metrics">
        <StepMetrics
          job={job}
          step={step.step}
          info={step}
          live={metrics ?? NO_METRICS}
          polling={!live}
        />
      </section>
      <div className="step-panel__tabs" role="tablist" aria-label="Step details">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`step-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`step-tabpanel-${t.id}`}
            className={`step-panel__tab${tab === t.id ? ' is-active' : ''}`}
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div
        className="step-panel__body"
        role="tabpanel"
        id={`step-tabpanel-${tab}`}
        aria-labelledby={`step-tab-${tab}`}
      >
        {tab === 'log' ? (
          <LogView
            job={job}
            step={step.step}
            log={log ?? EMPTY_LOG}
            dispatch={dispatch}
            running={running}
          />
        ) : tab === 'outputs' ? (
          <OutputsView job={job} step={step.step} status={step.status} version={outputsVersion} />
        ) : (
          <ReuseView job={job} step={step.step} version={`${step.status}:${step.reuse_note}`} />
        )}
      </div>
    </aside>
  );
}
