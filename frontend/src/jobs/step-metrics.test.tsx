import { render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  StepMetrics,
  chartGeometry,
  formatMetric,
  mergePoints,
  thin,
  type MetricSeries,
} from './step-metrics';
import type { StepInfo } from './types';

function info(status: string): StepInfo {
  return {
    step: 'train',
    display_name: '',
    status,
    status_reason: '',
    attempt: 1,
    max_retries: 0,
    exit_code: null,
    compute: 'local',
    reused_from: null,
    reuse_note: '',
    outputs: {},
    queued_at: null,
    started_at: null,
    finished_at: null,
    next_attempt_at: null,
  };
}

const SERIES: MetricSeries = {
  loss: [
    { value: 0.9, t: 100, step: 1 },
    { value: 0.5, t: 110, step: 2 },
    { value: 0.25, t: 130, step: 3 },
  ],
  accuracy: [{ value: 0.93, t: 140 }],
};

function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('mergePoints', () => {
  it('adds new points in time order, new names as new series, and drops repeats', () => {
    const merged = mergePoints(SERIES, [
      { name: 'loss', value: 0.6, t: 105, step: 9 },
      { name: 'loss', value: 0.25, t: 130, step: 3 }, // already there (REST and event overlap)
      { name: 'f1', value: 0.5, t: 150 },
      { name: 'bad', value: Number.NaN, t: 1 },
    ]);
    expect(merged.loss?.map((p) => p.value)).toEqual([0.9, 0.6, 0.5, 0.25]);
    expect(merged.f1).toEqual([{ value: 0.5, t: 150 }]);
    expect(merged.bad).toBeUndefined();
    expect(SERIES.loss).toHaveLength(3); // the input is untouched
  });
});

describe('formatMetric', () => {
  it('keeps four significant digits and uses exponents for tiny or huge values', () => {
    expect(formatMetric(0.123456)).toBe('0.1235');
    expect(formatMetric(42)).toBe('42');
    expect(formatMetric(0)).toBe('0');
    expect(formatMetric(0.00012)).toBe('1.20e-4');
    expect(formatMetric(12345678)).toBe('1.23e+7');
    expect(formatMetric(-2.5)).toBe('-2.5');
  });
});

describe('chartGeometry', () => {
  it('puts time on x and value on y, higher values higher up', () => {
    const timed = SERIES.loss!.map(({ value, t }) => ({ value, t }));
    const geometry = chartGeometry(timed, 100, 50);
    expect(geometry.axis).toBe('time');
    expect(geometry.dots.map((d) => d.x)).toEqual([6, 35.3, 94]); // t = 100, 110, 130
    const [first, , last] = geometry.dots;
    expect(first!.y).toBeLessThan(last!.y); // 0.9 is drawn above 0.25
    expect(geometry.path.startsWith('M6 ')).toBe(true);
    expect(geometry.path.split('L')).toHaveLength(3);
    expect([geometry.minY, geometry.maxY]).toEqual([0.25, 0.9]);
  });

  it('keeps time on x when steps repeat or some points have none', () => {
    expect(chartGeometry(SERIES.loss!.map((p) => ({ ...p, step: 1 }))).axis).toBe('time');
    expect(
      chartGeometry([
        { value: 1, t: 1, step: 1 },
        { value: 2, t: 2 },
      ]).axis,
    ).toBe('time');
    expect(chartGeometry(SERIES.loss!).axis).toBe('step');
  });

  it('uses the step as x when every point has its own (a metrics.json list)', () => {
    const points = [
      { value: 3, t: 5, step: 2 },
      { value: 1, t: 5, step: 0 },
      { value: 2, t: 5, step: 1 },
    ];
    const geometry = chartGeometry(points, 100, 50);
    expect(geometry.axis).toBe('step');
    expect(geometry.dots.map((d) => d.point.step)).toEqual([0, 1, 2]);
    expect([geometry.minX, geometry.maxX]).toEqual([0, 2]);
  });

  it('draws a flat series in the middle and thins long ones', () => {
    const flat = chartGeometry(
      [
        { value: 1, t: 1 },
        { value: 1, t: 2 },
      ],
      100,
      50,
    );
    expect(new Set(flat.dots.map((d) => d.y))).toEqual(new Set([25]));
    const long = Array.from({ length: 5000 }, (_, i) => ({ value: i, t: i }));
    expect(chartGeometry(long).dots).toHaveLength(500);
    expect(thin([1, 2, 3, 4, 5], 3)).toEqual([1, 3, 5]);
  });
});

describe('StepMetrics', () => {
  it('charts each series with its newest value', () => {
    render(<StepMetrics job="j1" step="train" metrics={SERIES} />);
    const charts = screen.getAllByTestId('step-metric');
    expect(charts.map((c) => c.getAttribute('data-metric'))).toEqual(['accuracy', 'loss']);
    expect(screen.getAllByTestId('metric-last').map((e) => e.textContent)).toEqual([
      '0.93',
      '0.25',
    ]);
    const chart = screen.getByRole('img', { name: 'loss: 3 values, last 0.25' });
    expect(chart.querySelector('path')?.getAttribute('d')).toMatch(/^M[\d.]+ [\d.]+ L/);
    expect(chart.querySelectorAll('circle')).toHaveLength(3);
    expect(screen.getByLabelText('accuracy: 1 value, last 0.93')).toBeTruthy();
  });

  it('renders nothing while the step has no metrics', () => {
    const { container } = render(<StepMetrics job="j1" step="train" metrics={{}} />);
    expect(container.innerHTML).toBe('');
  });

  it('reads the REST API, again while the step runs, and stops once it ended', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const answers = [
      { loss: [{ value: 0.9, t: 1 }] },
      {
        loss: [
          { value: 0.9, t: 1 },
          { value: 0.4, t: 2 },
        ],
      },
    ];
    const fetchMock = vi.fn(async (url: string | URL | Request) => {
      expect(String(url)).toBe('/api/v1/jobs/j%201/metrics/?step=train');
      const metrics = answers[Math.min(fetchMock.mock.calls.length - 1, answers.length - 1)];
      return jsonResponse({ job: 'j 1', seq: 3, steps: { train: { metrics, last: {} } } });
    });
    vi.stubGlobal('fetch', fetchMock);

    const { rerender } = render(
      <StepMetrics job="j 1" step="train" info={info('Running')} refreshMs={1000} />,
    );
    await waitFor(() => expect(screen.getByTestId('metric-last').textContent).toBe('0.9'));
    await vi.advanceTimersByTimeAsync(1100);
    await waitFor(() => expect(screen.getByTestId('metric-last').textContent).toBe('0.4'));

    rerender(<StepMetrics job="j 1" step="train" info={info('Completed')} refreshMs={1000} />);
    await waitFor(() => expect(fetchMock.mock.calls.length).toBeGreaterThanOrEqual(3));
    const calls = fetchMock.mock.calls.length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchMock.mock.calls.length).toBe(calls); // an ended step is read once more, then left alone
    vi.unstubAllGlobals();
  });

  it('says when the metrics cannot be read', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => jsonResponse({ detail: 'job j1 has no step train', errors: {} }, 404)),
    );
    render(<StepMetrics job="j1" step="train" info={info('Completed')} />);
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toContain('job j1 has no step train'),
    );
    vi.unstubAllGlobals();
  });
});
