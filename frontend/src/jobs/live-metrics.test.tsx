import { render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyFrame, initialRunState, type RunState } from './job-state';
import { mergePoints, mergeSeries, type MetricFrame, type MetricSeries } from './metric-series';
import { StepMetrics } from './step-metrics';
import type { SnapshotFrame, StepInfo } from './types';

const step = (status: string): StepInfo => ({
  step: 'train',
  display_name: '',
  status,
  status_reason: '',
  attempt: 1,
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
});

const snapshot = (seq: number): SnapshotFrame => ({
  type: 'snapshot',
  seq,
  job: {
    job: 'j1',
    display_name: '',
    status: 'Running',
    status_reason: '',
    created_at: null,
    started_at: null,
    finished_at: null,
  },
  steps: [{ ...step('Running'), log_seq: 0 }],
});

const metric = (seq: number, points: MetricFrame['points'], name = 'train'): MetricFrame => ({
  type: 'metric',
  seq,
  step: name,
  points,
});

function jsonResponse(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

describe('metric events in the job state', () => {
  it('merges the points of each step in order, and a replayed event changes nothing', () => {
    let state: RunState = applyFrame(initialRunState, snapshot(4));
    state = applyFrame(state, metric(5, [{ name: 'loss', value: 0.9, t: 10, step: 1 }]));
    state = applyFrame(
      state,
      metric(6, [
        { name: 'loss', value: 0.5, t: 12, step: 2 },
        { name: 'acc', value: 0.7, t: 12 },
      ]),
    );
    expect(state.seq).toBe(6);
    expect(state.metrics.train?.loss?.map((p) => p.value)).toEqual([0.9, 0.5]);
    expect(state.metrics.train?.acc).toEqual([{ value: 0.7, t: 12 }]);
    const again = applyFrame(state, metric(6, [{ name: 'loss', value: 0.1, t: 13 }]));
    expect(again).toBe(state); // already applied
  });

  it('waits for the missing event before applying a later one, and keeps points over a snapshot', () => {
    let state = applyFrame(initialRunState, snapshot(1));
    const skipped = applyFrame(state, metric(3, [{ name: 'loss', value: 1, t: 1 }]));
    expect(skipped.resync).toBe(true);
    expect(skipped.metrics).toEqual({});
    state = applyFrame(state, metric(2, [{ name: 'loss', value: 1, t: 1 }]));
    state = applyFrame(state, snapshot(9));
    expect(state.metrics.train?.loss).toEqual([{ value: 1, t: 1 }]);
  });
});

describe('mergePoints and mergeSeries', () => {
  it('returns the series itself when every point is known', () => {
    const series: MetricSeries = { loss: [{ value: 1, t: 1 }] };
    expect(mergePoints(series, [{ name: 'loss', value: 1, t: 1 }])).toBe(series);
  });

  it('keeps only the newest points past a limit', () => {
    const points = Array.from({ length: 5 }, (_, i) => ({ name: 'x', value: i, t: i }));
    expect(mergePoints({}, points, 3).x?.map((p) => p.value)).toEqual([2, 3, 4]);
  });

  it('merges what REST gave with what the socket sent, each point once, in time order', () => {
    const rest: MetricSeries = {
      loss: [
        { value: 0.9, t: 1 },
        { value: 0.5, t: 3 },
      ],
    };
    const live: MetricSeries = {
      loss: [
        { value: 0.5, t: 3 },
        { value: 0.7, t: 2 },
        { value: 0.2, t: 4 },
      ].sort((a, b) => a.t - b.t),
      acc: [{ value: 0.8, t: 4 }],
    };
    const merged = mergeSeries(rest, live);
    expect(merged.loss?.map((p) => p.value)).toEqual([0.9, 0.7, 0.5, 0.2]);
    expect(merged.acc).toEqual([{ value: 0.8, t: 4 }]);
    expect(rest.loss).toHaveLength(2);
    expect(mergeSeries(rest, { loss: [{ value: 0.5, t: 3 }] })).toBe(rest);
    expect(mergeSeries(rest, undefined)).toBe(rest);
  });
});

describe('StepMetrics with live points', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('loads REST once, then follows the socket without polling', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const fetchMock = vi.fn(async () =>
      jsonResponse({
        job: 'j1',
        seq: 3,
        steps: { train: { metrics: { loss: [{ value: 0.9, t: 1 }] }, last: {} } },
      }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const { rerender } = render(
      <StepMetrics job="j1" step="train" info={step('Running')} live={{}} polling={false} />,
    );
    await waitFor(() => expect(screen.getByTestId('metric-last').textContent).toBe('0.9'));

    // A metric event arrives: the chart has both points, REST is not asked again.
    const live: MetricSeries = {
      loss: [
        { value: 0.9, t: 1 },
        { value: 0.4, t: 2 },
      ],
    };
    rerender(
      <StepMetrics job="j1" step="train" info={step('Running')} live={live} polling={false} />,
    );
    expect(screen.getByTestId('metric-last').textContent).toBe('0.4');
    expect(screen.getByRole('img', { name: 'loss: 2 values, last 0.4' })).toBeTruthy();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(fetchMock).toHaveBeenCalledTimes(1);

    // The socket drops: REST is polled again as the fallback.
    rerender(<StepMetrics job="j1" step="train" info={step('Running')} live={live} polling />);
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(2));
    await vi.advanceTimersByTimeAsync(5_100);
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(3));
  });
});
