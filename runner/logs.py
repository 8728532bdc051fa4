"""Step logs: one JSON line per output line, numbered, so readers resume exactly where they left off.

The file lives at `artifacts/jobs/<job>/<step>/.log.jsonl`; each line is
`{"seq": n, "t": unix_time, "line": text}` with `seq` counting from 1 across attempts. Lines
written inside `line_source("build")` (the environment image or virtualenv build, see
`runner.images`) carry `"source": "build"` as well, so a UI can tell them from the step's own.

Lines the step prints as `##studio[metric name=value]` are also kept as metric points in
`.metrics.jsonl` beside the log (`runner.metrics`), as they are written: the points of lines the
cap below drops are kept all the same.

The cap (`STUDIO_STEP_LOG_MAX_BYTES`, bytes of the file, every attempt together): a step that
prints 50 MB must not fill the disk, the database (live events) or the browser. The file keeps
a head and a tail:

- the head: lines are appended as they come until the file holds half the cap. The line that
  reaches it is followed by a note (`"capped": true`) saying that from here on only the last part
  is kept; the head and that note are never rewritten.
- the tail: later lines are appended after the head as well, so the file is always whole and in
  `seq` order for any reader (the REST endpoint, the download, a worker that adopts the step).
  When the file passes the cap, the oldest quarter of the tail is cut: the file is rewritten
  (head, drop note, the newest lines) to a temporary file that replaces it atomically, the head
  copied by the kernel. Readers holding the old file finish reading it; a crash loses nothing
  that was written. The file is never more than the cap plus one line.
- the drop note, right after the head, says how much was cut so far, e.g. `[studio] 412,345
  lines (48.7 MB) not kept: …`, and carries `"dropped": {"from", "lines", "bytes"}`. Dropped
  lines keep their numbers: the note takes the number of the last line it replaces, so the
  numbers still rise through the file, and `from`..`seq - 1` are the numbers no longer stored
  (a reader resuming by seq after a cut resumes at the note, which explains the jump). A later
  cut rewrites the note with the running totals, read back from the file itself, so they stay
  right across workers and restarts.

Live events (`runner.events`): the head's lines (and its closing note) are published as they
are written. The tail's are not, one by one; they are published once, from the file, when the
step ends (`finish`, after supervise drained the output) or when Studio writes a note (a cancel,
a timeout, an exit: a viewer is caught up at those points). So a flood costs at most about the
cap in events, whatever its size, and its last lines still arrive before the step's status.
A viewer meanwhile sees the head, the note that closed it, and later the drop note and the tail.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings

from runner import metrics
from runner.notes import NOTE_PREFIX
from studio.storage.job_artifacts import step_dir

MAX_LINE_CHARS = 16_000

# Who hears of the lines a step log publishes live (`runner.events` registers itself).
LineSink = Callable[[str, str, dict], None]
_sinks: list[LineSink] = []


def publish_lines_to(sink: LineSink) -> None:
    """Have `sink(job, step, entry)` called for each line a StepLog publishes live."""
    if sink not in _sinks:
        _sinks.append(sink)


def _publish(job: str, step: str, entry: dict) -> None:
    for sink in _sinks:
        sink(job, step, entry)


CAP_SETTING = "STUDIO_STEP_LOG_MAX_BYTES"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# How much of the tail a cut removes: less means more frequent rewrites of the file.
CUT_FRACTION = 4
NOTE_ROOM = 400  # bytes of the file the drop note may take
_BLOCK = 64 * 1024


_source: ContextVar[str | None] = ContextVar("studio_log_line_source", default=None)


class LogCut(Exception):
    """Raised to a writer of step output once `StepLog.cut` was called: stop reading the output."""


def log_path(job: str, step: str) -> Path:
    """The log file of a step."""
    return step_dir(job, step) / ".log.jsonl"


def max_bytes() -> int:
    """The cap of a step's log file (`STUDIO_STEP_LOG_MAX_BYTES`); 0 means none."""
    return max(0, int(getattr(settings, CAP_SETTING, DEFAULT_MAX_BYTES) or 0))


def size_text(count: int) -> str:
    """Bytes as people read them: `48.7 MB`, `10 MiB` for exact powers of two."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} bytes"


@contextlib.contextmanager
def line_source(source: str | None):
    """Lines written to any StepLog inside this block (in this thread) carry `"source": source`."""
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


class StepLog:
    """Appends numbered lines to a step's log, head and tail within the cap; safe to share between threads."""

    def __init__(self, job: str, step: str, *, start_seq: int | None = None) -> None:
        self.job, self.step = job, step
        self.path = log_path(job, step)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._handle = None
        self._cut = False
        self._last_length = 0
        self.seq = start_seq if start_seq is not None else last_seq(self.path)
        self.last_time = last_time(self.path)
        self.cap = max_bytes()
        self._size = self.path.stat().st_size if self.path.exists() else 0
        # Where the head (with its closing note) ends and the tail begins, once the head is full.
        self._head_end: int | None = None
        self._tail_start = 0
        self._dropped = {"from": 0, "lines": 0, "bytes": 0}
        # The newest line handed to live events; the tail's lines after it go out at `publish_tail`.
        self._published = self.seq
        if self.cap and self._size >= self.head_budget:
            self._find_head()

    @property
    def head_budget(self) -> int:
        return self.cap // 2

    @property
    def tail_budget(self) -> int:
        return self.cap - self.head_budget

    @property
    def capped(self) -> bool:
        """Whether the head is full: new lines go to the tail (and are not published as written)."""
        return self._head_end is not None

    def write(self, line: str, *, at: float | None = None) -> int:
        """Append one line and return its sequence number."""
        if self._cut:
            raise LogCut(f"the output of {self.job}/{self.step} is no longer read")
        with self._lock:
            return self._write(line, at=at, note=False)

    def note(self, message: str) -> int:
        """A line from Studio itself (not the step), marked so people can tell them apart.

        Viewers are caught up first: the tail lines written since the head filled go out live.
        """
        with self._lock:
            self._publish_tail()
            return self._write(f"{NOTE_PREFIX}{message}", at=None, note=True)

    def finish(self) -> None:
        """The step's output has ended (all read, or cut): publish the tail lines not sent yet."""
        with self._lock:
            self._publish_tail()

    def cut(self) -> None:
        """Stop taking the step's output: later `write` calls raise LogCut (notes still go in)."""
        self._cut = True

    def close(self) -> None:
        """Let go of the open file (a later write opens it again)."""
        with self._lock:
            self._close()

    # --- Writing (the lock held) ------------------------------------------------------------------

    def _write(self, line: str, *, at: float | None, note: bool) -> int:
        text = line.rstrip("\n")[:MAX_LINE_CHARS]
        self.seq += 1
        # Microseconds, as stored: a resumed reader compares the engine's times with these.
        stamp = round(at if at is not None else time.time(), 6)
        if not text.startswith(NOTE_PREFIX):
            self.last_time = max(self.last_time, stamp)
        entry = {"seq": self.seq, "t": stamp, "line": text}
        source = _source.get()
        if source:
            entry["source"] = source
        if metrics.MARKER in text:  # before any cut: the points of dropped lines are kept
            points = metrics.points_from_entries([entry])
            metrics.append_points(self.path.with_name(metrics.SIDECAR), points)
        seq = self.seq
        self._append(entry)
        if not self.capped or note:
            _publish(self.job, self.step, entry)  # live event: batched, sent shortly
            self._published = seq
        if not self.capped:
            if self.cap and self._size >= self.head_budget:
                self._close_head()
        elif self._size > self.cap:
            self._cut_tail()
        return seq

    def _append(self, entry: dict) -> None:
        data = (json.dumps(entry) + "\n").encode("utf-8")
        if self._handle is None:
            self._handle = self.path.open("ab")
        self._handle.write(data)
        self._handle.flush()  # readers see whole lines at once; a crash loses none
        self._size += len(data)
        self._last_length = len(data)

    def _close(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
            self._handle = None

    def _close_head(self) -> None:
        """The head is full: note it (the note ends the head) and keep only a tail from here on."""
        self.seq += 1
        entry = {
            "seq": self.seq,
            "t": round(time.time(), 6),
            "line": (
                f"{NOTE_PREFIX}this log reached {size_text(self.head_budget)}, half of its "
                f"{size_text(self.cap)} cap ({CAP_SETTING}): from here on only its last "
                f"{size_text(self.tail_budget)} are kept, shown when the step ends"
            ),
            "capped": True,
        }
        self._append(entry)
        _publish(self.job, self.step, entry)
        self._published = self.seq
        self._head_end = self._tail_start = self._size

    def _find_head(self) -> None:
        """Where the head ends in an existing file, and the drop note after it (a restart, a retry)."""
        with self.path.open("rb") as handle:
            # The head's last line is the one that reached the budget: it starts before it.
            handle.seek(self.head_budget - 1)
            handle.readline()
            end = handle.tell()
            entry = _parse(handle.readline())
            if entry is not None and entry.get("capped"):
                end = handle.tell()
                entry = _parse(handle.readline())
            self._head_end = self._tail_start = end
            if entry is not None and isinstance(entry.get("dropped"), dict):
                self._tail_start = handle.tell()
                self._dropped = {key: int(entry["dropped"].get(key, 0)) for key in self._dropped}

    def _cut_tail(self) -> None:
        """Drop the oldest part of the tail: rewrite the file as head, drop note, newest lines."""
        room = max(0, self.cap - self._head_end - NOTE_ROOM)
        keep = room - room // CUT_FRACTION
        with self.path.open("rb") as source:
            source.seek(max(self._tail_start, self._size - keep) - 1)
            source.readline()
            first_kept = source.tell()
            if first_kept >= self._size:  # one line longer than what is kept: keep that line
                first_kept = self._size - self._last_length
            if first_kept <= self._tail_start:
                return
            kept = _parse(source.readline())
            if kept is None:
                return  # not a line we wrote: leave the file alone
            first_seq = self._first_tail_seq(source)
            dropped = {
                "from": self._dropped["from"] or first_seq,
                "lines": int(kept["seq"]) - (self._dropped["from"] or first_seq),
                "bytes": self._dropped["bytes"] + (first_kept - self._tail_start),
            }
            note = _note_line(int(kept["seq"]) - 1, dropped, self.cap)
            temporary = self.path.with_name(f".{self.path.name}.cut")
            with temporary.open("wb", buffering=0) as target:
                _copy(source, target, 0, self._head_end)
                target.write(note)
                _copy(source, target, first_kept, self._size - first_kept)
        self._close()
        os.replace(temporary, self.path)
        self._dropped = dropped
        self._tail_start = self._head_end + len(note)
        self._size = self._tail_start + (self._size - first_kept)

    def _first_tail_seq(self, source) -> int:
        """The number of the first line after the head (or after the drop note already there)."""
        source.seek(self._tail_start)
        entry = _parse(source.readline())
        return int(entry["seq"]) if entry else self.seq

    def _publish_tail(self) -> None:
        """Hand the tail's lines newer than the last published one to live events (lock held)."""
        if not self.capped or self._published >= self.seq:
            return
        if self._handle is not None:
            self._handle.flush()
        with self.path.open("rb") as handle:
            handle.seek(self._head_end)
            for raw in handle:
                entry = _parse(raw)
                if entry is not None and int(entry.get("seq", 0)) > self._published:
                    _publish(self.job, self.step, entry)
        self._published = self.seq


def _note_line(seq: int, dropped: dict, cap: int) -> bytes:
    """The drop note: how much of the middle of the log is gone, and why."""
    text = (
        f"{NOTE_PREFIX}{dropped['lines']:,} lines ({size_text(dropped['bytes'])}) not kept: the log is "
        f"capped at {size_text(cap)} per step ({CAP_SETTING}); the first and last parts are kept"
    )
    entry = {"seq": seq, "t": round(time.time(), 6), "line": text, "dropped": dropped}
    return (json.dumps(entry) + "\n").encode("utf-8")


def _copy(source, target, offset: int, count: int) -> None:
    """Copy `count` bytes of `source` from `offset` to the end of `target` (in the kernel where it can)."""
    target.flush()
    done = 0
    with contextlib.suppress(OSError, AttributeError):
        while done < count:
            sent = os.copy_file_range(source.fileno(), target.fileno(), count - done, offset + done)
            if sent <= 0:
                break
            done += sent
    if done < count:
        source.seek(offset + done)
        target.seek(0, os.SEEK_END)
        shutil.copyfileobj(_Limited(source, count - done), target)


class _Limited:
    """A file read up to a number of bytes (for shutil.copyfileobj)."""

    def __init__(self, handle, count: int) -> None:
        self.handle, self.left = handle, count

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.handle.read(size)
        self.left -= len(data)
        return data


# --- Reading --------------------------------------------------------------------------------------


def _parse(raw: bytes | str) -> dict | None:
    try:
        entry = json.loads(raw)
    except ValueError:
        return None  # a line cut short by a crash mid-write, or the end of the file
    return entry if isinstance(entry, dict) else None


def _entries(path: Path):
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            entry = _parse(raw)
            if entry is not None:
                yield entry


def _entries_backwards(path: Path):
    """The entries of a log, newest first, reading only as much of the end as needed."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        end = handle.seek(0, os.SEEK_END)
        rest = b""
        while end > 0:
            start = max(0, end - _BLOCK)
            handle.seek(start)
            lines = (handle.read(end - start) + rest).split(b"\n")
            rest = lines.pop(0) if start > 0 else b""  # maybe the end of a line further back
            for raw in reversed(lines):
                entry = _parse(raw) if raw.strip() else None
                if entry is not None:
                    yield entry
            end = start


def last_seq(path: Path) -> int:
    """The highest sequence number in a log file, 0 when empty (lines are stored in seq order)."""
    for entry in _entries_backwards(path):
        return int(entry.get("seq", 0))
    return 0


def last_time(path: Path) -> float:
    """The time of the newest line the step printed (not Studio's notes), 0 when none.

    Adoption resumes the engine's log after it; notes carry this host's clock, which may be
    ahead of the step's first lines.
    """
    for entry in _entries_backwards(path):
        if not str(entry.get("line", "")).startswith(NOTE_PREFIX):
            return float(entry.get("t", 0))
    return 0.0


def _seq_of(raw: str) -> int | None:
    """The seq of a stored line without parsing all of it (`StepLog` writes it first), or None."""
    if raw.startswith('{"seq": '):
        end = raw.find(",", 8)
        if end > 8 and raw[8:end].isdigit():
            return int(raw[8:end])
    return None


def read_log(job: str, step: str, *, after: int = 0, limit: int = 5000) -> list[dict]:
    """Lines with `seq` greater than `after`, oldest first, at most `limit`."""
    lines = []
    path = log_path(job, step)
    if not path.exists():
        return lines
    with path.open(encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            seq = _seq_of(raw)
            if seq is not None and seq <= after:
                continue  # skipped without parsing: a reader far into a long log stays fast
            entry = _parse(raw)
            if entry is not None and int(entry.get("seq", 0)) > after:
                lines.append(entry)
                if len(lines) >= limit:
                    break
    return lines


def tail(job: str, step: str, count: int = 20) -> list[str]:
    """The last `count` lines of text, for error messages."""
    lines = []
    for entry in _entries_backwards(log_path(job, step)):
        if len(lines) >= count:
            break
        lines.append(entry.get("line", ""))
    return lines[::-1]
