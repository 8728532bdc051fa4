/**
 * A step's live log: lines arrive from the websocket, earlier ones are read from the REST log
 * endpoint; the view follows the tail unless the reader scrolled up, highlights search matches,
 * renders ANSI colours, and links the whole log's download.
 */
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { markMatches, parseAnsi, segmentCss, stripAnsi } from './ansi';
import { fetchLogPage, logDownloadUrl } from './api';
import { firstMissingLine, type RunAction, type StepLog } from './job-state';
import type { LogLine } from './types';

/** Lines drawn at once (the newest); the download has every line. */
export const RENDER_LIMIT = 5000;
const NOTE_PREFIX = '[studio] ';
const FOLLOW_SLACK_PX = 24;

const LogRow = memo(function LogRow({
  line,
  query,
  current,
}: {
  line: LogLine;
  query: string;
  current: boolean;
}) {
  const segments = useMemo(() => markMatches(parseAnsi(line.line), query), [line.line, query]);
  const note = line.line.startsWith(NOTE_PREFIX);
  const classes = ['log-line'];
  if (note) classes.push('log-line--note');
  if (current) classes.push('is-current');
  return (
    <div className={classes.join(' ')} data-seq={line.seq}>
      <span className="log-line__no" aria-hidden="true">
        {line.seq}
      </span>
      <span className="log-line__text">
        {segments.map((segment, i) =>
          segment.mark ? (
            <mark key={i} style={segmentCss(segment.style)}>
              {segment.text}
            </mark>
          ) : (
            <span key={i} style={segmentCss(segment.style)}>
              {segment.text}
            </span>
          ),
        )}
        {segments.length === 0 ? '\u200b' : null}
      </span>
    </div>
  );
});

/** Reads from the REST log endpoint whatever lines of the step the socket did not carry. */
function useBackfill(
  job: string,
  step: string,
  log: StepLog,
  dispatch: (action: RunAction) => void,
) {
  const missing = firstMissingLine(log);
  const tried = useRef(new Set<string>());
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (missing === null) return;
    const key = `${step}:${missing}`;
    const attempted = tried.current;
    if (attempted.has(key)) return;
    attempted.add(key);
    const controller = new AbortController();
    let active = true;
    const load = async () => {
      setLoading(true);
      try {
        const page = await fetchLogPage(job, step, missing - 1, controller.signal);
        if (active) {
          dispatch({ type: 'backfill', step, lines: page.lines });
          setError(null);
        }
      } catch (err) {
        if (active && !controller.signal.aborted)
          setError(err instanceof Error ? err.message : String(err));
      } finally {
        if (active) setLoading(false);
      }
    };
    void load();
    return () => {
      active = false;
      controller.abort();
      attempted.delete(key);
    };
  }, [job, step, missing, dispatch]);
  return { loading, error };
}

interface LogViewProps {
  job: string;
  step: string;
  log: StepLog;
  dispatch: (action: RunAction) => void;
  running: boolean;
}

export function LogView({ job, step, log, dispatch, running }: LogViewProps) {
  const { loading, error } = useBackfill(job, step, log, dispatch);
  const [query, setQuery] = useState('');
  const [current, setCurrent] = useState(0);
  const [following, setFollowing] = useState(true);
  const body = useRef<HTMLDivElement>(null);

  const shown = useMemo(
    () =>
      log.lines.length > RENDER_LIMIT
        ? log.lines.slice(log.lines.length - RENDER_LIMIT)
        : log.lines,
    [log.lines],
  );
  const hidden = log.lines.length - shown.length + log.dropped;
  const needle = query.trim();
  const matches = useMemo(() => {
    if (!needle) return [];
    const lower = needle.toLowerCase();
    return shown
      .filter((line) => stripAnsi(line.line).toLowerCase().includes(lower))
      .map((l) => l.seq);
  }, [shown, needle]);
  const currentSeq = matches.length ? matches[Math.min(current, matches.length - 1)] : undefined;

  // Follow the tail: after new lines, stay at the bottom unless the reader scrolled up.
  useLayoutEffect(() => {
    const el = body.current;
    if (el && following && !needle) el.scrollTop = el.scrollHeight;
  }, [shown, following, needle]);

  const onScroll = useCallback(() => {
    const el = body.current;
    if (!el) return;
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - FOLLOW_SLACK_PX;
    setFollowing(atBottom);
  }, []);

  const goTo = useCallback(
    (index: number) => {
      if (!matches.length) return;
      const wrapped = (index + matches.length) % matches.length;
      setCurrent(wrapped);
      setFollowing(false);
      const seq = matches[wrapped];
      const row = body.current?.querySelector<HTMLElement>(`[data-seq="${seq}"]`);
      row?.scrollIntoView?.({ block: 'center' });
    },
    [matches],
  );

  const jumpToLatest = () => {
    setFollowing(true);
    const el = body.current;
    if (el) el.scrollTop = el.scrollHeight;
  };

  return (
    <div className="log-view">
      <div className="log-view__toolbar" role="toolbar" aria-label="Log">
        <input
          type="search"
          className="log-view__search"
          placeholder="Search the log"
          aria-label="Search the log"
          value={query}
          onChange={(event) => {
            setQuery(event.target.value);
            setCurrent(0);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter') goTo(event.shiftKey ? current - 1 : current + 1);
          }}
        />
        {needle ? (
          <span className="log-view__count" aria-live="polite">
            {matches.length
              ? `${Math.min(current, matches.length - 1) + 1} of ${matches.length}`
              : 'No matches'}
          </span>
        ) : null}
        <button
          type="button"
          className="button button--small"
          onClick={() => goTo(current - 1)}
          disabled={!matches.length}
          aria-label="Previous match"
        >
          ↑
        </button>
        <button
          type="button"
          className="button button--small"
          onClick={() => goTo(current + 1)}
          disabled={!matches.length}
          aria-label="Next match"
        >
          ↓
        </button>
        <span className="log-view__spacer" />
        {running ? (
          <span className={`log-view__live${following ? ' is-following' : ''}`}>
            {following ? 'Following' : 'Paused'}
          </span>
        ) : null}
        <a className="button button--small" href={logDownloadUrl(job, step)} download>
          Download
        </a>
      </div>
      {hidden > 0 ? (
        <p className="log-view__notice">
          {hidden} earlier line{hidden === 1 ? '' : 's'} not shown here — download the log to see
          every line.
        </p>
      ) : null}
      <div
        className="log-view__body"
        ref={body}
        onScroll={onScroll}
        role="log"
        aria-label={`Log of ${step}`}
        tabIndex={0}
        data-testid="log-body"
      >
        {shown.map((line) => (
          <LogRow key={line.seq} line={line} query={needle} current={line.seq === currentSeq} />
        ))}
        {!shown.length ? (
          <p className="log-view__empty">
            {loading ? 'Loading the log…' : running ? 'Waiting for output…' : 'No output.'}
          </p>
        ) : null}
      </div>
      {error ? (
        <p className="log-view__notice log-view__notice--error" role="alert">
          The earlier lines could not be loaded: {error}
        </p>
      ) : null}
      {!following && shown.length ? (
        <button
          type="button"
          className="log-view__latest button button--small"
          onClick={jumpToLatest}
        >
          Jump to latest
        </button>
      ) : null}
    </div>
  );
}
