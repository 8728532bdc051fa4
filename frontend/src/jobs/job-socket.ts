/**
 * The job websocket connection: connects to `/ws/jobs/<name>/`, hands every frame to its owner,
 * and when the socket drops, reconnects with `?after=<last seq applied>` (exponential backoff with
 * jitter) so the server replays exactly what was missed. The owner keeps the seq; this class only
 * asks for it at connect time. No React, and the WebSocket and timers can be replaced in tests.
 */
import type { Frame } from './types';

/** Close codes of `runner/consumers.py`. */
export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_NOT_FOUND = 4404;
export const CLOSE_RESYNC = 4008;
const FINAL_CODES = new Set([CLOSE_UNAUTHENTICATED, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND]);

export type ConnectionState =
  | { state: 'connecting'; attempt: number }
  | { state: 'live' }
  | { state: 'waiting'; attempt: number; retryInMs: number }
  | { state: 'refused'; code: number }
  | { state: 'stopped' };

/** The part of WebSocket used here. */
export interface SocketLike {
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface JobSocketOptions {
  /** Path of the socket, e.g. `/ws/jobs/quiet_falcon_7k2m9x/`. */
  path: string;
  /** The seq to resume after, or null for a fresh snapshot. Asked at every connect. */
  resumeFrom: () => number | null;
  onFrame: (frame: Frame) => void;
  onState?: (state: ConnectionState) => void;
  /** Base of the backoff in ms (doubled per failed attempt, up to `maxDelayMs`). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  createSocket?: (url: string) => SocketLike;
  location?: { protocol: string; host: string };
  random?: () => number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** The delay before reconnect attempt `attempt` (0-based): base·2^attempt, capped, 50–100 % of it. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(full * (0.5 + random() / 2));
}

/** The socket URL for a path, on this page's host, resuming after `after` when given. */
export function socketUrl(
  path: string,
  after: number | null,
  location: { protocol: string; host: string },
): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = after === null ? '' : `${path.includes('?') ? '&' : '?'}after=${after}`;
  return `${scheme}//${location.host}${path}${query}`;
}

export class JobSocket {
  private socket: SocketLike | null = null;
  private timer: unknown = null;
  private attempt = 0;
  private stopped = true;
  private readonly options: Required<
    Omit<JobSocketOptions, 'onState' | 'createSocket' | 'location'>
  > &
    JobSocketOptions;

  constructor(options: JobSocketOptions) {
    this.options = {
      baseDelayMs: 500,
      maxDelayMs: 10_000,
      random: Math.random,
      setTimer: (callback, ms) => setTimeout(callback, ms),
      clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      ...options,
    };
  }

  /** Open the connection (again, after `stop`). */
  start(): void {
    this.stopped = false;
    this.attempt = 0;
    this.connect();
  }

  /** Close for good (the page goes away). */
  stop(): void {
    this.stopped = true;
    this.cancelTimer();
    this.drop();
    this.emit({ state: 'stopped' });
  }

  /** Drop the socket and reconnect at once from the owner's seq (after a gap in seq). */
  resync(): void {
    if (this.stopped) return;
    this.cancelTimer();
    this.drop();
    this.attempt = 0;
    this.connect();
  }

  private emit(state: ConnectionState): void {
    this.options.onState?.(state);
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.options.clearTimer(this.timer);
      this.timer = null;
    }
  }

  private drop(): void {
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onerror = null;
      socket.onclose = null;
      try {
        socket.close(1000, 'client closing');
      } catch {
        // already closed
      }
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const location =
      this.options.location ??
      (typeof window !== 'undefined' ? window.location : { protocol: 'http:', host: 'localhost' });
    const url = socketUrl(this.options.path, this.options.resumeFrom(), location);
    this.emit({ state: 'connecting', attempt: this.attempt });
    let socket: SocketLike;
    try {
      socket = this.options.createSocket
        ? this.options.createSocket(url)
        : (new WebSocket(url) as unknown as SocketLike);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.emit({ state: 'live' });
    };
    socket.onmessage = (event: MessageEvent) => {
      if (this.socket !== socket) return;
      let frame: Frame;
      try {
        frame = JSON.parse(String(event.data)) as Frame;
      } catch {
        return;
      }
      if (frame && typeof frame === 'object' && typeof frame.type === 'string')
        this.options.onFrame(frame);
    };
    socket.onerror = () => {
      // A close event follows; reconnecting happens there.
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (FINAL_CODES.has(event.code)) {
        this.emit({ state: 'refused', code: event.code });
        return;
      }
      if (event.code === CLOSE_RESYNC) {
        this.attempt = 0;
        this.connect();
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = backoffDelay(
      this.attempt,
      this.options.baseDelayMs,
      this.options.maxDelayMs,
      this.options.random,
    );
    this.emit({ state: 'waiting', attempt: this.attempt, retryInMs: delay });
    this.attempt += 1;
    this.cancelTimer();
    this.timer = this.options.setTimer(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  /** Reconnect now instead of waiting out the backoff (the browser came back online). */
  retryNow(): void {
    if (this.stopped || this.socket) return;
    this.cancelTimer();
    this.connect();
  }
}
