import { describe, expect, it } from 'vitest';
import {
  CLOSE_FORBIDDEN,
  CLOSE_RESYNC,
  JobSocket,
  backoffDelay,
  socketUrl,
  type ConnectionState,
  type SocketLike,
} from './job-socket';
import type { Frame } from './types';

class FakeSocket implements SocketLike {
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed: number | null = null;
  constructor(readonly url: string) {}
  open() {
    this.onopen?.(new Event('open'));
  }
  send(frame: unknown) {
    this.onmessage?.({
      data: typeof frame === 'string' ? frame : JSON.stringify(frame),
    } as MessageEvent);
  }
  drop(code = 1006) {
    this.onclose?.({ code } as CloseEvent);
  }
  close(code?: number) {
    this.closed = code ?? 1000;
  }
}

function harness(resume: () => number | null = () => null) {
  const sockets: FakeSocket[] = [];
  const frames: Frame[] = [];
  const states: ConnectionState[] = [];
  const timers: { callback: () => void; ms: number }[] = [];
  const socket = new JobSocket({
    path: '/ws/jobs/j1/',
    resumeFrom: resume,
    onFrame: (frame) => frames.push(frame),
    onState: (state) => states.push(state),
    createSocket: (url) => {
      const fake = new FakeSocket(url);
      sockets.push(fake);
      return fake;
    },
    location: { protocol: 'https:', host: 'studio.example:8000' },
    random: () => 1,
    setTimer: (callback, ms) => {
      timers.push({ callback, ms });
      return timers.length;
    },
    clearTimer: () => {},
  });
  return { socket, sockets, frames, states, timers };
}

describe('socketUrl and backoff', () => {
  it('builds ws(s) URLs on the page host, with ?after= when resuming', () => {
    expect(socketUrl('/ws/jobs/j/', null, { protocol: 'http:', host: 'h:1' })).toBe(
      'ws://h:1/ws/jobs/j/',
    );
    expect(socketUrl('/ws/jobs/j/', 0, { protocol: 'https:', host: 'h' })).toBe(
      'wss://h/ws/jobs/j/?after=0',
    );
    expect(socketUrl('/ws/x/?a=1', 5, { protocol: 'http:', host: 'h' })).toBe(
      'ws://h/ws/x/?a=1&after=5',
    );
  });

  it('doubles the delay up to a cap, with jitter between half and all of it', () => {
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 500, 10_000, () => 1))).toEqual([
      500, 1000, 2000, 4000, 10_000,
    ]);
    expect(backoffDelay(2, 500, 10_000, () => 0)).toBe(1000);
  });
});

describe('JobSocket', () => {
  it('hands over frames and ignores what is not a frame', () => {
    const { socket, sockets, frames, states } = harness();
    socket.start();
    sockets[0]!.open();
    sockets[0]!.send({ type: 'snapshot', seq: 3, job: {}, steps: [] });
    sockets[0]!.send('not json');
    sockets[0]!.send({ no: 'type' });
    expect(frames).toEqual([{ type: 'snapshot', seq: 3, job: {}, steps: [] }]);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'live']);
    expect(sockets[0]!.url).toBe('wss://studio.example:8000/ws/jobs/j1/');
  });

  it('reconnects after a drop with ?after= the seq its owner applied, backing off', () => {
    let seq: number | null = null;
    const { socket, sockets, timers, states } = harness(() => seq);
    socket.start();
    sockets[0]!.open();
    seq = 12;
    sockets[0]!.drop();
    expect(states.at(-1)).toEqual({ state: 'waiting', attempt: 0, retryInMs: 500 });
    timers.at(-1)!.callback();
    expect(sockets[1]!.url).toBe('wss://studio.example:8000/ws/jobs/j1/?after=12');
    sockets[1]!.drop(); // failed again before opening: a longer wait
    expect(timers.at(-1)!.ms).toBe(1000);
    timers.at(-1)!.callback();
    sockets[2]!.open(); // success resets the backoff
    sockets[2]!.drop();
    expect(timers.at(-1)!.ms).toBe(500);
  });

  it('reconnects at once after a resync close, and on demand after a gap', () => {
    const { socket, sockets, timers } = harness(() => 7);
    socket.start();
    sockets[0]!.open();
    sockets[0]!.drop(CLOSE_RESYNC);
    expect(timers).toHaveLength(0);
    expect(sockets[1]!.url).toContain('?after=7');
    socket.resync();
    expect(sockets[1]!.closed).toBe(1000);
    expect(sockets).toHaveLength(3);
  });

  it('stops for good when refused, and when stopped', () => {
    const { socket, sockets, states, timers } = harness();
    socket.start();
    sockets[0]!.drop(CLOSE_FORBIDDEN);
    expect(states.at(-1)).toEqual({ state: 'refused', code: CLOSE_FORBIDDEN });
    expect(timers).toHaveLength(0);
    socket.start();
    sockets[1]!.open();
    socket.stop();
    expect(sockets[1]!.closed).toBe(1000);
    sockets[1]!.drop(); // a late close event of the old socket changes nothing
    expect(sockets).toHaveLength(2);
    expect(states.at(-1)).toEqual({ state: 'stopped' });
  });

  it('reconnects without waiting when asked (the browser came back online)', () => {
    const { socket, sockets, timers } = harness();
    socket.start();
    sockets[0]!.drop();
    expect(timers).toHaveLength(1);
    socket.retryNow();
    expect(sockets).toHaveLength(2);
    socket.retryNow(); // connected or connecting: nothing more
    expect(sockets).toHaveLength(2);
  });
});
