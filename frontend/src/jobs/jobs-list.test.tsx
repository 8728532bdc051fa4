import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobSummary, JobSummaryPage } from './api';
import { JobsList } from './jobs-list';

const summary = (name: string, status: string, extra: Partial<JobSummary> = {}): JobSummary => ({
  id: name,
  name,
  display_name: '',
  experiment_name: 'exp',
  status,
  status_reason: '',
  created_by: 'admin',
  created_at: new Date().toISOString(),
  started_at: new Date(Date.now() - 5000).toISOString(),
  finished_at: null,
  duration: null,
  computes: ['docker'],
  steps: 3,
  step_statuses: { Running: 1, NotStarted: 2 },
  url: `/jobs/${name}/`,
  ...extra,
});

const page = (...results: JobSummary[]): JobSummaryPage => ({
  count: results.length,
  page: 1,
  pages: 1,
  results,
});

describe('the jobs list island', () => {
  let responses: JobSummaryPage[];
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    responses = [];
    fetchMock = vi.fn(async (url: string | URL | Request) => {
      const body = String(url).startsWith('/api/v1/jobs/metric-names/')
        ? { names: [], counts: {}, jobs: 0 }
        : (responses.shift() ?? page());
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
      });
    });
    vi.stubGlobal('fetch', fetchMock);
    window.history.replaceState(null, '', '/jobs/');
  });
  afterEach(() => vi.unstubAllGlobals());
  // The list's reads of its rows (it also reads the metric names, once).
  const summaryCalls = () =>
    fetchMock.mock.calls
      .map((call) => String(call[0]))
      .filter((url) => url.startsWith('/api/v1/jobs/summaries/'));

  it('updates the status of an active job without a reload', async () => {
    responses.push(
      page(
        summary('job_1', 'Completed', {
          duration: 65,
          finished_at: new Date().toISOString(),
          step_statuses: { Completed: 3 },
        }),
      ),
    );
    render(<JobsList experiments={['exp']} initial={page(summary('job_1', 'Running'))} />);
    expect(screen.getByTestId('job-row-status').textContent).toBe('Running');
    expect(screen.getByText('0 / 3 done · 1 running')).toBeTruthy();
    await waitFor(
      () => expect(screen.getByTestId('job-row-status').textContent).toBe('Completed'),
      {
        timeout: 4000,
      },
    );
    expect(screen.getByText('1m 05s')).toBeTruthy();
    expect(summaryCalls()[0]).toBe('/api/v1/jobs/summaries/?page_size=50');
  });

  it('filters by status, experiment and search, and keeps them in the address', async () => {
    render(<JobsList experiments={['exp', 'other']} initial={page()} />);
    expect(screen.getByText('No jobs yet.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Failed' }));
    await waitFor(() => expect(summaryCalls()).toHaveLength(1));
    expect(summaryCalls()[0]).toBe('/api/v1/jobs/summaries/?status=Failed&page_size=50');
    fireEvent.change(screen.getByLabelText('Experiment'), { target: { value: 'other' } });
    await waitFor(() => expect(summaryCalls()).toHaveLength(2));
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search jobs' }), {
      target: { value: 'nightly' },
    });
    await waitFor(() => expect(summaryCalls()).toHaveLength(3));
    expect(summaryCalls()[2]).toBe(
      '/api/v1/jobs/summaries/?status=Failed&experiment_name=other&search=nightly&page_size=50',
    );
    expect(window.location.search).toBe('?q=nightly&status=Failed&experiment=other');
    expect(await screen.findByText('No jobs match.')).toBeTruthy();
  });
});
