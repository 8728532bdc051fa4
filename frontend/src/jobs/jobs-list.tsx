/**
 * The jobs list island (`/jobs/`): status and experiment filters, search, and rows that stay
 * current without a reload — the page polls `/api/v1/jobs/summaries/` (quickly while a job on it
 * is active, slowly otherwise, not at all while the tab is hidden).
 *
 * A metric picker (names from `/api/v1/jobs/metric-names/`) adds a column with each job's newest
 * value of that metric (`summaries?metric=`), sortable; it is kept in the address (`?metric=`,
 * `&sort=metric|-metric`) like the filters. A checkbox per row picks jobs for
 * `/jobs/compare/?ids=…` (2 to 10 of them).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  fetchMetricNames,
  fetchSummaries,
  type JobFilters,
  type JobSummary,
  type JobSummaryPage,
} from './api';
import { elapsedSeconds, formatDuration, relativeTime, statusClass, statusLabel } from './format';
import './jobs.css';
import { formatMetric } from './metric-series';
import { useNow } from './run-store';

export const ACTIVE_POLL_MS = 2000;
export const IDLE_POLL_MS = 10_000;
const SEARCH_DELAY_MS = 300;
const ACTIVE_STATUSES = ['NotStarted', 'Queued', 'Running', 'CancelRequested'];

/** The status filter buttons: a label and the statuses it shows ('' for all). */
export const STATUS_FILTERS: { label: string; value: string }[] = [
  { label: 'All', value: '' },
  { label: 'Active', value: ACTIVE_STATUSES.join(',') },
  { label: 'Completed', value: 'Completed' },
  { label: 'Failed', value: 'Failed' },
  { label: 'Canceled', value: 'Canceled' },
];

/** The most jobs the compare page takes (`runner/compare_views.py`). */
export const MAX_COMPARE = 10;
const NAMES_REFRESH_MS = 5000;

export type MetricSort = '' | 'asc' | 'desc';

/** The compare page of these jobs. */
export function compareUrl(names: readonly string[]): string {
  return `/jobs/compare/?ids=${names.map(encodeURIComponent).join(',')}`;
}

/** Rows ordered by their metric value (jobs without one last, in their order); '' keeps them. */
export function sortByMetric(rows: readonly JobSummary[], sort: MetricSort): JobSummary[] {
  if (!sort) return [...rows];
  const sign = sort === 'asc' ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index, value: row.metric?.value }))
    .sort((a, b) => {
      if (a.value === undefined && b.value === undefined) return a.index - b.index;
      if (a.value === undefined) return 1;
      if (b.value === undefined) return -1;
      return (a.value - b.value) * sign || a.index - b.index;
    })
    .map((entry) => entry.row);
}

/** What the address says of the metric column: `?metric=NAME&sort=metric|-metric`. */
export function metricFromUrl(search: string): { metric: string; sort: MetricSort } {
  const params = new URLSearchParams(search);
  const metric = params.get('metric') ?? '';
  const raw = params.get('sort');
  const sort: MetricSort = !metric
    ? ''
    : raw === 'metric'
      ? 'asc'
      : raw === '-metric'
        ? 'desc'
        : '';
  return { metric, sort };
}

export interface JobsListProps {
  filters?: Partial<JobFilters>;
  statuses?: string[];
  experiments?: string[];
  pageSize?: number;
  initial?: JobSummaryPage;
}

function isActive(status: string): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/** `2 / 3 done`, `1 failed`… from the count of steps per status. */
export function stepProgress(job: Pick<JobSummary, 'steps' | 'step_statuses'>): string {
  const counts = job.step_statuses ?? {};
  const done = (counts.Completed ?? 0) + (counts.Skipped ?? 0);
  const parts = [`${done} / ${job.steps} done`];
  if (counts.Running) parts.push(`${counts.Running} running`);
  if (counts.Failed) parts.push(`${counts.Failed} failed`);
  return parts.join(' · ');
}

function syncUrl(filters: JobFilters, sort: MetricSort) {
  const params = new URLSearchParams();
  if (filters.q) params.set('q', filters.q);
  if (filters.status) params.set('status', filters.status);
  if (filters.experiment) params.set('experiment', filters.experiment);
  if (filters.metric) params.set('metric', filters.metric);
  if (filters.metric && sort) params.set('sort', sort === 'asc' ? 'metric' : '-metric');
  if (filters.page > 1) params.set('page', String(filters.page));
  const query = params.toString();
  const url = `${window.location.pathname}${query ? `?${query}` : ''}`;
  if (url !== `${window.location.pathname}${window.location.search}`)
    window.history.replaceState(null, '', url);
}

export function JobsList({
  filters: initialFilters = {},
  experiments = [],
  pageSize = 50,
  initial,
}: JobsListProps) {
  const [fromUrl] = useState(() =>
    typeof window === 'undefined'
      ? { metric: '', sort: '' as MetricSort }
      : metricFromUrl(window.location.search),
  );
  const [filters, setFilters] = useState<JobFilters>({
    status: initialFilters.status ?? '',
    experiment: initialFilters.experiment ?? '',
    q: initialFilters.q ?? '',
    page: initialFilters.page ?? 1,
    metric: initialFilters.metric ?? fromUrl.metric,
  });
  const [sort, setSort] = useState<MetricSort>(fromUrl.sort);
  const [selected, setSelected] = useState<string[]>([]);
  const [metricNames, setMetricNames] = useState<string[]>([]);
  const namesReadAt = useRef(0);
  const [search, setSearch] = useState(filters.q);
  const [data, setData] = useState<JobSummaryPage | null>(initial ?? null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(!initial);
  const requestId = useRef(0);
  const active = (data?.results ?? []).some((job) => isActive(job.status));
  const now = useNow(active);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      const id = ++requestId.current;
      try {
        const page = await fetchSummaries(filters, pageSize, signal);
        if (id !== requestId.current) return;
        setData(page);
        setError(null);
      } catch (err) {
        if (signal?.aborted || id !== requestId.current) return;
        setError(err instanceof Error ? err.message : String(err));
      } finally {
        if (id === requestId.current) setLoading(false);
      }
    },
    [filters, pageSize],
  );

  // A filter change: read at once, and keep the address bar in step. The page's first rows came
  // with it, without a metric column: read them again at once when the address asks for one.
  const first = useRef(true);
  useEffect(() => {
    syncUrl(filters, sort);
  }, [filters, sort]);
  useEffect(() => {
    if (first.current && initial && !filters.metric) {
      first.current = false;
      return;
    }
    first.current = false;
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, [filters, initial, load]);

  // Poll: quickly while a job on the page is active, slowly otherwise, never while hidden.
  useEffect(() => {
    const delay = active ? ACTIVE_POLL_MS : IDLE_POLL_MS;
    const timer = setInterval(() => {
      if (typeof document !== 'undefined' && document.hidden) return;
      void load();
    }, delay);
    const onVisible = () => {
      if (!document.hidden) void load();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [active, load]);

  // Search as one types, after a pause.
  useEffect(() => {
    if (search === filters.q) return;
    const timer = setTimeout(
      () => setFilters((f) => ({ ...f, q: search.trim(), page: 1 })),
      SEARCH_DELAY_MS,
    );
    return () => clearTimeout(timer);
  }, [search, filters.q]);

  // The metric names to pick from: read on load, and again (at most every few seconds) when the
  // picker is opened, as jobs keep reporting new ones.
  const loadNames = useCallback(async () => {
    if (Date.now() - namesReadAt.current < NAMES_REFRESH_MS) return;
    namesReadAt.current = Date.now();
    try {
      const found = await fetchMetricNames();
      setMetricNames(Array.isArray(found?.names) ? found.names : []);
    } catch {
      namesReadAt.current = 0; // the picker keeps what it had; try again next time
    }
  }, []);
  useEffect(() => {
    const controller = new AbortController();
    namesReadAt.current = Date.now();
    fetchMetricNames(controller.signal)
      .then((found) => setMetricNames(Array.isArray(found?.names) ? found.names : []))
      .catch(() => {
        namesReadAt.current = 0;
      });
    return () => controller.abort();
  }, []);

  const setFilter = (patch: Partial<JobFilters>) => {
    setLoading(true);
    setFilters((f) => ({ ...f, page: 1, ...patch }));
  };

  const setMetric = (metric: string) => {
    setSort('');
    setFilter({ metric });
  };

  const toggle = (name: string, on: boolean) =>
    setSelected((current) =>
      on
        ? current.includes(name)
          ? current
          : [...current, name]
        : current.filter((n) => n !== name),
    );

  const metric = filters.metric ?? '';
  const choices = useMemo(
    () => (metric && !metricNames.includes(metric) ? [...metricNames, metric].sort() : metricNames),
    [metric, metricNames],
  );
  const shown = data?.results;
  const rows = useMemo(
    () => (metric ? sortByMetric(shown ?? [], sort) : (shown ?? [])),
    [metric, shown, sort],
  );
  const canCompare = selected.length >= 2 && selected.length <= MAX_COMPARE;
  const nextSort: MetricSort = sort === 'desc' ? 'asc' : 'desc';
  const filtered = Boolean(filters.status || filters.experiment || filters.q);
  return (
    <div className="jobs-list">
      <div className="jobs-list__filters" role="search">
        <input
          type="search"
          className="jobs-list__search"
          placeholder="Search by name, experiment or description"
          aria-label="Search jobs"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
        <div className="segmented" role="group" aria-label="Status">
          {STATUS_FILTERS.map((option) => (
            <button
              key={option.label}
              type="button"
              className={`segmented__option${filters.status === option.value ? ' is-active' : ''}`}
              aria-pressed={filters.status === option.value}
              onClick={() => setFilter({ status: option.value })}
            >
              {option.label}
            </button>
          ))}
        </div>
        <label className="visually-hidden" htmlFor="jobs-experiment">
          Experiment
        </label>
        <select
          id="jobs-experiment"
          value={filters.experiment}
          onChange={(event) => setFilter({ experiment: event.target.value })}
        >
          <option value="">Any experiment</option>
          {experiments.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <label className="visually-hidden" htmlFor="jobs-metric">
          Metric
        </label>
        <select
          id="jobs-metric"
          value={metric}
          onChange={(event) => setMetric(event.target.value)}
          onFocus={() => void loadNames()}
          onPointerDown={() => void loadNames()}
          title="Show a metric's newest value as a column"
        >
          <option value="">No metric column</option>
          {choices.map((name) => (
            <option key={name} value={name}>
              Metric: {name}
            </option>
          ))}
        </select>
        <div className="jobs-list__compare" role="group" aria-label="Compare jobs">
          {canCompare ? (
            <a className="button button--small button--primary" href={compareUrl(selected)}>
              Compare ({selected.length})
            </a>
          ) : (
            <button
              type="button"
              className="button button--small"
              disabled
              title={
                selected.length > MAX_COMPARE
                  ? `Compare at most ${MAX_COMPARE} jobs`
                  : 'Select 2 to 10 jobs to compare them'
              }
            >
              Compare ({selected.length})
            </button>
          )}
          {selected.length ? (
            <button
              type="button"
              className="button button--small button--ghost"
              onClick={() => setSelected([])}
            >
              Clear
            </button>
          ) : null}
        </div>
        <span className="jobs-list__state muted small" role="status">
          {loading ? 'Loading…' : error ? `Not updated: ${error}` : active ? 'Updating live' : ''}
        </span>
      </div>
      {rows.length ? (
        <div className="panel panel--flush">
          <table className="table" aria-label="Jobs">
            <thead>
              <tr>
                <th scope="col" className="jobs-list__pick">
                  <span className="visually-hidden">Compare</span>
                </th>
                <th scope="col">Job</th>
                <th scope="col">Experiment</th>
                <th scope="col">Status</th>
                <th scope="col">Steps</th>
                <th scope="col">Compute</th>
                <th scope="col">Submitted</th>
                <th scope="col">Duration</th>
                <th scope="col">Started by</th>
                {metric ? (
                  <th
                    scope="col"
                    className="jobs-list__metric"
                    aria-sort={
                      sort === 'asc' ? 'ascending' : sort === 'desc' ? 'descending' : 'none'
                    }
                  >
                    <button
                      type="button"
                      className="jobs-list__sort"
                      onClick={() => setSort(nextSort)}
                      title={`Sort by ${metric}, ${nextSort === 'desc' ? 'highest' : 'lowest'} first`}
                    >
                      {metric}
                      <span aria-hidden="true">
                        {sort === 'asc' ? ' ▲' : sort === 'desc' ? ' ▼' : ' ↕'}
                      </span>
                    </button>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((job) => {
                const running = job.status === 'Running' || job.status === 'CancelRequested';
                const duration = running ? elapsedSeconds(job.started_at, null, now) : job.duration;
                return (
                  <tr
                    key={job.name}
                    data-job={job.name}
                    className={selected.includes(job.name) ? 'is-selected' : undefined}
                  >
                    <td className="jobs-list__pick">
                      <input
                        type="checkbox"
                        aria-label={`Select ${job.name} to compare`}
                        checked={selected.includes(job.name)}
                        onChange={(event) => toggle(job.name, event.target.checked)}
                      />
                    </td>
                    <td>
                      <a href={job.url}>
                        <strong>{job.display_name || job.name}</strong>
                      </a>
                      <br />
                      <code className="muted small">{job.name}</code>
                    </td>
                    <td>{job.experiment_name}</td>
                    <td>
                      <span
                        className={`badge badge--${statusClass(job.status)}`}
                        data-testid="job-row-status"
                        title={job.status_reason || undefined}
                      >
                        {statusLabel(job.status)}
                      </span>
                    </td>
                    <td className="small">{stepProgress(job)}</td>
                    <td>{job.computes.length ? job.computes.join(', ') : '—'}</td>
                    <td>
                      <time
                        dateTime={job.created_at ?? undefined}
                        title={job.created_at ?? undefined}
                      >
                        {relativeTime(job.created_at, now)}
                      </time>
                    </td>
                    <td>{formatDuration(duration)}</td>
                    <td>{job.created_by ?? '—'}</td>
                    {metric ? (
                      <td
                        className="jobs-list__metric"
                        data-testid="job-row-metric"
                        title={
                          job.metric
                            ? `${job.metric.name} = ${job.metric.value} (step ${job.metric.step})`
                            : `No ${metric} reported`
                        }
                      >
                        {job.metric ? formatMetric(job.metric.value) : '—'}
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : !loading ? (
        <div className="panel empty">
          <p>
            <strong>{filtered ? 'No jobs match.' : 'No jobs yet.'}</strong>
          </p>
          <p className="muted">
            Submit a pipeline from the <a href="/designer/">designer</a> or with{' '}
            <code>studio job create --file pipeline.yml</code>.
          </p>
        </div>
      ) : null}
      {data && data.pages > 1 ? (
        <nav className="pagination" aria-label="Pages">
          <button
            type="button"
            className="button button--small"
            disabled={filters.page <= 1}
            onClick={() => setFilters((f) => ({ ...f, page: f.page - 1 }))}
          >
            Previous
          </button>
          <span>
            Page {data.page} of {data.pages} · {data.count} jobs
          </span>
          <button
            type="button"
            className="button button--small"
            disabled={filters.page >= data.pages}
            onClick={() => setFilters((f) => ({ ...f, page: f.page + 1 }))}
          >
            Next
          </button>
        </nav>
      ) : null}
    </div>
  );
}
