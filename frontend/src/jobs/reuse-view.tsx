/**
 * A step's reuse key: its parts, and why it was reused or ran — which part changed since the
 * nearest earlier run of the same component (`runner/reuse_explain.py`).
 */
import { useEffect, useState, type ReactNode } from 'react';
import { fetchReuse, type ReuseExplanation } from './api';
import { formatValue } from './format';

function short(value: string | undefined): string {
  if (!value) return '—';
  return value.length > 28 ? `${value.slice(0, 27)}…` : value;
}

/** One `<dt>`/`<dd>` pair of a facts list. */
export function Fact({
  label,
  className,
  children,
}: {
  label: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className={className ? `facts__row ${className}` : 'facts__row'}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function jobLink(job: string, step: string) {
  return (
    <a href={`/jobs/${encodeURIComponent(job)}/`}>
      {job}/{step}
    </a>
  );
}

export function ReuseView({ job, step, version }: { job: string; step: string; version: string }) {
  const [load, setLoad] = useState<
    | { state: 'loading' }
    | { state: 'error'; error: string }
    | { state: 'ready'; value: ReuseExplanation }
  >({ state: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    fetchReuse(job, step, controller.signal).then(
      (value) => setLoad({ state: 'ready', value }),
      (err: unknown) => {
        if (!controller.signal.aborted) {
          setLoad({ state: 'error', error: err instanceof Error ? err.message : String(err) });
        }
      },
    );
    return () => controller.abort();
  }, [job, step, version]);

  if (load.state === 'loading') return <p className="muted small">Loading…</p>;
  if (load.state === 'error') return <p className="message message--error small">{load.error}</p>;
  const reuse = load.value;
  const parameters = Object.entries(reuse.parts.parameters ?? {});
  const inputs = Object.entries(reuse.parts.inputs ?? {});
  const changed = new Set(reuse.changes.map((c) => `${c.part}:${c.name ?? ''}`));
  const mark = (part: string, name = '') =>
    changed.has(`${part}:${name}`) ? 'is-changed' : undefined;
  return (
    <div className="reuse-view">
      <p
        className={`reuse-view__summary${reuse.reused ? ' is-reused' : ''}`}
        data-testid="reuse-summary"
      >
        {reuse.summary}
      </p>
      {reuse.reused_from ? (
        <p className="small">
          Outputs of {jobLink(reuse.reused_from.job, reuse.reused_from.step)}.
        </p>
      ) : null}
      {reuse.compared_with ? (
        <p className="small muted">
          Compared with {jobLink(reuse.compared_with.job, reuse.compared_with.step)} (
          {reuse.compared_with.status}, version {reuse.compared_with.version}).
        </p>
      ) : null}
      {reuse.changes.length ? (
        <table className="table table--compact" aria-label="What changed">
          <thead>
            <tr>
              <th scope="col">Changed</th>
              <th scope="col">Before</th>
              <th scope="col">Now</th>
            </tr>
          </thead>
          <tbody>
            {reuse.changes.map((c, i) => (
              <tr key={i}>
                <td>
                  {c.name ? `${c.part === 'parameters' ? 'parameter' : 'input'} ${c.name}` : c.part}
                </td>
                <td>
                  <code>{short(formatValue(c.before))}</code>
                </td>
                <td>
                  <code>{short(formatValue(c.now))}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {reuse.key ? (
        <>
          <h4 className="step-panel__subhead">Reuse key parts</h4>
          <dl className="facts facts--parts">
            <Fact label="Key">
              <code title={reuse.key}>{short(reuse.key)}</code>
            </Fact>
            <Fact label="Component" className={mark('component')}>
              <code title={reuse.parts.component}>{short(reuse.parts.component)}</code>
            </Fact>
            <Fact label="Code" className={mark('code')}>
              <code title={reuse.parts.code}>{short(reuse.parts.code)}</code>
            </Fact>
            <Fact label="Environment" className={mark('environment')}>
              <code title={reuse.parts.environment}>{short(reuse.parts.environment)}</code>
            </Fact>
            {parameters.map(([name, value]) => (
              <Fact
                key={`p-${name}`}
                label={`Parameter ${name}`}
                className={mark('parameters', name)}
              >
                <code>{formatValue(value)}</code>
              </Fact>
            ))}
            {inputs.map(([name, value]) => (
              <Fact key={`i-${name}`} label={`Input ${name}`} className={mark('inputs', name)}>
                <code title={value}>{short(value)}</code>
              </Fact>
            ))}
          </dl>
        </>
      ) : null}
    </div>
  );
}
