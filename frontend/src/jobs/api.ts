/** The job pages' calls to the REST API (`runner/api/jobs.py`). */
import { apiFetch } from '../lib/csrf';
import type { LogLine } from './types';

const enc = encodeURIComponent;

export function jobApi(job: string): string {
  return `/api/v1/jobs/${enc(job)}/`;
}

export interface LogPage {
  step: string;
  status: string;
  lines: LogLine[];
  next_offset: number;
  complete: boolean;
}

export function fetchLogPage(job: string, step: string, offset: number, signal?: AbortSignal) {
  return apiFetch<LogPage>(`${jobApi(job)}steps/${enc(step)}/logs/?offset=${offset}`, { signal });
}

export function logDownloadUrl(job: string, step: string): string {
  return `${jobApi(job)}steps/${enc(step)}/logs/download/`;
}

export interface OutputFile {
  path: string;
  size: number;
}

export interface OutputListing {
  path: string;
  type: string;
  /** NAME:VERSION of the data or model asset the output was registered as (its YAML's `name`). */
  asset?: string;
  hash?: string;
  size?: number;
  files: OutputFile[];
}

export function fetchOutputs(job: string, step: string, signal?: AbortSignal) {
  return apiFetch<Record<string, OutputListing>>(`${jobApi(job)}steps/${enc(step)}/outputs/`, {
    signal,
  });
}

export function outputFileUrl(job: string, step: string, output: string, path: string): string {
  const parts = path.split('/').map(enc).join('/');
  return `${jobApi(job)}steps/${enc(step)}/outputs/${enc(output)}/${parts}`;
}

export interface Preview {
  output: string;
  path: string;
  name: string;
  size: number;
  content_type: string;
  download: string;
  kind: 'csv' | 'tsv' | 'json' | 'image' | 'text' | 'binary';
  text: string | null;
  truncated: boolean;
}

export function fetchPreview(
  job: string,
  step: string,
  output: string,
  path: string,
  signal?: AbortSignal,
) {
  const query = `output=${enc(output)}&path=${enc(path)}`;
  return apiFetch<Preview>(`${jobApi(job)}steps/${enc(step)}/preview/?${query}`, { signal });
}

export interface ReuseChange {
  part: string;
  name: string | null;
  change: 'added' | 'removed' | 'changed';
  before: unknown;
  now: unknown;
  text: string;
}

export interface ReuseExplanation {
  step: string;
  key: string;
  parts: {
    component?: string;
    code?: string;
    environment?: string;
    parameters?: Record<string, unknown>;
    inputs?: Record<string, string>;
  };
  note: string;
  reused: boolean;
  reused_from: { job: string; step: string } | null;
  compared_with: {
    job: string;
    step: string;
    status: string;
    version: string;
    reused_from: string | null;
  } | null;
  changes: ReuseChange[];
  summary: string;
}

export function fetchReuse(job: string, step: string, signal?: AbortSignal) {
  return apiFetch<ReuseExplanation>(`${jobApi(job)}steps/${enc(step)}/reuse/`, { signal });
}

export function cancelJob(job: string) {
  return apiFetch(`${jobApi(job)}cancel/`, { method: 'POST' });
}

export interface JobSummary {
  id: string;
  name: string;
  display_name: string;
  experiment_name: string;
  status: string;
  status_reason: string;
  created_by: string | null;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration: number | null;
  computes: string[];
  steps: number;
  step_statuses: Record<string, number>;
  url: string;
  /** With `?metric=NAME`: the job's newest value of it (and the step that reported it), or null. */
  metric?: { name: string; value: number; step: string } | null;
}

export interface JobSummaryPage {
  count: number;
  page: number;
  pages: number;
  results: JobSummary[];
  active?: number;
  now?: string;
}

export interface JobFilters {
  status: string;
  experiment: string;
  q: string;
  page: number;
  /** The metric shown as a column ('' for none). */
  metric?: string;
}

export function summariesQuery(filters: JobFilters, pageSize: number): string {
  const params = new URLSearchParams();
  if (filters.status) params.set('status', filters.status);
  if (filters.experiment) params.set('experiment_name', filters.experiment);
  if (filters.q) params.set('search', filters.q);
  if (filters.page > 1) params.set('page', String(filters.page));
  params.set('page_size', String(pageSize));
  if (filters.metric) params.set('metric', filters.metric);
  return params.toString();
}

export function fetchSummaries(filters: JobFilters, pageSize: number, signal?: AbortSignal) {
  return apiFetch<JobSummaryPage>(`/api/v1/jobs/summaries/?${summariesQuery(filters, pageSize)}`, {
    signal,
  });
}

/** `GET /api/v1/jobs/metric-names/`: the metric names recent jobs reported. */
export interface MetricNames {
  names: string[];
  counts: Record<string, number>;
  jobs: number;
}

export function fetchMetricNames(signal?: AbortSignal) {
  return apiFetch<MetricNames>('/api/v1/jobs/metric-names/', { signal });
}
