/**
 * The state of one job as the websocket tells it: a snapshot, then events applied strictly in
 * `seq` order. Pure (no React, no DOM), so every rule here is unit-tested.
 *
 * - An event whose seq was already applied is dropped (a replay overlapping what we had).
 * - An event that skips a seq is not applied: `resync` is set, and the connection reconnects with
 *   `?after=<seq>` so the server replays exactly the missing ones.
 * - Log lines are kept per step, ordered by their own line number, without duplicates; the REST
 *   log endpoint fills in what the socket never carried (lines from before the page opened, or
 *   lost when a reconnect had to fall back to a snapshot).
 * - Metric points (`metric` events) are kept per step with `mergePoints`: in time order, without
 *   duplicates. They survive a fresh snapshot (which carries none); the step panel merges them with
 *   what `GET /api/v1/jobs/<job>/metrics/` answered, which also fills in what the socket missed.
 */
import { MAX_LIVE_POINTS, mergePoints, type MetricSeries } from './metric-series';
import type { Frame, JobInfo, LogLine, StepInfo } from './types';

/** Lines kept in memory per step; older ones are dropped (the download has them all). */
export const MAX_LOG_LINES = 20_000;

export interface StepLog {
  /** Lines by ascending `seq`, no duplicates. */
  lines: LogLine[];
  /** How many lines were dropped from the front to stay under MAX_LOG_LINES. */
  dropped: number;
  /** The newest line number known to exist (from snapshots and events). */
  published: number;
}

export interface RunState {
  /** The newest event seq applied; 0 before the snapshot. */
  seq: number;
  /** Whether a snapshot (or a replay from a known seq) has been applied. */
  synced: boolean;
  job: JobInfo | null;
  steps: Record<string, StepInfo>;
  /** Step names in the order the snapshot listed them. */
  order: string[];
  logs: Record<string, StepLog>;
  /** Metric points from `metric` events, by step. */
  metrics: Record<string, MetricSeries>;
  /** A gap in seq was seen (or the server asked): reconnect with `?after=seq`. */
  resync: boolean;
}

export const initialRunState: RunState = {
  seq: 0,
  synced: false,
  job: null,
  steps: {},
  order: [],
  logs: {},
  metrics: {},
  resync: false,
};

export type RunAction =
  | { type: 'frame'; frame: Frame }
  /** Lines read from the REST log endpoint. */
  | { type: 'backfill'; step: string; lines: LogLine[] }
  /** The connection was re-established and will replay from `seq`: the gap is being filled. */
  | { type: 'reconnecting' };

export const EMPTY_LOG: StepLog = { lines: [], dropped: 0, published: 0 };

/**
 * `existing` with `incoming` merged in: sorted by seq, each seq once, at most `max` lines (the
 * oldest go, counted in `dropped`). Appending newer lines is the fast, common path.
 */
export function mergeLines(
  existing: StepLog,
  incoming: readonly LogLine[],
  max = MAX_LOG_LINES,
): StepLog {
  if (incoming.length === 0) return existing;
  let lines = existing.lines;
  const last = lines.length ? lines[lines.length - 1]!.seq : 0;
  const sortedIncoming = isAscending(incoming)
    ? incoming
    : [...incoming].sort((a, b) => a.seq - b.seq);
  const firstKept = existing.dropped > 0 && lines.length ? lines[0]!.seq : 0;
  if (sortedIncoming[0]!.seq > last) {
    lines = lines.concat(dedupe(sortedIncoming));
  } else {
    const bySeq = new Map<number, LogLine>();
    for (const line of lines) bySeq.set(line.seq, line);
    for (const line of sortedIncoming) {
      // Lines older than what was dropped stay dropped: memory is bounded.
      if (firstKept && line.seq < firstKept) continue;
      if (!bySeq.has(line.seq)) bySeq.set(line.seq, line);
    }
    lines = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
  let dropped = existing.dropped;
  if (lines.length > max) {
    dropped += lines.length - max;
    lines = lines.slice(lines.length - max);
  }
  const newest = lines.length ? lines[lines.length - 1]!.seq : 0;
  return { lines, dropped, published: Math.max(existing.published, newest) };
}

function isAscending(lines: readonly LogLine[]): boolean {
  for (let i = 1; i < lines.length; i++) if (lines[i]!.seq <= lines[i - 1]!.seq) return false;
  return true;
}

function dedupe(lines: readonly LogLine[]): LogLine[] {
  return lines.filter((line, i) => i === 0 || line.seq !== lines[i - 1]!.seq);
}

/**
 * The first line number a step's log lacks (a hole, or lines published but not received), or
 * null when the log in memory is whole. Lines dropped for memory do not count as missing, nor
 * those the server's cap dropped (the note that says so carries `dropped.from`).
 */
export function firstMissingLine(log: StepLog): number | null {
  let expected = log.dropped > 0 && log.lines.length ? log.lines[0]!.seq : 1;
  for (const line of log.lines) {
    const capped = line.dropped !== undefined && line.dropped.from <= expected;
    if (line.seq !== expected && !capped) return expected;
    expected = line.seq + 1;
  }
  return expected <= log.published ? expected : null;
}

const FRAME_KEYS = ['type', 'seq', 'at', 'log_seq'];

/** A frame's payload without the frame's own keys (type, seq, at, log_seq). */
function payloadOf<T>(frame: object): T {
  const copy: Record<string, unknown> = { ...frame };
  for (const key of FRAME_KEYS) delete copy[key];
  return copy as T;
}

function stepFrom(frame: object): StepInfo {
  const step = payloadOf<StepInfo>(frame);
  return { ...step, outputs: step.outputs ?? {} };
}

function jobFrom(frame: object): JobInfo {
  return payloadOf<JobInfo>(frame);
}

function withPublished(logs: Record<string, StepLog>, step: string, published: number) {
  const log = logs[step] ?? EMPTY_LOG;
  if (published <= log.published) return logs;
  return { ...logs, [step]: { ...log, published } };
}

/** The state after one action. Returns `state` itself when nothing changed. */
export function runReducer(state: RunState, action: RunAction): RunState {
  switch (action.type) {
    case 'backfill': {
      const log = state.logs[action.step] ?? EMPTY_LOG;
      const merged = mergeLines(log, action.lines);
      return merged === log ? state : { ...state, logs: { ...state.logs, [action.step]: merged } };
    }
    case 'reconnecting':
      return state.resync ? { ...state, resync: false } : state;
    case 'frame':
      return applyFrame(state, action.frame);
  }
}

/** Apply one websocket frame (see the module docstring for the ordering rules). */
export function applyFrame(state: RunState, frame: Frame): RunState {
  if (frame.type === 'snapshot') {
    const steps: Record<string, StepInfo> = {};
    let logs = state.logs;
    for (const raw of frame.steps) {
      steps[raw.step] = stepFrom(raw);
      logs = withPublished(logs, raw.step, raw.log_seq ?? 0);
    }
    return {
      seq: frame.seq,
      synced: true,
      job: jobFrom(frame.job),
      steps,
      order: frame.steps.map((s) => s.step),
      logs,
      metrics: state.metrics,
      resync: false,
    };
  }
  if (frame.type === 'resync') {
    return state.resync ? state : { ...state, resync: true };
  }
  if (frame.seq <= state.seq) return state; // already applied
  if (frame.seq !== state.seq + 1 || !state.synced) {
    return state.resync ? state : { ...state, resync: true };
  }
  const next: RunState = { ...state, seq: frame.seq };
  switch (frame.type) {
    case 'job':
      next.job = jobFrom(frame);
      break;
    case 'step': {
      const step = stepFrom(frame);
      next.steps = { ...state.steps, [step.step]: step };
      if (!state.order.includes(step.step)) next.order = [...state.order, step.step];
      break;
    }
    case 'log': {
      const log = state.logs[frame.step] ?? EMPTY_LOG;
      next.logs = { ...state.logs, [frame.step]: mergeLines(log, frame.lines) };
      break;
    }
    case 'metric': {
      const series = state.metrics[frame.step] ?? {};
      const merged = mergePoints(series, frame.points ?? [], MAX_LIVE_POINTS);
      next.metrics = { ...state.metrics, [frame.step]: merged };
      break;
    }
  }
  return next;
}

/** The seq to reconnect from (`?after=`), or null to ask for a fresh snapshot. */
export function resumeFrom(state: RunState): number | null {
  return state.synced ? state.seq : null;
}
