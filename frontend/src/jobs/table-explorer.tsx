/**
 * Azure's "Visualize" for a table a step wrote: its rows a page at a time, and for each column its
 * statistics (count, missing, unique; mean, std, min, median, max and a histogram for numbers; the
 * most frequent values for strings). Opens as a modal dialog from the outputs list. The server
 * streams the file and computes statistics over at most its first 100,000 rows (said here when so).
 */
import { useEffect, useRef, useState } from 'react';
import { BarChart, shortNumber } from './charts';
import { fetchTable, type ColumnStats, type TablePage } from './explore-api';

const PAGE = 50;
const MISSING = new Set(['', 'NA', 'N/A', 'n/a', 'NaN', 'nan', 'null', 'NULL', 'None', '<NA>']);

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function MiniBars({ counts }: { counts: number[] }) {
  const top = Math.max(1, ...counts);
  const width = 60 / Math.max(1, counts.length);
  return (
    <svg className="mini-bars" viewBox="0 0 60 16" aria-hidden="true">
      {counts.map((c, i) => (
        <rect
          key={i}
          x={i * width}
          y={16 - (c / top) * 16}
          width={Math.max(0.5, width - 0.5)}
          height={(c / top) * 16}
        />
      ))}
    </svg>
  );
}

function miniCounts(stats: ColumnStats): number[] {
  return stats.type === 'number' ? stats.histogram.counts : stats.top.map((t) => t.count);
}

export function ColumnPanel({ stats, rows }: { stats: ColumnStats; rows: number }) {
  const figures: [string, string][] = [
    ['Type', stats.type === 'number' ? 'Numeric' : 'String'],
    ['Count', String(stats.count)],
    [
      'Missing',
      `${stats.missing}${rows ? ` (${((100 * stats.missing) / rows).toFixed(1)} %)` : ''}`,
    ],
    ['Unique', String(stats.unique)],
  ];
  if (stats.type === 'number') {
    figures.push(
      ['Mean', shortNumber(stats.mean)],
      ['Std', stats.std === null ? '—' : shortNumber(stats.std)],
      ['Min', shortNumber(stats.min)],
      ['Median', shortNumber(stats.median)],
      ['Max', shortNumber(stats.max)],
    );
  }
  return (
    <section className="column-panel" aria-label={`Statistics of ${stats.name}`}>
      <h3 className="column-panel__name">{stats.name}</h3>
      <dl className="column-panel__figures">
        {figures.map(([term, value]) => (
          <div key={term} className={term === 'Missing' && stats.missing ? 'has-missing' : ''}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {stats.type === 'number' ? (
        <BarChart
          label={`Histogram of ${stats.name}`}
          counts={stats.histogram.counts}
          labels={stats.histogram.edges.slice(0, -1).map(shortNumber)}
          xLabel="bins (from the lower edge)"
        />
      ) : stats.top.length ? (
        <>
          <BarChart
            label={`Most frequent values of ${stats.name}`}
            counts={stats.top.map((t) => t.count)}
            labels={stats.top.map((t) => t.value)}
            xLabel="most frequent values"
          />
          {stats.other ? (
            <p className="muted small">{stats.other} other values not shown.</p>
          ) : null}
        </>
      ) : (
        <p className="muted small">Every cell is missing.</p>
      )}
    </section>
  );
}

function Explorer({
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
  const [first, setFirst] = useState<TablePage | null>(null);
  const [page, setPage] = useState<TablePage | null>(null);
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState(0);
  const [error, setError] = useState('');

  useEffect(() => {
    const controller = new AbortController();
    const wantStats = first === null;
    fetchTable(
      job,
      step,
      output,
      path,
      { offset, limit: PAGE, stats: wantStats },
      controller.signal,
    ).then(
      (value) => {
        if (wantStats) setFirst(value);
        setPage(value);
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setError(errorText(err));
      },
    );
    return () => controller.abort();
    // `first` is read only to ask for statistics once.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [job, step, output, path, offset]);

  if (error) return <p className="message message--error">{error}</p>;
  if (!first || !page) return <p className="muted">Reading the table…</p>;
  const stats = first.stats ?? [];
  const total = first.complete ? first.scanned : null;
  const last = offset + page.rows.length;
  const column = stats[selected];
  return (
    <div className="explorer">
      <p className="explorer__summary">
        <strong>{total ?? `${first.scanned.toLocaleString()}+`}</strong> rows ·{' '}
        <strong>{first.columns.length}</strong> columns
        {first.complete ? null : (
          <span className="explorer__capped" role="note">
            {' '}
            · statistics cover the first {first.scanned.toLocaleString()} rows only (the file is
            larger than the {first.stats_max_rows.toLocaleString()}-row limit); download it for the
            rest
          </span>
        )}
      </p>
      <div className="explorer__body">
        <div className="explorer__table">
          <table className="table table--compact" aria-label={`Rows of ${path}`}>
            <thead>
              <tr>
                {first.columns.map((name, i) => {
                  const s = stats[i];
                  return (
                    <th key={i} scope="col" className={i === selected ? 'is-selected' : ''}>
                      <button
                        type="button"
                        className="explorer__column"
                        aria-pressed={i === selected}
                        onClick={() => setSelected(i)}
                      >
                        <span>{name}</span>
                        {s ? <MiniBars counts={miniCounts(s)} /> : null}
                        {s?.missing ? (
                          <span className="explorer__missing-count">{s.missing} missing</span>
                        ) : null}
                      </button>
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {page.rows.map((row, r) => (
                <tr key={offset + r}>
                  {row.map((cell, c) =>
                    MISSING.has(cell.trim()) ? (
                      <td key={c} className="is-missing" title="missing">
                        {cell.trim() || 'missing'}
                      </td>
                    ) : (
                      <td key={c} className={c === selected ? 'is-selected' : ''}>
                        {cell}
                      </td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {column ? <ColumnPanel stats={column} rows={first.scanned} /> : null}
      </div>
      <div className="explorer__pager">
        <button
          type="button"
          className="button button--small"
          disabled={offset === 0}
          onClick={() => setOffset(Math.max(0, offset - PAGE))}
        >
          ← Previous
        </button>
        <span className="small" aria-live="polite">
          Rows {page.rows.length ? offset + 1 : 0}–{last}
          {total !== null ? ` of ${total}` : ''}
        </span>
        <button
          type="button"
          className="button button--small"
          disabled={total !== null ? last >= total : page.rows.length < PAGE}
          onClick={() => setOffset(offset + PAGE)}
        >
          Next →
        </button>
      </div>
    </div>
  );
}

/** The explorer in a modal dialog; Escape or Close ends it. */
export function TableExplorerDialog(props: {
  job: string;
  step: string;
  output: string;
  path: string;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="explorer-dialog"
      aria-label={`Explore ${props.path}`}
      onClose={props.onClose}
    >
      <div className="explorer-dialog__head">
        <h2>
          Explore{' '}
          <code>
            {props.output}/{props.path}
          </code>
        </h2>
        <button type="button" className="button button--small" onClick={props.onClose} autoFocus>
          Close
        </button>
      </div>
      <Explorer job={props.job} step={props.step} output={props.output} path={props.path} />
    </dialog>
  );
}
