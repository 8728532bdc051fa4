/**
 * Metrics of one step, charted over time (issue 6, capability 6).
 *
 * A step reports metrics with `##studio[metric name=value step=N]` log lines or an
 * `outputs/metrics.json` file (`runner/metrics.py`). The step panel mounts
 * `<StepMetrics job step info />`: without a `metrics` prop the component reads
 * `GET /api/v1/jobs/<job>/metrics/?step=<step>`, again every few seconds while the step is active
 * and once more when its status changes (a finished step's `metrics.json` counts from then on).
 * A parent that follows the job's websocket passes `live`: the points of the `metric` events it
 * merged with `mergePoints` (`job-state.ts`). The REST answer is then the initial load (and once
 * more when the status changes), shown merged with the live points, and it is read again every few
 * seconds only while `polling` (the socket is down: the fallback). A parent that keeps the whole
 * series can pass `metrics` instead; nothing is fetched then. Nothing is rendered while the step
 * has no metrics.
 *
 * Each metric gets a small SVG line chart of its values: x is the points' `step` when every point
 * has a different one (a training loop's iterations, a `metrics.json` list), else their time.
 */
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { apiFetch } from '../lib/csrf';
import { formatMetric, mergeSeries, type MetricPoint, type MetricSeries } from './metric-series';
import { STEP_TERMINAL, type StepInfo } from './types';

export { formatMetric, mergePoints, mergeSeries } from './metric-series';
export type { MetricFrame, MetricPoint, MetricSeries, NamedMetricPoint } from './metric-series';

/** `GET /api/v1/jobs/<job>/metrics/`. */
export interface JobMetricsResponse {
  job: string;
  seq: number;
  steps: Record<string, { metrics: MetricSeries; last: Record<string, number> }>;
}

export interface StepMetricsProps {
  /** The job's name. */
  job: string;
  /** The step's name. */
  step: string;
  /** The step as the live events tell it: its status decides when to read the metrics again. */
  info?: StepInfo;
  /** The step's series, when the parent keeps them; the component then fetches nothing. */
  metrics?: MetricSeries;
  /** Points from the job's websocket, merged with what REST gave. */
  live?: MetricSeries;
  /** Read REST again every `refreshMs` while the step is active (default: unless `live` is given). */
  polling?: boolean;
  /** How often to read the metrics again while the step is active (ms). */
  refreshMs?: number;
}

export const REFRESH_MS = 5000;
export const CHART_WIDTH = 260;
export const CHART_HEIGHT = 90;
const PAD = { left: 6, right: 6, top: 8, bottom: 8 };
const MAX_DRAWN_POINTS = 500;
const MAX_DOTS = 60;

export interface ChartGeometry {
  /** The SVG path (`M x y L x y …`), empty for fewer than two points. */
  path: string;
  /** Where each drawn point sits. */
  dots: { x: number; y: number; point: MetricPoint }[];
  /** What x measures: seconds since the first point, or the points' `step`. */
  axis: 'time' | 'step';
  minY: number;
  maxY: number;
  minX: number;
  maxX: number;
}

/** Keep at most `limit` points, evenly spread, always the first and the last. */
export function thin<T>(items: T[], limit: number): T[] {
  if (items.length <= limit) return items;
  const kept: T[] = [];
  const stride = (items.length - 1) / (limit - 1);
  for (let i = 0; i < limit; i += 1) kept.push(items[Math.round(i * stride)]!);
  return kept;
}

/** Lay a series out in a `width` × `height` box (y grows upwards, as a chart reads). */
export function chartGeometry(
  points: MetricPoint[],
  width = CHART_WIDTH,
  height = CHART_HEIGHT,
): ChartGeometry {
  const steps = points.map((p) => p.step);
  const axis: 'time' | 'step' =
    points.length > 1 &&
    steps.every((step) => step !== undefined) &&
    new Set(steps).size === points.length
      ? 'step'
      : 'time';
  const ordered =
    axis === 'step' ? [...points].sort((a, b) => (a.step ?? 0) - (b.step ?? 0)) : points;
  const drawn = thin(ordered, MAX_DRAWN_POINTS);
  const t0 = points[0]?.t ?? 0;
  const xs = drawn.map((p) => (axis === 'step' ? (p.step ?? 0) : p.t - t0));
  const ys = drawn.map((p) => p.value);
  const minX = xs.length ? Math.min(...xs) : 0;
  const maxX = xs.length ? Math.max(...xs) : 0;
  const minY = ys.length ? Math.min(...ys) : 0;
  const maxY = ys.length ? Math.max(...ys) : 0;
  const spanX = maxX - minX || 1;
  const spanY = maxY - minY || 1;
  const innerW = width - PAD.left - PAD.right;
  const innerH = height - PAD.top - PAD.bottom;
  const dots = drawn.map((point, i) => {
    const x =
      xs.length > 1 && maxX !== minX ? PAD.left + ((xs[i]! - minX) / spanX) * innerW : width / 2;
    const y =
      maxY === minY ? PAD.top + innerH / 2 : PAD.top + (1 - (ys[i]! - minY) / spanY) * innerH;
    return { x: round(x), y: round(y), point };
  });
  const path =
    dots.length > 1 ? dots.map((d, i) => `${i === 0 ? 'M' : 'L'}${d.x} ${d.y}`).join(' ') : '';
  return { path, dots, axis, minY, maxY, minX, maxX };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function spanLabel(geometry: ChartGeometry): string {
  if (geometry.axis === 'step') return `step ${geometry.minX} – ${geometry.maxX}`;
  const seconds = geometry.maxX - geometry.minX;
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 3600) return `${Math.round(seconds / 6) / 10} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}

function pointTitle(name: string, point: MetricPoint): string {
  const when = new Date(point.t * 1000).toLocaleTimeString();
  const step = point.step === undefined ? '' : ` · step ${point.step}`;
  return `${name} = ${formatMetric(point.value)}${step} · ${when}`;
}

/** One metric: its name, newest value and line chart. */
export function MetricChart({ name, points }: { name: string; points: MetricPoint[] }) {
  const last = points[points.length - 1];
  if (!last) return null;
  const geometry = chartGeometry(points);
  const label = `${name}: ${points.length} ${points.length === 1 ? 'value' : 'values'}, last ${formatMetric(last.value)}`;
  return (
    <figure
      className="step-metric"
      data-testid="step-metric"
      data-metric={name}
      style={styles.card}
    >
      <figcaption style={styles.caption}>
        <span style={styles.name} title={name}>
          {name}
        </span>
        <strong style={styles.value} data-testid="metric-last">
          {formatMetric(last.value)}
        </strong>
      </figcaption>
      {points.length > 1 ? (
        <svg
          viewBox={`0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`}
          width="100%"
          height={CHART_HEIGHT}
          role="img"
          aria-label={label}
          preserveAspectRatio="none"
          style={styles.svg}
        >
          <path
            d={geometry.path}
            fill="none"
            stroke="var(--info, #1d4ed8)"
            strokeWidth={1.5}
            vectorEffect="non-scaling-stroke"
          />
          {geometry.dots.length <= MAX_DOTS
            ? geometry.dots.map((dot, i) => (
                <circle key={i} cx={dot.x} cy={dot.y} r={2} fill="var(--info, #1d4ed8)">
                  <title>{pointTitle(name, dot.point)}</title>
                </circle>
              ))
            : null}
        </svg>
      ) : (
        <p style={styles.single} aria-label={label}>
          {pointTitle(name, last)}
        </p>
      )}
      {points.length > 1 ? (
        <div style={styles.axis} aria-hidden="true">
          <span>
            {formatMetric(geometry.minY)} – {formatMetric(geometry.maxY)}
          </span>
          <span>{spanLabel(geometry)}</span>
        </div>
      ) : null}
    </figure>
  );
}

/** Read a step's series from the REST API. */
export async function fetchStepMetrics(
  job: string,
  step: string,
  signal?: AbortSignal,
): Promise<MetricSeries> {
  const body = await apiFetch<JobMetricsResponse>(
    `/api/v1/jobs/${encodeURIComponent(job)}/metrics/?step=${encodeURIComponent(step)}`,
    { signal },
  );
  return body?.steps?.[step]?.metrics ?? {};
}

function useStepMetrics(
  job: string,
  step: string,
  status: string | undefined,
  enabled: boolean,
  refreshMs: number,
  polling: boolean,
) {
  const [series, setSeries] = useState<MetricSeries>({});
  const [error, setError] = useState<string | null>(null);
  const active = polling && (status === undefined || !STEP_TERMINAL.has(status));
  useEffect(() => {
    if (!enabled) return undefined;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () => {
      fetchStepMetrics(job, step, controller.signal)
        .then((found) => {
          setSeries(found);
          setError(null);
        })
        .catch((reason: unknown) => {
          if (controller.signal.aborted) return;
          setError(reason instanceof Error ? reason.message : String(reason));
        })
        .finally(() => {
          if (active && !controller.signal.aborted) timer = setTimeout(load, refreshMs);
        });
    };
    load();
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [job, step, status, active, enabled, refreshMs]);
  return { series, error };
}

/** The charts of a step's metrics; null while it has none. */
export function StepMetrics({
  job,
  step,
  info,
  metrics,
  live,
  polling = live === undefined,
  refreshMs = REFRESH_MS,
}: StepMetricsProps): ReactNode {
  const fetched = useStepMetrics(
    job,
    step,
    info?.status,
    metrics === undefined,
    refreshMs,
    polling,
  );
  const merged = useMemo(() => mergeSeries(fetched.series, live), [fetched.series, live]);
  const series = metrics ?? merged;
  const names = Object.keys(series).filter((name) => (series[name]?.length ?? 0) > 0);
  if (names.length === 0) {
    return fetched.error && metrics === undefined ? (
      <p className="muted small" role="status">
        Metrics unavailable: {fetched.error}
      </p>
    ) : null;
  }
  names.sort();
  return (
    <div className="step-metrics" data-testid="step-metrics">
      <h3 className="small" style={styles.heading}>
        Metrics
      </h3>
      <div style={styles.grid}>
        {names.map((name) => (
          <MetricChart key={name} name={name} points={series[name]!} />
        ))}
      </div>
    </div>
  );
}

const styles = {
  heading: { margin: '0.75rem 1rem 0.35rem' },
  grid: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(200px, 1fr))',
    gap: '0.5rem',
    padding: '0 1rem 0.75rem',
  },
  card: {
    margin: 0,
    padding: '0.4rem 0.55rem',
    border: '1px solid var(--border, #e3e6ee)',
    borderRadius: '6px',
    background: 'var(--surface, #fff)',
    minWidth: 0,
  },
  caption: { display: 'flex', justifyContent: 'space-between', gap: '0.5rem', fontSize: '0.8rem' },
  name: {
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    color: 'var(--muted, #5b6475)',
  },
  value: { fontFamily: 'var(--mono, monospace)' },
  svg: { display: 'block', marginTop: '0.2rem' },
  single: { margin: '0.35rem 0 0', fontSize: '0.75rem', color: 'var(--muted, #5b6475)' },
  axis: {
    display: 'flex',
    justifyContent: 'space-between',
    fontSize: '0.7rem',
    color: 'var(--muted, #5b6475)',
    fontFamily: 'var(--mono, monospace)',
  },
} as const;
