/**
 * Debounced saving of the draft: waits for a pause in editing, saves the latest graph with the
 * revision it was loaded at, and backs off while the server cannot be reached. A 409 (someone
 * else saved first) stops it for good: the page must be reloaded, never overwritten.
 */
import { ApiError } from '../lib/csrf';
import type { SaveStatus } from './store';

export interface AutosaveOptions {
  /** The graph as it should be saved now, as JSON text. */
  snapshot: () => string;
  /** Saves that JSON; rejects with ApiError for HTTP errors and TypeError when offline. */
  save: (json: string) => Promise<void>;
  onStatus: (status: SaveStatus, error?: string | null) => void;
  delayMs?: number;
  /** Wait before the nth retry (1-based) after a network or server error. */
  retryDelayMs?: (attempt: number) => number;
}

export interface Autosave {
  /** Something was edited: save after the next pause. */
  changed: () => void;
  /** Saves now if anything is unsaved; resolves true when everything is saved. */
  flush: () => Promise<boolean>;
  /** Retries at once after a network error (the browser came back online). */
  retryNow: () => void;
  /** Whether anything edited is not yet saved. */
  hasUnsavedChanges: () => boolean;
  stop: () => void;
}

const defaultRetryDelay = (attempt: number) => Math.min(30_000, 2_000 * 2 ** (attempt - 1));

export function createAutosave(initialJson: string, options: AutosaveOptions): Autosave {
  const { snapshot, save, onStatus, delayMs = 800, retryDelayMs = defaultRetryDelay } = options;
  let lastSaved = initialJson;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inflight: Promise<void> | null = null;
  let stopped = false;
  let offline = false;
  let failedAttempts = 0;

  const clearTimer = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };

  const schedule = (ms: number) => {
    clearTimer();
    timer = setTimeout(() => {
      timer = null;
      void run();
    }, ms);
  };

  async function run(): Promise<void> {
    if (stopped) return;
    if (inflight) {
      await inflight;
      return run();
    }
    const json = snapshot();
    if (json === lastSaved) {
      offline = false;
      onStatus('saved');
      return;
    }
    onStatus('saving');
    inflight = save(json).then(
      () => {
        lastSaved = json;
        offline = false;
        failedAttempts = 0;
        if (snapshot() !== lastSaved) {
          onStatus('dirty');
          schedule(delayMs);
        } else {
          onStatus('saved');
        }
      },
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 409) {
          stopped = true;
          clearTimer();
          onStatus('conflict', error.detail ?? error.message);
        } else if (!(error instanceof ApiError) || error.status >= 500) {
          offline = true;
          failedAttempts += 1;
          onStatus('offline', error instanceof Error ? error.message : String(error));
          schedule(retryDelayMs(failedAttempts));
        } else {
          onStatus('error', error.detail ?? error.message);
        }
      },
    );
    try {
      await inflight;
    } finally {
      inflight = null;
    }
  }

  return {
    changed() {
      if (stopped) return;
      if (!inflight && !offline) onStatus('dirty');
      // While offline, keep the retry schedule rather than waiting for a pause in editing.
      if (!offline) schedule(delayMs);
    },
    async flush() {
      if (stopped) return false;
      clearTimer();
      await run();
      return !stopped && !offline && snapshot() === lastSaved;
    },
    retryNow() {
      if (offline && !stopped) {
        clearTimer();
        void run();
      }
    },
    hasUnsavedChanges: () => inflight !== null || snapshot() !== lastSaved,
    stop() {
      stopped = true;
      clearTimer();
    },
  };
}
