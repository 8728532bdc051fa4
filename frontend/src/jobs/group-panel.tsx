/**
 * The panel of a selected pipeline component (group): its component, inputs as its parent bound
 * them, outputs (the step outputs they are), and its steps with their live status.
 */
import { elapsedSeconds, formatDuration, formatValue, statusClass, statusLabel } from './format';
import { Fact } from './reuse-view';
import type { GroupSummary } from './run-groups';
import type { RunGraphGroup, StepInfo } from './types';

interface GroupPanelProps {
  group: RunGraphGroup;
  summary: GroupSummary;
  steps: Record<string, StepInfo>;
  open: boolean;
  now: number;
  onToggle: (group: string) => void;
  onSelectStep: (step: string) => void;
  onClose: () => void;
}

function inputValue(port: RunGraphGroup['inputs'][number]): string {
  if (port.bound === 'literal') return formatValue(port.value);
  if (port.bound === 'step_output' && port.source) return `${port.source}.${port.sourceHandle}`;
  if (port.bound === 'data') return formatValue(port.value ?? 'uploaded data');
  return '—';
}

export function GroupPanel({
  group,
  summary,
  steps,
  open,
  now,
  onToggle,
  onSelectStep,
  onClose,
}: GroupPanelProps) {
  const duration = elapsedSeconds(summary.started_at, summary.finished_at, now);
  const prefix = `${group.id}.`;
  return (
    <aside className="step-panel" aria-label={`Group ${group.id}`} data-testid="group-panel">
      <header className="step-panel__head">
        <div>
          <h2 className="step-panel__title">
            {group.label}{' '}
            <span
              className={`badge badge--${statusClass(summary.status)}`}
              data-testid="group-status"
            >
              {statusLabel(summary.status)}
            </span>
          </h2>
          <p className="muted small step-panel__subtitle">
            pipeline component <code>{group.component}</code>
          </p>
        </div>
        <button
          type="button"
          className="button button--ghost button--small"
          onClick={onClose}
          aria-label="Close the group panel"
        >
          ✕
        </button>
      </header>
      <dl className="facts facts--step">
        <Fact label="Step">{group.id}</Fact>
        <Fact label="Duration">{duration === null ? '—' : formatDuration(duration)}</Fact>
        <Fact label="Progress">
          {summary.done} of {summary.steps.length} steps finished
        </Fact>
      </dl>
      <div className="group-panel__body">
        <p className="group-panel__actions">
          <button type="button" className="button button--small" onClick={() => onToggle(group.id)}>
            {open ? 'Close in the graph' : 'Open in the graph'}
          </button>
        </p>
        {group.inputs.length ? (
          <section aria-label="Inputs">
            <h3 className="step-panel__subhead">Inputs</h3>
            <table className="table table--compact">
              <tbody>
                {group.inputs.map((port) => (
                  <tr key={port.name}>
                    <th scope="row">{port.name}</th>
                    <td className="muted">{port.type}</td>
                    <td>
                      <code>{inputValue(port)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ) : null}
        {group.outputs.length ? (
          <section aria-label="Outputs">
            <h3 className="step-panel__subhead">Outputs</h3>
            <table className="table table--compact">
              <tbody>
                {group.outputs.map((port) => (
                  <tr key={port.name}>
                    <th scope="row">{port.name}</th>
                    <td className="muted">{port.type}</td>
                    <td>
                      <code>
                        {port.step}.{port.output}
                      </code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ) : null}
        <section aria-label="Steps">
          <h3 className="step-panel__subhead">Steps</h3>
          <ul className="group-panel__steps">
            {summary.steps.map((name) => {
              const status = steps[name]?.status ?? 'NotStarted';
              return (
                <li key={name}>
                  <button
                    type="button"
                    className="group-panel__step"
                    onClick={() => onSelectStep(name)}
                  >
                    {name.startsWith(prefix) ? name.slice(prefix.length) : name}
                  </button>{' '}
                  <span className={`badge badge--${statusClass(status)}`}>
                    {statusLabel(status)}
                  </span>
                </li>
              );
            })}
          </ul>
        </section>
      </div>
    </aside>
  );
}
