import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../lib/csrf';
import { createAutosave } from './autosave';

function setup(save: (json: string) => Promise<void>) {
  let current = '{"v":0}';
  const statuses: string[] = [];
  const autosave = createAutosave(current, {
    snapshot: () => current,
    save,
    onStatus: (status) => statuses.push(status),
    delayMs: 800,
    retryDelayMs: () => 5_000,
  });
  return {
    autosave,
    statuses,
    edit(json: string) {
      current = json;
      autosave.changed();
    },
  };
}

describe('createAutosave', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('saves once after a pause in editing, with the latest graph', async () => {
    const save = vi.fn(() => Promise.resolve());
    const { edit, statuses } = setup(save);
    edit('{"v":1}');
    await vi.advanceTimersByTimeAsync(500);
    edit('{"v":2}');
    await vi.advanceTimersByTimeAsync(500);
    expect(save).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(400);
    expect(save).toHaveBeenCalledTimes(1);
    expect(save).toHaveBeenCalledWith('{"v":2}');
    expect(statuses.at(-1)).toBe('saved');
  });

  it('does not save when nothing changed since the last save', async () => {
    const save = vi.fn(() => Promise.resolve());
    const { edit, statuses } = setup(save);
    edit('{"v":0}');
    await vi.advanceTimersByTimeAsync(1000);
    expect(save).not.toHaveBeenCalled();
    expect(statuses).toEqual(['dirty', 'saved']);
  });

  it('saves again when edits arrive during a save', async () => {
    let finish: () => void = () => {};
    const save = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const { edit } = setup(save);
    edit('{"v":1}');
    await vi.advanceTimersByTimeAsync(800);
    edit('{"v":2}');
    finish();
    await vi.advanceTimersByTimeAsync(800);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(save.mock.calls).toEqual([['{"v":1}'], ['{"v":2}']]);
  });

  it('stops for good on a conflict and never saves over it', async () => {
    const save = vi.fn(() => Promise.reject(new ApiError(409, { detail: 'stale revision' })));
    const { autosave, edit, statuses } = setup(save);
    edit('{"v":1}');
    await vi.advanceTimersByTimeAsync(800);
    expect(statuses.at(-1)).toBe('conflict');
    edit('{"v":2}');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(save).toHaveBeenCalledTimes(1);
    await expect(autosave.flush()).resolves.toBe(false);
  });

  it('goes offline on a network error and retries until it succeeds', async () => {
    const save = vi
      .fn<(json: string) => Promise<void>>()
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
      .mockRejectedValueOnce(new ApiError(503, null, 'Service Unavailable'))
      .mockResolvedValue(undefined);
    const { edit, statuses } = setup(save);
    edit('{"v":1}');
    await vi.advanceTimersByTimeAsync(800);
    expect(statuses.at(-1)).toBe('offline');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(statuses.at(-1)).toBe('offline');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(save).toHaveBeenCalledTimes(3);
    expect(statuses.at(-1)).toBe('saved');
  });

  it('reports other client errors without retrying', async () => {
    const save = vi.fn(() => Promise.reject(new ApiError(400, { detail: 'bad graph' })));
    const { edit, statuses } = setup(save);
    edit('{"v":1}');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(save).toHaveBeenCalledTimes(1);
    expect(statuses.at(-1)).toBe('error');
  });

  it('flushes pending edits at once', async () => {
    const save = vi.fn(() => Promise.resolve());
    const { autosave, edit } = setup(save);
    edit('{"v":1}');
    expect(autosave.hasUnsavedChanges()).toBe(true);
    await expect(autosave.flush()).resolves.toBe(true);
    expect(save).toHaveBeenCalledWith('{"v":1}');
    expect(autosave.hasUnsavedChanges()).toBe(false);
  });
});
