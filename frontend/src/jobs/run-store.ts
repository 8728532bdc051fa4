/**
 * One job's live state for React: the reducer of `job-state.ts` fed by a `JobSocket`, held
 * outside React so the socket reads the seq it resumes from synchronously, and published to
 * components at most once per animation frame (a replay of a thousand events renders once).
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { initialRunState, runReducer, type RunAction, type RunState } from './job-state';
import { JobSocket, type ConnectionState } from './job-socket';
import type { Frame } from './types';

export interface RunSnapshot {
  run: RunState;
  connection: ConnectionState;
}

export class RunStore {
  private snapshot: RunSnapshot = { run: initialRunState, connection: { state: 'stopped' } };
  private listeners = new Set<() => void>();
  private scheduled = false;
  private current: RunSnapshot = this.snapshot;
  socket: JobSocket | null = null;

  getSnapshot = (): RunSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The newest state (ahead of what components were last given, between frames). */
  get state(): RunState {
    return this.current.run;
  }

  dispatch = (action: RunAction): void => {
    const run = runReducer(this.current.run, action);
    if (run === this.current.run) return;
    this.current = { ...this.current, run };
    this.publish();
  };

  setConnection(connection: ConnectionState): void {
    this.current = { ...this.current, connection };
    this.publish();
  }

  handleFrame = (frame: Frame): void => {
    this.dispatch({ type: 'frame', frame });
    if (this.current.run.resync && frame.type !== 'resync') {
      // A gap in seq: reconnect from the last seq applied; the server replays the rest.
      this.dispatch({ type: 'reconnecting' });
      this.socket?.resync();
    } else if (frame.type === 'resync') {
      // The server closes with 4008 next; the socket reconnects from our seq by itself.
      this.dispatch({ type: 'reconnecting' });
    }
  };

  private publish(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const flush = () => {
      this.scheduled = false;
      this.snapshot = this.current;
      for (const listener of this.listeners) listener();
    };
    if (
      typeof requestAnimationFrame === 'function' &&
      typeof document !== 'undefined' &&
      !document.hidden
    ) {
      requestAnimationFrame(flush);
    } else {
      setTimeout(flush, 16);
    }
  }

  /** Connect to the job's socket (`path`) and keep the state current until `stop`. */
  connect(path: string): void {
    this.socket?.stop();
    this.socket = new JobSocket({
      path,
      resumeFrom: () => (this.current.run.synced ? this.current.run.seq : null),
      onFrame: this.handleFrame,
      onState: (connection) => this.setConnection(connection),
    });
    this.socket.start();
  }

  stop(): void {
    this.socket?.stop();
    this.socket = null;
  }
}

/** The live state of one job, connected while the component is mounted. */
export function useJobRun(socketPath: string): RunSnapshot & { store: RunStore } {
  const [store] = useState(() => new RunStore());
  useEffect(() => {
    store.connect(socketPath);
    const online = () => store.socket?.retryNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      store.stop();
    };
  }, [store, socketPath]);
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  return { ...snapshot, store };
}

/** `Date.now()` as of mount, then updated every `intervalMs` while `active`. */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}
