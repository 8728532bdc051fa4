/**
 * Metric series as the job pages keep them (pure: no React, no DOM). A step's metrics come from
 * `GET /api/v1/jobs/<job>/metrics/` and from `metric` events of the job websocket
 * (`runner/events/`); points are values at a time, never updates, so merging both is a union
 * without duplicates (same time, step and value), each series in time order.
 */

/** One value of a metric: unix time `t` in seconds, and the optional iteration `step`. */
export interface MetricPoint {
  value: number;
  t: number;
  step?: number;
}

/** A step's metrics by name, each series in time order. */
export type MetricSeries = Record<string, MetricPoint[]>;

/** A point as a `metric` websocket event carries it. */
export interface NamedMetricPoint extends MetricPoint {
  name: string;
}

/** The `metric` frame of the job websocket (`runner/events/`). */
export interface MetricFrame {
  type: 'metric';
  seq: number;
  at?: string;
  step: string;
  points: NamedMetricPoint[];
}

/** Points kept per series in memory on a live page; the oldest go first. */
export const MAX_LIVE_POINTS = 20_000;

function samePoint(a: MetricPoint, b: MetricPoint): boolean {
  return a.t === b.t && a.value === b.value && (a.step ?? null) === (b.step ?? null);
}

/**
 * Add points (from a `metric` event) to a step's series: new names get a series, points already
 * there (same time, step and value, e.g. in both the REST answer and an event) are dropped, and
 * each series stays in time order. Returns a new object (or `series` itself when every point was
 * there already); the input is not changed. Points arrive
 * newest last, so the place of each is looked for from the end of its series.
 */
export function mergePoints(
  series: MetricSeries,
  points: readonly NamedMetricPoint[],
  max = Infinity,
): MetricSeries {
  const next: MetricSeries = { ...series };
  let changed = false;
  for (const { name, ...point } of points) {
    if (!Number.isFinite(point.value) || !Number.isFinite(point.t)) continue;
    const current = next[name] ?? [];
    let index = current.length;
    while (index > 0 && current[index - 1]!.t > point.t) index -= 1;
    let duplicate = false;
    for (let i = index - 1; i >= 0 && current[i]!.t === point.t; i -= 1) {
      if (samePoint(current[i]!, point)) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    const copy = current === series[name] ? [...current] : current;
    copy.splice(index, 0, point);
    if (copy.length > max) copy.splice(0, copy.length - max);
    next[name] = copy;
    changed = true;
  }
  return changed ? next : series;
}

/**
 * Two series of the same step in one (`base` from REST, `extra` from events): a linear merge of
 * each name's points, duplicates dropped. Returns `base` itself when `extra` adds nothing.
 */
export function mergeSeries(base: MetricSeries, extra: MetricSeries | undefined): MetricSeries {
  if (!extra) return base;
  let result: MetricSeries | null = null;
  for (const [name, added] of Object.entries(extra)) {
    if (!added.length) continue;
    const merged = mergeSorted(base[name] ?? [], added);
    if (merged === base[name]) continue;
    result ??= { ...base };
    result[name] = merged;
  }
  return result ?? base;
}

/** Two time-ordered lists as one, points equal to one already taken at the same time skipped. */
function mergeSorted(a: MetricPoint[], b: MetricPoint[]): MetricPoint[] {
  const out: MetricPoint[] = [];
  let i = 0;
  let j = 0;
  let addedFromB = false;
  const push = (point: MetricPoint, fromB: boolean) => {
    for (let k = out.length - 1; k >= 0 && out[k]!.t === point.t; k -= 1) {
      if (samePoint(out[k]!, point)) return;
    }
    if (fromB) addedFromB = true;
    out.push(point);
  };
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.t <= b[j]!.t)) push(a[i++]!, false);
    else push(b[j++]!, true);
  }
  return addedFromB || out.length !== a.length ? out : a;
}

/** A number as the charts and the jobs list show it: up to 4 significant digits, exponent form
 * when tiny or huge. */
export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}
