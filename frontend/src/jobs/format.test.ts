import { describe, expect, it } from 'vitest';
import {
  elapsedSeconds,
  formatBytes,
  formatDuration,
  relativeTime,
  statusClass,
  statusLabel,
} from './format';
import { stepProgress } from './jobs-list';

describe('formatting', () => {
  it('formats durations from seconds to days', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(0.44)).toBe('0.4 s');
    expect(formatDuration(12.9)).toBe('12 s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(7440)).toBe('2h 04m');
    expect(formatDuration(3 * 86400 + 3600)).toBe('3d 1h');
  });

  it('measures elapsed time until the end, or until now while running', () => {
    const start = '2024-05-01T10:00:00Z';
    const now = Date.parse('2024-05-01T10:00:30Z');
    expect(elapsedSeconds(start, '2024-05-01T10:00:10Z', now)).toBe(10);
    expect(elapsedSeconds(start, null, now)).toBe(30);
    expect(elapsedSeconds(null, null, now)).toBeNull();
  });

  it('says how long ago, and names statuses', () => {
    const now = Date.parse('2024-05-03T10:00:00Z');
    expect(relativeTime('2024-05-03T09:59:50Z', now)).toBe('just now');
    expect(relativeTime('2024-05-03T09:55:00Z', now)).toBe('5 min ago');
    expect(relativeTime('2024-05-01T10:00:00Z', now)).toBe('2 days ago');
    expect(relativeTime(null, now)).toBe('—');
    expect(statusClass('CancelRequested')).toBe('cancelrequested');
    expect(statusLabel('NotStarted')).toBe('Not started');
  });

  it('formats sizes and step progress', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 kB');
    expect(formatBytes(25_000_000)).toBe('25 MB');
    expect(
      stepProgress({ steps: 3, step_statuses: { Completed: 1, Running: 1, NotStarted: 1 } }),
    ).toBe('1 / 3 done · 1 running');
  });
});
