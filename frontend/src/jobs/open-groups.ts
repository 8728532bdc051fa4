/**
 * Which pipeline components of a job's graph are open: closed by default, kept while the page is
 * open and remembered in this browser per job (localStorage), as the designer keeps its panels.
 */
import { useCallback, useState } from 'react';
import { toggleGroup } from './run-groups';

const PREFIX = 'studio.jobs.open-groups.';

function read(job: string): Set<string> {
  try {
    const raw = window.localStorage.getItem(PREFIX + job);
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return new Set(Array.isArray(parsed) ? parsed.filter((g) => typeof g === 'string') : []);
  } catch {
    return new Set();
  }
}

function write(job: string, open: ReadonlySet<string>): void {
  try {
    if (open.size) window.localStorage.setItem(PREFIX + job, JSON.stringify([...open].sort()));
    else window.localStorage.removeItem(PREFIX + job);
  } catch {
    // Private windows may refuse storage; the groups still open and close on this page.
  }
}

/** The open groups of `job`, a toggle, and `update` to change them (e.g. to reveal a step). */
export function useOpenGroups(job: string) {
  const [open, setOpen] = useState<ReadonlySet<string>>(() => read(job));
  const update = useCallback(
    (change: (open: ReadonlySet<string>) => ReadonlySet<string>) => {
      setOpen((current) => {
        const next = change(current);
        if (next !== current) write(job, next);
        return next;
      });
    },
    [job],
  );
  const toggle = useCallback(
    (group: string) => {
      setOpen((current) => {
        const next = toggleGroup(current, group);
        write(job, next);
        return next;
      });
    },
    [job],
  );
  return { open, toggle, update };
}
