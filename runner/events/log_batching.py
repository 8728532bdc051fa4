"""Log batching: a step's log lines buffered and stored as events of bounded size."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

logger = logging.getLogger(__name__)

LOG_FLUSH_SECONDS = 0.2
LOG_FLUSH_LINES = 1000
LOG_FLUSH_CHARS = 64_000


class LogBuffer:
    """Per-step buffers of log lines, stored as events of bounded size by a background thread.

    A batch of a step is stored once its oldest line waited `max_delay` seconds, or sooner when
    it is full (`max_lines` lines or `max_chars` characters of text), but never sooner than
    `max_delay` after the step's previous batch: a step that floods gets at most 1 / `max_delay`
    events a second, each of at most `max_lines` lines and about `max_chars` characters (one line
    longer than that goes alone); what does not fit waits for the next. The buffer stays bounded
    because `runner.logs.StepLog` only hands over its head (and, once, its tail) of a big log.
    `flush` and `taking` (a step's status event) take everything, in as many events as needed.
    """

    def __init__(
        self,
        *,
        max_delay: float = LOG_FLUSH_SECONDS,
        max_lines: int = LOG_FLUSH_LINES,
        max_chars: int = LOG_FLUSH_CHARS,
        record,
        batches_with_step: bool = False,
    ) -> None:
        self.max_delay = max_delay
        self.max_lines = max_lines
        self.max_chars = max_chars
        self._record = record
        self._batches_with_step = batches_with_step
        self._cond = threading.Condition()
        self._pending: dict[tuple[str, str], list[dict]] = {}
        self._since: dict[tuple[str, str], float] = {}
        self._chars: dict[tuple[str, str], int] = {}
        self._last: dict[tuple[str, str], float] = {}  # when a step's previous batch was taken
        # Held from taking a batch until it is stored: batches of a step are stored in order.
        self._flushing = threading.RLock()
        self._thread: threading.Thread | None = None

    def add(self, job: str, step: str, entry: dict) -> None:
        """Buffer one line (`{seq, t, line}`) of a step."""
        key = (job, step)
        with self._cond:
            lines = self._pending.setdefault(key, [])
            first = not lines
            if first:
                self._since[key] = time.monotonic()
                self._chars[key] = 0
            lines.append(entry)
            size = len(entry.get("line", ""))
            self._chars[key] += size
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="studio-log-events", daemon=True)
                self._thread.start()
            chars = self._chars[key]
            filled = len(lines) == self.max_lines or chars - size < self.max_chars <= chars
            if first or filled:
                self._cond.notify()  # a new deadline, or a batch that just became full

    def _full(self, key) -> bool:
        return len(self._pending[key]) >= self.max_lines or self._chars[key] >= self.max_chars

    def _take(self, key) -> list[dict]:
        """Every buffered line of a step."""
        self._since.pop(key, None)
        self._chars.pop(key, None)
        self._last.pop(key, None)
        return self._pending.pop(key, [])

    def _take_batch(self, key, now: float) -> list[dict]:
        """The oldest lines of a step that fit in one event; the rest wait for the next."""
        lines = self._pending[key]
        count, chars = 0, 0
        for entry in lines:
            size = len(entry.get("line", ""))
            if count and (count >= self.max_lines or chars + size > self.max_chars):
                break
            count, chars = count + 1, chars + size
        self._last[key] = now
        if count == len(lines):
            self._since.pop(key, None)
            self._chars.pop(key, None)
            return self._pending.pop(key)
        self._pending[key] = lines[count:]
        self._chars[key] -= chars
        return lines[:count]

    def _due(self, now: float) -> tuple[list[tuple[str, str]], float | None]:
        due, wait = [], None
        for key in self._pending:
            ready = self._last.get(key, now - self.max_delay) + self.max_delay
            if not self._full(key):
                ready = max(ready, self._since[key] + self.max_delay)
            if ready <= now:
                due.append(key)
            else:
                wait = ready - now if wait is None else min(wait, ready - now)
        return due, wait

    def flush(self, job: str, step: str) -> None:
        """Store a step's buffered lines now (before its status event, and when an attempt ends)."""
        with self._flushing:
            with self._cond:
                lines = self._take((job, step))
            self._store(job, step, lines)

    @property
    def batches_with_step(self) -> bool:
        """Whether a step event may store this buffer's lines itself (the recorder's own buffer only)."""
        return self._batches_with_step

    @contextlib.contextmanager
    def taking(self, job: str, step: str):
        """A step's buffered lines, taken out; no other batch is stored until the block ends.

        The caller stores them (with the event that follows them), or calls `store_taken`.
        """
        with self._flushing:
            with self._cond:
                lines = self._take((job, step))
            yield lines

    def store_taken(self, job: str, step: str, lines: list[dict]) -> None:
        """Store lines taken with `taking` as this buffer's own batches would be."""
        self._store(job, step, lines)

    def flush_all(self, *, quiet: bool = False) -> None:
        """Store every buffered line now (`quiet`: at exit, when the database may be gone)."""
        with self._flushing:
            with self._cond:
                batches = [(key, self._take(key)) for key in list(self._pending)]
            for (job, step), lines in batches:
                self._store(job, step, lines, quiet=quiet)

    def chunks(self, lines: list[dict]) -> list[list[dict]]:
        """`lines` cut into events of at most `max_lines` lines and about `max_chars` characters."""
        return log_chunks(lines, self.max_lines, self.max_chars)

    def _store(self, job: str, step: str, lines: list[dict], *, quiet: bool = False) -> None:
        for chunk in self.chunks(lines):
            try:
                self._record(job, step, chunk)
            except Exception:  # the lines are in the log file; only their live copy is lost
                level = logging.DEBUG if quiet else logging.WARNING
                logger.log(level, "could not record log lines of %s/%s", job, step, exc_info=True)

    def _run(self) -> None:
        from django.db import connection

        while True:
            with self._flushing:
                with self._cond:
                    now = time.monotonic()
                    due, wait = self._due(now)
                    batches = [(key, self._take_batch(key, now)) for key in due]
                    idle = not self._pending
                    if idle:
                        self._last.clear()  # nothing flows: no step's next batch needs spacing
                for (job, step), lines in batches:
                    self._store(job, step, lines)
            if batches:
                continue
            if idle:  # nothing to do until a step writes again: give the connection back
                with contextlib.suppress(Exception):
                    connection.close()
            with self._cond:
                due, wait = self._due(time.monotonic())
                if not due:
                    self._cond.wait(timeout=wait)


def log_chunks(lines: list[dict], max_lines: int, max_chars: int) -> list[list[dict]]:
    """`lines` in order, cut into runs of at most `max_lines` lines and `max_chars` characters of
    text (a longer line goes alone)."""
    chunks: list[list[dict]] = []
    current: list[dict] = []
    chars = 0
    for entry in lines:
        size = len(entry.get("line", ""))
        if current and (len(current) >= max_lines or chars + size > max_chars):
            chunks.append(current)
            current, chars = [], 0
        current.append(entry)
        chars += size
    if current:
        chunks.append(current)
    return chunks
