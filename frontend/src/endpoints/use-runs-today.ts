/**
 * The "N runs today" of the endpoint page's header, kept current: the server draws it once, and a
 * run started from "Try it" (or from anywhere, told by the notifications socket) would otherwise
 * leave it at its old count until a reload. Each time the recent runs are fetched again, the
 * endpoint's count is fetched too and written into the header's `[data-runs-today]`.
 */
import { useEffect } from 'react';
import { apiFetch } from '../lib/csrf';

export function runsTodayText(count: number): string {
  return `${count} run${count === 1 ? '' : 's'} today`;
}

export function useRunsToday(endpoint: string, updatedAt: number | null): void {
  useEffect(() => {
    if (updatedAt === null) return;
    let stale = false;
    apiFetch<{ runs_today?: number | null }>(`/api/v1/endpoints/${encodeURIComponent(endpoint)}/`)
      .then((answer) => {
        const target = document.querySelector('[data-runs-today]');
        if (!stale && target && typeof answer.runs_today === 'number') {
          target.textContent = runsTodayText(answer.runs_today);
        }
      })
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [endpoint, updatedAt]);
}
