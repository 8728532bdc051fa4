/**
 * The `jobs` island: the jobs list (`/jobs/`, props `view: "list"`) or one job's live page
 * (`/jobs/<name>/`, props `view: "run"`). One island name keeps main.tsx's registry to one line;
 * both views load on demand, so other pages do not download them.
 */
import { lazy, Suspense } from 'react';
import type { JobsListProps } from './jobs-list';
import type { JobRunProps } from './types';

const JobRun = lazy(() => import('./job-run').then((m) => ({ default: m.JobRun })));
const JobsList = lazy(() => import('./jobs-list').then((m) => ({ default: m.JobsList })));

export type JobsIslandProps = ({ view: 'list' } & JobsListProps) | ({ view?: 'run' } & JobRunProps);

export function JobsIsland(props: JobsIslandProps) {
  return (
    <Suspense
      fallback={
        <p className="muted" role="status">
          Loading…
        </p>
      }
    >
      {props.view === 'list' ? <JobsList {...props} /> : <JobRun {...(props as JobRunProps)} />}
    </Suspense>
  );
}
