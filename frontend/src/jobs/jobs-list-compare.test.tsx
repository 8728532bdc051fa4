import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobSummary, JobSummaryPage } from './api';
import { compareUrl, JobsList, metricFromUrl, sortByMetric } from './jobs-list';

const summary = (name: string, value?: number | null): JobSummary => ({
  id: name,
  name,
  display_name: '',
  experiment_name: 'exp',
  status: 'Completed',
  status_reason: '',
  created_by: 'admin',
  created_at: new Date().toISOString(),
  started_at: new Date().toISOString(),
  finished_at: new Date().toISOString(),
  duration: 3,
  computes: ['docker'],
  steps: 1,
  step_statuses: { Completed: 1 },
  url: `/jobs/${name}/`,
  ...(value === undefined
    ? {}
    : { metric: value === null ? null : { name: 'accuracy', value, step: 'train' } }),
});

const page = (...results: JobSummary[]): JobSummaryPage => ({
  count: results.length,
  page: 1,
  pages: 1,
  results,
});

describe('pure helpers of the metric column and the compare button', () => {
  it('sorts by the metric, jobs without a value last in their order', () => {
    const rows = [summary('a', 0.5), summary('b', null), summary('c', 0.9), summary('d', 0.1)];
    expect(sortByMetric(rows, 'desc').map((r) => r.name)).toEqual(['c', 'a', 'd', 'b']);
    expect(sortByMetric(rows, 'asc').map((r) => r.name)).toEqual(['d', 'a', 'c', 'b']);
    expect(sortByMetric(rows, '').map((r) => r.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('builds the compare address and reads the metric from the address', () => {
    expect(compareUrl(['job_a', 'job b'])).toBe('/jobs/compare/?ids=job_a,job%20b');
    expect(metricFromUrl('?metric=loss&sort=-metric')).toEqual({ metric: 'loss', sort: 'desc' });
    expect(metricFromUrl('?metric=loss&sort=metric')).toEqual({ metric: 'loss', sort: 'asc' });
    expect(metricFromUrl('?sort=metric')).toEqual({ metric: '', sort: '' });
  });
});

describe('the jobs list metric column and compare selection', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  const summaryCalls = () =>
    fetchMock.mock.calls
      .map((call) => String(call[0]))
      .filter((url) => url.startsWith('/api/v1/jobs/summaries/'));

  beforeEach(() => {
    fetchMock = vi.fn(async (url: string | URL | Request) => {
      const address = String(url);
      const body = address.startsWith('/api/v1/jobs/metric-names/')
        ? { names: ['accuracy', 'loss'], counts: { accuracy: 2, loss: 1 }, jobs: 3 }
        : address.includes('metric=accuracy')
          ? page(summary('job_a', 0.9), summary('job_b', 0.75), summary('job_c', null))
          : page(summary('job_a'), summary('job_b'), summary('job_c'));
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
      });
    });
    vi.stubGlobal('fetch', fetchMock);
    window.history.replaceState(null, '', '/jobs/');
  });
  afterEach(() => vi.unstubAllGlobals());

  it('offers the metric names, shows the chosen one as a sortable column, in the address', async () => {
    render(<JobsList initial={page(summary('job_a'), summary('job_b'), summary('job_c'))} />);
    const picker = screen.getByLabelText('Metric');
    await waitFor(() =>
      expect(
        within(picker)
          .getAllByRole('option')
          .map((o) => o.getAttribute('value')),
      ).toEqual(['', 'accuracy', 'loss']),
    );
    expect(screen.queryByTestId('job-row-metric')).toBeNull();

    fireEvent.change(picker, { target: { value: 'accuracy' } });
    await waitFor(() =>
      expect(screen.getAllByTestId('job-row-metric').map((c) => c.textContent)).toEqual([
        '0.9',
        '0.75',
        '—',
      ]),
    );
    expect(summaryCalls().at(-1)).toBe('/api/v1/jobs/summaries/?page_size=50&metric=accuracy');
    expect(window.location.search).toBe('?metric=accuracy');

    const header = screen.getByRole('columnheader', { name: /accuracy/ });
    fireEvent.click(within(header).getByRole('button'));
    expect(header.getAttribute('aria-sort')).toBe('descending');
    expect(window.location.search).toBe('?metric=accuracy&sort=-metric');
    fireEvent.click(within(header).getByRole('button'));
    expect(header.getAttribute('aria-sort')).toBe('ascending');
    const order = screen
      .getAllByRole('row')
      .slice(1)
      .map((row) => row.getAttribute('data-job'));
    expect(order).toEqual(['job_b', 'job_a', 'job_c']);

    fireEvent.change(picker, { target: { value: '' } });
    await waitFor(() => expect(screen.queryByTestId('job-row-metric')).toBeNull());
    expect(window.location.search).toBe('');
  });

  it('reads the metric column at once when the address asks for one', async () => {
    window.history.replaceState(null, '', '/jobs/?metric=accuracy&sort=metric');
    render(<JobsList initial={page(summary('job_a'), summary('job_b'), summary('job_c'))} />);
    await waitFor(() =>
      expect(screen.getAllByTestId('job-row-metric').map((c) => c.textContent)).toEqual([
        '0.75',
        '0.9',
        '—',
      ]),
    );
    expect((screen.getByLabelText('Metric') as HTMLSelectElement).value).toBe('accuracy');
    expect(window.location.search).toBe('?metric=accuracy&sort=metric');
  });

  it('compares the jobs picked with their checkboxes', () => {
    render(<JobsList initial={page(summary('job_a'), summary('job_b'), summary('job_c'))} />);
    const compare = () => screen.getByRole('group', { name: 'Compare jobs' });
    expect(within(compare()).getByRole('button', { name: 'Compare (0)' })).toHaveProperty(
      'disabled',
      true,
    );
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select job_b to compare' }));
    expect(within(compare()).getByRole('button', { name: 'Compare (1)' })).toHaveProperty(
      'disabled',
      true,
    );
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select job_a to compare' }));
    const link = within(compare()).getByRole('link', { name: 'Compare (2)' });
    expect(link.getAttribute('href')).toBe('/jobs/compare/?ids=job_b,job_a');
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select job_b to compare' }));
    expect(within(compare()).getByRole('button', { name: 'Compare (1)' })).toBeTruthy();
    fireEvent.click(within(compare()).getByRole('button', { name: 'Clear' }));
    expect(within(compare()).getByRole('button', { name: 'Compare (0)' })).toBeTruthy();
    expect(
      (screen.getByRole('checkbox', { name: 'Select job_a to compare' }) as HTMLInputElement)
        .checked,
    ).toBe(false);
  });
});
