/** Small formatting helpers of the job pages. Pure. */

/** `0.4 s`, `12 s`, `3m 05s`, `2h 04m`; `—` for null. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, seconds);
  if (s < 10) return `${(Math.floor(s * 10) / 10).toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  const whole = Math.floor(s);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  if (hours < 48) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

function time(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Seconds from `start` to `end` (or to `now` while it runs); null before it starts. */
export function elapsedSeconds(
  start: string | null | undefined,
  end: string | null | undefined,
  now: number,
): number | null {
  const from = time(start);
  if (from === null) return null;
  const to = time(end) ?? now;
  return Math.max(0, (to - from) / 1000);
}

/** `just now`, `5 min ago`, `3 h ago`, `2 days ago`. */
export function relativeTime(value: string | null | undefined, now: number): string {
  const at = time(value);
  if (at === null) return '—';
  const seconds = Math.max(0, (now - at) / 1000);
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  const days = Math.round(seconds / 86400);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/** The CSS modifier of a status (`badge--running`, `run-node--failed`). */
export function statusClass(status: string | null | undefined): string {
  return (status ?? 'notstarted').toLowerCase().replace(/[^a-z]/g, '');
}

/** Human words for a status name: `NotStarted` → `Not started`. */
export function statusLabel(status: string | null | undefined): string {
  if (!status) return 'Unknown';
  const words = status.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `1.2 kB`, `3.4 MB`. */
export function formatBytes(size: number | null | undefined): string {
  if (size === null || size === undefined || !Number.isFinite(size)) return '—';
  if (size < 1000) return `${size} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = size;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A parameter value as the header shows it. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
