/**
 * The recent runs of an endpoint, kept live: the notifications socket (`/ws/notifications/`) says
 * when a run of this endpoint was recorded or changed status, and the list is fetched again then,
 * and after every (re)connect so that nothing sent while the socket was down is missed. Nothing
 * polls. Reconnects with backoff (the jobs page's socket class).
 */
import { useEffect, useMemo, useState } from 'react';
import { apiFetch } from '../lib/csrf';
import { JobSocket, type ConnectionState } from '../jobs/job-socket';
import type { NotificationFrame, RunRow } from './types';

export const NOTIFICATIONS_PATH = '/ws/notifications/';

/** Whether a notification is about a run of `endpoint`. */
export function concernsEndpoint(frame: NotificationFrame, endpoint: string): boolean {
  return (
    frame.type === 'notification' && frame.kind === 'endpoint.run' && frame.endpoint === endpoint
  );
}

/**
 * A trigger that runs `task` one at a time: a call while it runs asks for one more run after it
 * (however many calls came meanwhile), so a burst of notifications costs at most two fetches.
 */
export function coalesce(task: () => Promise<unknown>): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    task()
      .catch(() => undefined)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          run();
        }
      });
  };
  return run;
}

export interface LiveRuns {
  rows: RunRow[];
  connection: ConnectionState | null;
  updatedAt: number | null;
  failed: boolean;
  refresh: () => void;
}

export function useLiveRuns(endpoint: string, url: string, initial: RunRow[]): LiveRuns {
  const [rows, setRows] = useState(initial);
  const [connection, setConnection] = useState<ConnectionState | null>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [failed, setFailed] = useState(false);
  const refresh = useMemo(
    () =>
      coalesce(() =>
        apiFetch<{ results: RunRow[] }>(url).then(
          (answer) => {
            setRows(answer.results ?? []);
            setUpdatedAt(Date.now());
            setFailed(false);
          },
          () => {
            setFailed(true);
          },
        ),
      ),
    [url],
  );

  useEffect(() => {
    const socket = new JobSocket({
      path: NOTIFICATIONS_PATH,
      resumeFrom: () => null,
      onFrame: (frame) => {
        if (concernsEndpoint(frame as unknown as NotificationFrame, endpoint)) refresh();
      },
      onState: (state) => {
        setConnection(state);
        if (state.state === 'live') refresh();
      },
    });
    socket.start();
    const online = () => socket.retryNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      socket.stop();
    };
  }, [endpoint, refresh]);

  return { rows, connection, updatedAt, failed, refresh };
}
