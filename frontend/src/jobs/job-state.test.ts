import { describe, expect, it } from 'vitest';
import {
  EMPTY_LOG,
  applyFrame,
  firstMissingLine,
  initialRunState,
  mergeLines,
  resumeFrom,
  runReducer,
  type RunState,
} from './job-state';
import type { Frame, JobInfo, LogLine, SnapshotFrame, StepInfo } from './types';

const job = (status: string, extra: Partial<JobInfo> = {}): JobInfo => ({
  job: 'quiet_falcon_1',
  display_name: 'three steps',
  status,
  status_reason: '',
  created_at: '2024-05-01T10:00:00+00:00',
  started_at: null,
  finished_at: null,
  ...extra,
});

const step = (name: string, status: string, extra: Partial<StepInfo> = {}): StepInfo => ({
  step: name,
  display_name: '',
  status,
  status_reason: '',
  attempt: 0,
  max_retries: 0,
  exit_code: null,
  compute: 'docker',
  reused_from: null,
  reuse_note: '',
  outputs: {},
  queued_at: null,
  started_at: null,
  finished_at: null,
  next_attempt_at: null,
  ...extra,
});

const lines = (from: number, to: number): LogLine[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    t: 1000 + from + i,
    line: `line ${from + i}`,
  }));

function snapshot(seq: number, logSeq = 0): SnapshotFrame {
  return {
    type: 'snapshot',
    seq,
    job: job('Running'),
    steps: [
      { ...step('a', 'Running'), log_seq: logSeq },
      { ...step('b', 'NotStarted'), log_seq: 0 },
    ],
  };
}

function apply(state: RunState, ...frames: Frame[]): RunState {
  return frames.reduce((s, frame) => runReducer(s, { type: 'frame', frame }), state);
}

describe('applying a snapshot then events', () => {
  it('takes the job and steps from the snapshot and its seq', () => {
    const state = apply(initialRunState, snapshot(7, 3));
    expect(state.synced).toBe(true);
    expect(state.seq).toBe(7);
    expect(state.job?.status).toBe('Running');
    expect(state.order).toEqual(['a', 'b']);
    expect(state.steps.a).toEqual(step('a', 'Running'));
    expect(state.logs.a).toEqual({ lines: [], dropped: 0, published: 3 });
    expect(resumeFrom(state)).toBe(7);
    expect(resumeFrom(initialRunState)).toBeNull();
  });

  it('applies job, step and log events in seq order', () => {
    const state = apply(
      initialRunState,
      snapshot(2),
      { type: 'log', seq: 3, step: 'a', lines: lines(1, 2) },
      { type: 'step', seq: 4, ...step('a', 'Completed', { exit_code: 0 }) },
      { type: 'step', seq: 5, ...step('b', 'Running') },
      { type: 'log', seq: 6, step: 'b', lines: lines(1, 1) },
      { type: 'job', seq: 7, ...job('Completed', { finished_at: '2024-05-01T10:01:00+00:00' }) },
    );
    expect(state.seq).toBe(7);
    expect(state.resync).toBe(false);
    expect(state.steps.a?.status).toBe('Completed');
    expect(state.steps.a?.exit_code).toBe(0);
    expect(state.steps.b?.status).toBe('Running');
    expect(state.logs.a?.lines.map((l) => l.line)).toEqual(['line 1', 'line 2']);
    expect(state.logs.b?.published).toBe(1);
    expect(state.job).toEqual(job('Completed', { finished_at: '2024-05-01T10:01:00+00:00' }));
    // The frame's own keys do not leak into the state.
    expect(state.steps.a).not.toHaveProperty('seq');
    expect(state.job).not.toHaveProperty('type');
  });

  it('drops events it already applied (an overlapping replay)', () => {
    const once = apply(initialRunState, snapshot(2), {
      type: 'log',
      seq: 3,
      step: 'a',
      lines: lines(1, 2),
    });
    const again = apply(
      once,
      { type: 'log', seq: 3, step: 'a', lines: lines(1, 2) },
      {
        type: 'step',
        seq: 2,
        ...step('a', 'Failed'),
      },
    );
    expect(again).toBe(once);
  });

  it('refuses an event after a gap and asks for a resync from the last seq applied', () => {
    const state = apply(initialRunState, snapshot(2), {
      type: 'step',
      seq: 3,
      ...step('a', 'Completed'),
    });
    const gap = apply(state, { type: 'step', seq: 5, ...step('b', 'Running') });
    expect(gap.resync).toBe(true);
    expect(gap.seq).toBe(3);
    expect(gap.steps.b?.status).toBe('NotStarted');
    expect(resumeFrom(gap)).toBe(3);
    // The replay from 3 fills the gap; the flag clears when reconnecting.
    const replayed = apply(
      runReducer(gap, { type: 'reconnecting' }),
      { type: 'step', seq: 4, ...step('b', 'Queued') },
      { type: 'step', seq: 5, ...step('b', 'Running') },
    );
    expect(replayed.resync).toBe(false);
    expect(replayed.seq).toBe(5);
    expect(replayed.steps.b?.status).toBe('Running');
  });

  it('asks for a resync when events come before any snapshot', () => {
    const state = apply(initialRunState, { type: 'job', seq: 1, ...job('Queued') });
    expect(state.resync).toBe(true);
    expect(state.job).toBeNull();
    expect(resumeFrom(state)).toBeNull();
  });

  it("marks a server's resync frame, and a later snapshot replaces the state but keeps the logs", () => {
    let state = apply(initialRunState, snapshot(2), {
      type: 'log',
      seq: 3,
      step: 'a',
      lines: lines(1, 3),
    });
    state = apply(state, { type: 'resync', seq: 3 });
    expect(state.resync).toBe(true);
    state = apply(state, { ...snapshot(40, 9), job: job('Completed') });
    expect(state.resync).toBe(false);
    expect(state.seq).toBe(40);
    expect(state.job?.status).toBe('Completed');
    expect(state.logs.a?.lines).toHaveLength(3);
    expect(state.logs.a?.published).toBe(9);
    expect(firstMissingLine(state.logs.a!)).toBe(4);
  });

  it('adds a step it did not know from a step event', () => {
    const state = apply(initialRunState, snapshot(1), {
      type: 'step',
      seq: 2,
      ...step('c', 'Queued'),
    });
    expect(state.order).toEqual(['a', 'b', 'c']);
  });

  it('returns the same state for an action that changes nothing', () => {
    const state = apply(initialRunState, snapshot(1));
    expect(runReducer(state, { type: 'reconnecting' })).toBe(state);
    expect(runReducer(state, { type: 'backfill', step: 'a', lines: [] })).toBe(state);
    expect(applyFrame(state, { type: 'job', seq: 1, ...job('Failed') })).toBe(state);
  });
});

describe('log lines', () => {
  it('appends newer lines and merges older ones without duplicates', () => {
    let log = mergeLines(EMPTY_LOG, lines(5, 7));
    log = mergeLines(log, lines(8, 9));
    expect(log.lines.map((l) => l.seq)).toEqual([5, 6, 7, 8, 9]);
    log = mergeLines(log, lines(1, 6));
    expect(log.lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(log.published).toBe(9);
    log = mergeLines(log, [...lines(9, 10), ...lines(10, 11)]);
    expect(log.lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('keeps at most the newest lines and counts the dropped ones', () => {
    let log = mergeLines(EMPTY_LOG, lines(1, 8), 5);
    expect(log.lines.map((l) => l.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(log.dropped).toBe(3);
    // Lines from before the dropped ones stay dropped.
    log = mergeLines(log, lines(1, 3), 5);
    expect(log.lines.map((l) => l.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(firstMissingLine(log)).toBeNull();
  });

  it('finds the first line missing: a hole, the head, or lines published but not received', () => {
    expect(firstMissingLine(EMPTY_LOG)).toBeNull();
    expect(firstMissingLine({ lines: [], dropped: 0, published: 4 })).toBe(1);
    expect(firstMissingLine(mergeLines(EMPTY_LOG, lines(3, 4)))).toBe(1);
    expect(firstMissingLine(mergeLines(EMPTY_LOG, [...lines(1, 2), ...lines(5, 6)]))).toBe(3);
    expect(firstMissingLine({ ...mergeLines(EMPTY_LOG, lines(1, 2)), published: 5 })).toBe(3);
    expect(firstMissingLine(mergeLines(EMPTY_LOG, lines(1, 3)))).toBeNull();
  });

  it('does not count the lines a capped log dropped as missing', () => {
    const note: LogLine = {
      seq: 9,
      t: 1,
      line: '[studio] 7 lines (600 bytes) not kept',
      dropped: { from: 3, lines: 7, bytes: 600 },
    };
    const log = mergeLines(EMPTY_LOG, [...lines(1, 2), note, ...lines(10, 11)]);
    expect(firstMissingLine(log)).toBeNull();
    expect(firstMissingLine({ ...log, published: 13 })).toBe(12);
    // A hole before what the note covers is still missing.
    expect(firstMissingLine(mergeLines(EMPTY_LOG, [...lines(1, 1), note]))).toBe(2);
  });

  it('fills what the socket missed from a REST backfill', () => {
    let state = apply(initialRunState, snapshot(1, 3), {
      type: 'log',
      seq: 2,
      step: 'a',
      lines: lines(4, 5),
    });
    expect(firstMissingLine(state.logs.a!)).toBe(1);
    state = runReducer(state, { type: 'backfill', step: 'a', lines: lines(1, 4) });
    expect(state.logs.a?.lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(firstMissingLine(state.logs.a!)).toBeNull();
  });
});
