import { useEffect, useRef, useState } from 'react';
import { relativeTime, statusClass } from '../jobs/format';
import type { ConnectionState } from '../jobs/job-socket';
import type { RunRow } from './types';

/** A sent value as the list shows it: text as is, the rest as JSON. */
function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The id a row is known by: its job, or the refused invocation. */
function rowId(row: RunRow): string {
  return row.job ? row.job.id : `refused-${row.id}`;
}

function stateText(
  connection: ConnectionState | null,
  failed: boolean,
  updatedAt: number | null,
): string {
  if (failed) return 'live updates paused: cannot reach the server';
  if (!connection || connection.state === 'connecting') return 'connecting…';
  if (connection.state === 'waiting') return 'reconnecting…';
  if (connection.state === 'refused') return 'not live: sign in again';
  if (connection.state === 'stopped') return 'not live';
  return updatedAt ? `live · updated ${new Date(updatedAt).toLocaleTimeString()}` : 'live';
}

function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

interface RecentRunsProps {
  rows: RunRow[];
  connection: ConnectionState | null;
  failed: boolean;
  updatedAt: number | null;
}

/** The endpoint's latest invocations: accepted ones with their job's status, refused ones with why. */
export function RecentRuns({ rows, connection, failed, updatedAt }: RecentRunsProps) {
  const now = useNow(30_000);
  // Rows that were not there before are marked new (an animation in studio.css).
  const seen = useRef<Set<string> | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  useEffect(() => {
    const ids = rows.map(rowId);
    if (seen.current === null) {
      seen.current = new Set(ids);
      return;
    }
    const known = seen.current;
    const arrived = ids.filter((id) => !known.has(id) && !id.startsWith('refused-'));
    ids.forEach((id) => known.add(id));
    if (arrived.length > 0) setFresh(new Set(arrived));
  }, [rows]);

  return (
    <section className="panel panel--flush" aria-labelledby="runs-title">
      <header className="panel-head panel-head--inset">
        <h2 id="runs-title">Recent runs</h2>
        <span className="muted small" data-runs-updated role="status">
          {stateText(connection, failed, updatedAt)}
        </span>
      </header>
      <table className="table table--compact runs-table">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Run</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Version
            </th>
            <th scope="col">By</th>
            <th scope="col">Parameters</th>
          </tr>
        </thead>
        <tbody data-runs>
          {rows.length === 0 ? (
            <tr className="runs-empty">
              <td colSpan={6} className="muted">
                No runs yet. Use “Try it” above, or call the endpoint with a key.
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <Row key={rowId(row)} row={row} now={now} isNew={fresh.has(rowId(row))} />
            ))
          )}
        </tbody>
      </table>
    </section>
  );
}

function Row({ row, now, isNew }: { row: RunRow; now: number; isNew: boolean }) {
  const job = row.job;
  // A refused call records what it was sent, which need not be an object.
  const sent =
    row.parameters && typeof row.parameters === 'object' && !Array.isArray(row.parameters)
      ? (row.parameters as Record<string, unknown>)
      : {};
  const names = Object.keys(sent);
  return (
    <tr data-run={job ? job.id : ''} className={isNew ? 'is-new' : undefined}>
      <td className="nowrap">
        <time dateTime={row.created_at} title={new Date(row.created_at).toLocaleString()}>
          {relativeTime(row.created_at, now)}
        </time>
      </td>
      <td>
        {job ? (
          <a href={job.url}>
            <code>{job.id}</code>
          </a>
        ) : (
          <span className="muted">not run</span>
        )}
      </td>
      <td>
        {job ? (
          <span className={`badge badge--${statusClass(job.status)}`} data-run-status>
            {job.status}
          </span>
        ) : (
          <span
            className="badge badge--failed"
            title={row.problems.map((p) => `${p.field ?? ''}: ${p.message}`).join('\n')}
          >
            Refused {row.status_code}
          </span>
        )}
      </td>
      <td className="num">{row.version ? `v${row.version}` : '—'}</td>
      <td>
        {row.key ? (
          <>
            key {row.key.name} <code className="small">{row.key.prefix}…</code>
          </>
        ) : (
          (row.user ?? '—')
        )}
      </td>
      <td>
        {names.length > 0 ? (
          <ul className="chips">
            {names.map((name) => (
              <li key={name} className="chip chip--mono">
                <span className="chip-key">{name}</span>
                {shown(sent[name])}
              </li>
            ))}
          </ul>
        ) : (
          <span className="muted">defaults</span>
        )}
      </td>
    </tr>
  );
}
