"""Step logs: one JSON line per output line, numbered, so readers resume exactly where they left off.

The file lives at `artifacts/jobs/<job>/<step>/.log.jsonl`; each line is
`{"seq": n, "t": unix_time, "line": text}` with `seq` counting from 1 across attempts. Lines
written inside `line_source("build")` (the environment image or virtualenv build, see
`runner.images`) carry `"source": "build"` as well, so a UI can tell them from the step's own.

Lines the step prints as `##studio[metric name=value]` are also kept as metric points in
`.metrics.jsonl` beside the log (`runner.metrics`).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from contextvars import ContextVar
from pathlib import Path

from runner import metrics
from studio import storage

MAX_LINE_CHARS = 16_000
NOTE_PREFIX = "[studio] "


_source: ContextVar[str | None] = ContextVar("studio_log_line_source", default=None)


def log_path(job: str, step: str) -> Path:
    """The log file of a step."""
    return storage.step_dir(job, step) / ".log.jsonl"


@contextlib.contextmanager
def line_source(source: str | None):
    """Lines written to any StepLog inside this block (in this thread) carry `"source": source`."""
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


class StepLog:
    """Appends numbered lines to a step's log; safe to share between threads."""

    def __init__(self, job: str, step: str, *, start_seq: int | None = None) -> None:
        self.job, self.step = job, step
        self.path = log_path(job, step)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.seq = start_seq if start_seq is not None else last_seq(self.path)
        self.last_time = last_time(self.path)

    def write(self, line: str, *, at: float | None = None) -> int:
        """Append one line and return its sequence number."""
        from runner import events

        text = line.rstrip("\n")[:MAX_LINE_CHARS]
        source = _source.get()
        with self._lock:
            self.seq += 1
            # Microseconds, as stored: a resumed reader compares the engine's times with these.
            stamp = round(at if at is not None else time.time(), 6)
            if not text.startswith(NOTE_PREFIX):
                self.last_time = max(self.last_time, stamp)
            entry = {"seq": self.seq, "t": stamp, "line": text}
            if source:
                entry["source"] = source
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")
            if metrics.MARKER in text:
                points = metrics.points_from_entries([entry])
                metrics.append_points(self.path.with_name(metrics.SIDECAR), points)
            events.log_line(self.job, self.step, entry)  # live event: batched, sent shortly
            return self.seq

    def note(self, message: str) -> int:
        """A line from Studio itself (not the step), marked so people can tell them apart."""
        return self.write(f"{NOTE_PREFIX}{message}")


def _entries(path: Path):
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            try:
                yield json.loads(raw)
            except ValueError:
                continue  # a line cut short by a crash mid-write


def last_seq(path: Path) -> int:
    """The highest sequence number in a log file, 0 when empty."""
    seq = 0
    for entry in _entries(path):
        seq = max(seq, int(entry.get("seq", 0)))
    return seq


def last_time(path: Path) -> float:
    """The time of the newest line the step printed (not Studio's notes), 0 when none.

    Adoption resumes the engine's log after it; notes carry this host's clock, which may be
    ahead of the step's first lines.
    """
    newest = 0.0
    for entry in _entries(path):
        if not str(entry.get("line", "")).startswith(NOTE_PREFIX):
            newest = max(newest, float(entry.get("t", 0)))
    return newest


def read_log(job: str, step: str, *, after: int = 0, limit: int = 5000) -> list[dict]:
    """Lines with `seq` greater than `after`, oldest first, at most `limit`."""
    lines = []
    for entry in _entries(log_path(job, step)):
        if int(entry.get("seq", 0)) > after:
            lines.append(entry)
            if len(lines) >= limit:
                break
    return lines


def tail(job: str, step: str, count: int = 20) -> list[str]:
    """The last `count` lines of text, for error messages."""
    lines = [entry["line"] for entry in _entries(log_path(job, step))]
    return lines[-count:]
