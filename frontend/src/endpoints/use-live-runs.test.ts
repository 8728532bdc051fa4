import { describe, expect, it } from 'vitest';
import { coalesce, concernsEndpoint } from './use-live-runs';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('the live runs list', () => {
  it('fetches once more after a burst of notifications, not once per notification', async () => {
    const runs: ReturnType<typeof deferred>[] = [];
    const refresh = coalesce(() => {
      const run = deferred();
      runs.push(run);
      return run.promise;
    });

    refresh();
    refresh();
    refresh();
    refresh();
    expect(runs).toHaveLength(1);
    runs[0]!.resolve();
    await new Promise((done) => setTimeout(done, 0));
    expect(runs).toHaveLength(2);
    runs[1]!.resolve();
    await new Promise((done) => setTimeout(done, 0));
    expect(runs).toHaveLength(2);
  });

  it('keeps going after a failed fetch', async () => {
    let calls = 0;
    const refresh = coalesce(() => {
      calls += 1;
      return Promise.reject(new Error('offline'));
    });

    refresh();
    await new Promise((done) => setTimeout(done, 0));
    refresh();
    await new Promise((done) => setTimeout(done, 0));

    expect(calls).toBe(2);
  });

  it('listens only to the runs of its own endpoint', () => {
    const frame = { type: 'notification', kind: 'endpoint.run', endpoint: 'iris', job: 'j' };

    expect(concernsEndpoint(frame, 'iris')).toBe(true);
    expect(concernsEndpoint(frame, 'other')).toBe(false);
    expect(concernsEndpoint({ ...frame, kind: 'job.finished' }, 'iris')).toBe(false);
    expect(concernsEndpoint({ type: 'hello' }, 'iris')).toBe(false);
  });
});
