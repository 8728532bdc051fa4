/** The results views' calls: a table's statistics and rows (`runner/api/tables.py`), a whole file. */
import { apiFetch } from '../lib/csrf';
import { jobApi } from './api';

const enc = encodeURIComponent;

export interface NumberStats {
  type: 'number';
  mean: number;
  std: number | null;
  min: number;
  median: number;
  max: number;
  histogram: { edges: number[]; counts: number[] };
}

export interface StringStats {
  type: 'string';
  top: { value: string; count: number }[];
  other: number;
}

export type ColumnStats = { name: string; count: number; missing: number; unique: number } & (
  NumberStats | StringStats
);

export interface TablePage {
  output: string;
  path: string;
  size: number;
  columns: string[];
  offset: number;
  limit: number;
  rows: string[][];
  scanned: number;
  complete: boolean;
  stats: ColumnStats[] | null;
  stats_max_rows: number;
}

export function fetchTable(
  job: string,
  step: string,
  output: string,
  path: string,
  page: { offset: number; limit: number; stats: boolean },
  signal?: AbortSignal,
) {
  const query = new URLSearchParams({
    output,
    path,
    offset: String(page.offset),
    limit: String(page.limit),
    stats: page.stats ? '1' : '0',
  });
  return apiFetch<TablePage>(`${jobApi(job)}steps/${enc(step)}/table/?${query}`, { signal });
}

/** A whole output file as text (Evaluate Model's scores.csv: capped at 20,000 rows by the step). */
export async function fetchText(url: string, signal?: AbortSignal): Promise<string> {
  const response = await fetch(url, { credentials: 'same-origin', signal });
  if (!response.ok)
    throw new Error(`${response.status} ${response.statusText}: could not read ${url}`);
  return response.text();
}
