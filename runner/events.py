"""The only module that talks to the channel layer: live events for browsers.

Job events: every status change of a job or a step, and its log lines, becomes a `JobEvent` row
with a per-job sequence number (1, 2, 3… without gaps), then a message to the channel-layer group
`job.<id>`. Rows are written only after the change itself committed (`transaction.on_commit`), and
the message is sent only after the row committed, so a browser never hears of a state the
database does not have, and a socket that reconnects with `?after=<seq>` replays what it missed
from the database.

Frames (what the websocket and `GET /api/v1/jobs/<name>/events/` carry), all with `type`, `seq`
and `at` (when the event was recorded):

- `{"type": "job", "job": name, "display_name", "status", "status_reason", "created_at",
  "started_at", "finished_at"}`
- `{"type": "step", "step": name, "display_name", "status", "status_reason", "attempt",
  "max_retries", "exit_code", "compute", "reused_from", "reuse_note", "outputs": {name: {"type",
  "hash", "size"}}, "queued_at", "started_at", "finished_at", "next_attempt_at"}`
- `{"type": "log", "step": name, "lines": [{"seq": per-step line number, "t": unix time, "line",
  "source"?}]}`; `"source": "build"` marks the lines of the environment build a Preparing step is
  waiting for (`runner.images`), whether this step builds it or another one does
- `{"type": "metric", "step": name, "points": [{"name", "value", "t", "step"?}]}`: metric points
  (`runner.metrics`), stored right after the log event whose `##studio[metric …]` lines they come
  from, and, when a step ends, those of its `metrics.json` files (for a reused step: every point
  of the step it reused), right before its status event. Points are values at a time, never
  updates: a client that also loaded `GET /api/v1/jobs/<name>/metrics/` drops the points it has
  already (same name, time, step and value)
- on connect, `{"type": "snapshot", "seq": newest event included, "job": {…}, "steps": [{…,
  "log_seq": newest log line published}]}`

Log lines are batched (`LogBuffer`, a background flusher thread): a step's lines are buffered and
stored as one event once the oldest waited `LOG_FLUSH_SECONDS`, or sooner when `LOG_FLUSH_LINES`
lines or `LOG_FLUSH_CHARS` characters are waiting; never more than one event per
`LOG_FLUSH_SECONDS` per step, each of at most that many lines and characters. Right before any
status event of the same step, everything buffered is stored in the status event's own
transaction, so a step's lines always come before the event that ends it (and `supervise` waits
for the step's output to be read before the step ends).

A flood (a step printing 50 MB) costs at most about `STUDIO_STEP_LOG_MAX_BYTES` of events:
`runner.logs.StepLog` hands over the head of a big log as it is written, then a note saying the
rest is kept as a tail, and the tail's lines once, when the step ends or Studio writes a note;
lines the cap drops never become events (their `##studio[metric]` points are still stored in
the metrics file, which `GET /api/v1/jobs/<name>/metrics/` serves).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import sqlite3
import threading
import time
from datetime import timedelta
from functools import partial

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.dispatch import receiver
from django.utils import timezone

from runner.choices import JOB_TERMINAL, STEP_TERMINAL, StepStatus
from runner.logs import last_seq, log_path, publish_lines_to
from runner.models import JobEvent, PipelineJob, StepRun
from runner.signals import job_status_changed, step_status_changed

logger = logging.getLogger(__name__)

LOG_FLUSH_SECONDS = 0.2
LOG_FLUSH_LINES = 1000
LOG_FLUSH_CHARS = 64_000
METRIC_POINTS_PER_EVENT = 1000
GROUP_MESSAGE_TYPE = "job.event"  # handled by JobEventsConsumer.job_event


# --- Channel layer --------------------------------------------------------------------------------


def user_group(user_id: int) -> str:
    """The channel-layer group of one user's notification sockets."""
    return f"user.{user_id}"


def job_group(job_id: int) -> str:
    """The channel-layer group of the sockets watching one job."""
    return f"job.{job_id}"


_home: tuple[asyncio.AbstractEventLoop, int] | None = None


def attach_loop() -> None:
    """Called by consumers: the event loop that serves websockets in this process.

    The in-memory channel layer keeps asyncio queues that belong to that loop; worker threads must
    put messages in from that loop (not from a loop of their own, which would not wake it).
    """
    global _home
    _home = (asyncio.get_running_loop(), threading.get_ident())


class _Publisher:
    """One event loop per process, in a thread of its own, that sends worker threads' messages.

    `async_to_sync` would start a thread and an event loop for every message (milliseconds
    each, and for Redis a new connection each time); this loop lives as long as the process.
    Messages wait in one queue and are sent one at a time, in the order they were handed over,
    so a job's events keep their order; the sender does not wait for the channel layer.
    """

    MAX_WAITING = 10_000
    SEND_TIMEOUT = 5

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._idle = threading.Event()
        self._idle.set()
        self._waiting = 0

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if (
                self._loop is None
                or self._pid != os.getpid()
                or self._thread is None
                or not self._thread.is_alive()
            ):
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    self._queue = asyncio.Queue()
                    loop.create_task(self._drain())
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=serve, name="studio-events-publisher", daemon=True)
                thread.start()
                ready.wait(timeout=5)
                self._loop, self._thread, self._pid, self._waiting = loop, thread, os.getpid(), 0
                self._idle.set()
            return self._loop

    async def _drain(self) -> None:
        while True:
            layer, group, message = await self._queue.get()
            try:
                await asyncio.wait_for(layer.group_send(group, message), timeout=self.SEND_TIMEOUT)
            except Exception:  # the row is stored: sockets catch up from the database
                logger.warning("could not send a message to %s on the channel layer", group, exc_info=True)
            finally:
                with self._lock:
                    self._waiting -= 1
                    if self._waiting <= 0:
                        self._waiting = 0
                        self._idle.set()

    def send(self, layer, group: str, message: dict) -> None:
        """Hand a message over; it is sent after every message handed over before it."""
        loop = self._start()
        with self._lock:
            if self._waiting >= self.MAX_WAITING:
                raise RuntimeError(f"{self._waiting} messages are waiting for the channel layer")
            self._waiting += 1
            self._idle.clear()
        try:
            loop.call_soon_threadsafe(self._queue.put_nowait, (layer, group, message))
        except RuntimeError:
            with self._lock:
                self._waiting -= 1
            raise

    def wait(self, timeout: float = 5) -> bool:
        """Block until every message handed over has been sent (or given up on); True if so."""
        return self._idle.wait(timeout)


_publisher = _Publisher()


def _group_send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    home = _home
    if (
        isinstance(layer, InMemoryChannelLayer)
        and home is not None
        and home[0].is_running()
        and home[1] != threading.get_ident()
    ):
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), home[0])
        future.result(timeout=5)
        return
    _publisher.send(layer, group, message)


def wait_for_sends(timeout: float = 5) -> bool:
    """Block until the messages this process handed to the channel layer are sent (for tests)."""
    return _publisher.wait(timeout)


def notify_user(user_id: int, payload: dict) -> None:
    """Send a notification to every open notifications socket of a user."""
    _group_send(user_group(user_id), {"type": "notify", "payload": payload})


# --- Payloads -------------------------------------------------------------------------------------


def _time(value) -> str | None:
    return value.isoformat() if value else None


def job_payload(job: PipelineJob) -> dict:
    """What a UI shows of a job."""
    return {
        "job": job.name,
        "display_name": job.display_name,
        "status": job.status,
        "status_reason": job.status_reason,
        "created_at": _time(job.created_at),
        "started_at": _time(job.started_at),
        "finished_at": _time(job.finished_at),
    }


def _step_state(step: StepRun) -> dict:
    """A step's fields as they are now, without queries (names are resolved by `_resolve`)."""
    compute = step.compute.name if StepRun.compute.is_cached(step) and step.compute else None
    reused_from = None
    original = step.reused_from if StepRun.reused_from.is_cached(step) else None
    if original is not None and StepRun.job.is_cached(original):
        reused_from = f"{original.job.name}/{original.name}"
    return {
        "step": step.name,
        "display_name": step.display_name,
        "status": step.status,
        "status_reason": step.status_reason,
        "attempt": step.attempt,
        "max_retries": step.max_retries,
        "exit_code": step.exit_code,
        "compute": compute,
        "compute_id": step.compute_id,
        "reused_from": reused_from,
        "reused_from_id": step.reused_from_id,
        "reuse_note": step.reuse_note,
        "outputs": {
            name: {key: info.get(key) for key in ("type", "hash", "size")}
            for name, info in (step.outputs or {}).items()
            if isinstance(info, dict)
        },
        "queued_at": _time(step.queued_at),
        "started_at": _time(step.started_at),
        "finished_at": _time(step.finished_at),
        "next_attempt_at": _time(step.next_attempt_at),
    }


def _resolve(state: dict) -> dict:
    from studio.models import Compute

    payload = dict(state)
    compute_id = payload.pop("compute_id")
    if payload["compute"] is None and compute_id:
        payload["compute"] = Compute.objects.filter(pk=compute_id).values_list("name", flat=True).first()
    reused_from_id = payload.pop("reused_from_id")
    if payload["reused_from"] is None and reused_from_id:
        original = StepRun.objects.filter(pk=reused_from_id).values_list("job__name", "name").first()
        payload["reused_from"] = f"{original[0]}/{original[1]}" if original else None
    return payload


def step_payload(step: StepRun) -> dict:
    """What a UI shows of a step."""
    return _resolve(_step_state(step))


# --- Recording ------------------------------------------------------------------------------------


def _returning_supported() -> bool:
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 35)


def _allocate(job_id: int, count: int) -> int | None:
    """Move the job's event counter on by `count` (in the caller's transaction); the new value."""
    if _returning_supported():
        table = connection.ops.quote_name(PipelineJob._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET event_seq = event_seq + %s WHERE id = %s RETURNING event_seq",
                [count, job_id],
            )
            row = cursor.fetchone()
        return row[0] if row else None
    if not PipelineJob.objects.filter(pk=job_id).update(event_seq=F("event_seq") + count):
        return None
    return PipelineJob.objects.filter(pk=job_id).values_list("event_seq", flat=True).get()


def _store_many(job_id: int, items: list[tuple[str, str, dict]]) -> list[JobEvent]:
    """Allocate consecutive seqs and store these events (kind, step, payload) in one transaction.

    [] if the job is gone.
    """
    if not items:
        return []
    for _ in range(2):
        try:
            with transaction.atomic():
                # The row lock taken here serializes writers: no two share a seq, and a seq is
                # only visible once the rows below it are committed.
                newest = _allocate(job_id, len(items))
                if newest is None:
                    return []
                first = newest - len(items) + 1
                rows = [
                    JobEvent(job_id=job_id, seq=first + index, kind=kind, step=step, payload=payload)
                    for index, (kind, step, payload) in enumerate(items)
                ]
                if len(rows) == 1:
                    rows[0].save(force_insert=True)
                else:
                    JobEvent.objects.bulk_create(rows)
                return rows
        except IntegrityError:
            # The counter fell behind the rows (a stale full save of the job): repair, try again.
            with transaction.atomic():
                newest = JobEvent.objects.filter(job_id=job_id).aggregate(n=Max("seq"))["n"] or 0
                PipelineJob.objects.filter(pk=job_id, event_seq__lt=newest).update(event_seq=newest)
    return []


def _store(job_id: int, kind: str, step: str, payload: dict) -> JobEvent | None:
    """Allocate the job's next seq and store the event, in one transaction; None if the job is gone."""
    stored = _store_many(job_id, [(kind, step, payload)])
    return stored[0] if stored else None


def _publish(event: JobEvent) -> None:
    try:
        _group_send(job_group(event.job_id), {"type": GROUP_MESSAGE_TYPE, "frame": event.frame()})
    except Exception:  # the row is stored: sockets catch up from the database
        logger.warning("could not send event %s to the channel layer", event, exc_info=True)


def _publish_all(stored: list[JobEvent]) -> None:
    for event in stored:
        _publish(event)


def _record(job_id: int, kind: str, step: str, payload: dict) -> JobEvent | None:
    event = _store(job_id, kind, step, payload)
    if event is not None:
        transaction.on_commit(partial(_publish, event))
    return event


def _record_many(job_id: int, items: list[tuple[str, str, dict]]) -> list[JobEvent]:
    stored = _store_many(job_id, items)
    if stored:
        transaction.on_commit(partial(_publish_all, stored))
    return stored


def record_job(job: PipelineJob) -> JobEvent | None:
    """Store and send a job event with the job's state as it is in memory (call after commit)."""
    return _record(job.pk, JobEvent.Kind.JOB, "", job_payload(job))


def record_step(step: StepRun) -> JobEvent | None:
    """Store and send a step event (call after commit); the step's buffered log lines go first."""
    return _record_step_state(step.job_id, _step_state(step), _job_name_of(step))


def _job_name_of(step: StepRun) -> str | None:
    """The job's name when the step has its job loaded already (no query), else None."""
    return step.job.name if StepRun.job.is_cached(step) else None


def _log_items(step: str, lines: list[dict], buffer: LogBuffer) -> list[tuple[str, str, dict]]:
    """The log events (and the metric events of their `##studio[metric]` lines) of a batch."""
    from runner import metrics

    items: list[tuple[str, str, dict]] = []
    for chunk in buffer.chunks(lines):
        items.append((JobEvent.Kind.LOG, step, {"step": step, "lines": chunk}))
        items += _metric_items(step, metrics.points_from_entries(chunk))
    return items


def _metric_items(step: str, points: list[dict]) -> list[tuple[str, str, dict]]:
    size = METRIC_POINTS_PER_EVENT
    return [
        (JobEvent.Kind.METRIC, step, {"step": step, "points": points[start : start + size]})
        for start in range(0, len(points), size)
    ]


def _record_step_state(job_id: int, state: dict, job_name: str | None = None) -> JobEvent | None:
    return _record_step_states(job_id, [state], job_name)


def _record_step_states(job_id: int, states: list[dict], job_name: str | None = None) -> JobEvent | None:
    """Store step events of one job in one transaction, in order; the last one stored.

    Each goes after its step's buffered log lines and, when the step ended, its final metrics.
    """
    if job_name is None:
        job_name = PipelineJob.objects.filter(pk=job_id).values_list("name", flat=True).first()
        if job_name is None:
            return None
    with contextlib.ExitStack() as stack:
        taken: dict[str, list[dict]] = {}
        for state in states:
            if state["step"] not in taken:
                taken[state["step"]] = stack.enter_context(log_buffer.taking(job_name, state["step"]))
        if not log_buffer.batches_with_step:
            for step, lines in taken.items():
                log_buffer.store_taken(job_name, step, lines)
            taken = dict.fromkeys(taken, [])
        try:
            items: list[tuple[str, str, dict]] = []
            unsent = dict(taken)
            for state in states:
                step = state["step"]
                items += _log_items(step, unsent.pop(step, []), log_buffer)
                if state["status"] in STEP_TERMINAL:
                    try:  # never at the cost of the step event
                        items += _metric_items(step, _final_metric_points(job_name, state))
                    except Exception:
                        logger.exception("recording a live event failed")
                items.append((JobEvent.Kind.STEP, step, _resolve(state)))
            stored = _record_many(job_id, items)
        except Exception:
            logger.warning("could not store the events of %s together", job_name, exc_info=True)
            stored = None
        if stored is None:  # one by one: a step event must not depend on its log lines
            event = None
            for state in states:
                step = state["step"]
                log_buffer.store_taken(job_name, step, taken.pop(step, []))
                if state["status"] in STEP_TERMINAL:
                    _safely(_record_final_metrics, job_id, job_name, state)
                event = _record(job_id, JobEvent.Kind.STEP, step, _resolve(state)) or event
            return event
    return stored[-1] if stored else None


def _final_metric_points(job_name: str, state: dict) -> list[dict]:
    """The points that only exist once a step ended: its metrics files, or what it reused."""
    from runner import metrics

    if state["status"] in (StepStatus.CANCELED, StepStatus.SKIPPED) and state["started_at"] is None:
        return []  # it never ran: no files to look for (a canceled job's 10,000 waiting steps)
    if state["reused_from_id"]:
        steps = StepRun.objects.select_related("job", "reused_from__job")
        found = steps.filter(pk=state["reused_from_id"]).first()
        return metrics.step_points(*metrics.source_of(found), ended=True) if found else []
    return metrics.file_points(job_name, state["step"], state["outputs"])


def _record_final_metrics(job_id: int, job_name: str, state: dict) -> None:
    """The points that only exist once a step ended: its metrics files, or what it reused."""
    record_metrics(job_id, state["step"], _final_metric_points(job_name, state))


def record_log(job_name: str, step: str, lines: list[dict]) -> JobEvent | None:
    """Store and send one log event with these lines (`{seq, t, line}`); None if the job is gone.

    The metric points of its `##studio[metric …]` lines follow as a metric event.
    """
    from runner import metrics

    if not lines:
        return None
    job_id = PipelineJob.objects.filter(name=job_name).values_list("pk", flat=True).first()
    if job_id is None:
        return None
    event = _record(job_id, JobEvent.Kind.LOG, step, {"step": step, "lines": lines})
    if event is not None:
        record_metrics(job_id, step, metrics.points_from_entries(lines))
    return event


def record_metrics(job_id: int, step: str, points: list[dict]) -> list[JobEvent]:
    """Store and send metric events with these points (`{name, value, t, step?}`), in chunks."""
    stored = []
    for start in range(0, len(points), METRIC_POINTS_PER_EVENT):
        chunk = points[start : start + METRIC_POINTS_PER_EVENT]
        event = _record(job_id, JobEvent.Kind.METRIC, step, {"step": step, "points": chunk})
        if event is None:
            break
        stored.append(event)
    return stored


def _safely(function, *args) -> None:
    try:
        function(*args)
    except Exception:  # live events must never break the runner; the database keeps the truth
        logger.exception("recording a live event failed")


def job_changed(job: PipelineJob) -> None:
    """A job's status changed (`PipelineJob.transition`): publish its state once that commits."""
    transaction.on_commit(partial(_safely, _record, job.pk, JobEvent.Kind.JOB, "", job_payload(job)))


def step_changed(step: StepRun) -> None:
    """A step's status changed (`StepRun.transition`): publish its state once that commits."""
    entry = (step.job_id, _step_state(step), _job_name_of(step))
    batch = getattr(_batching, "entries", None)
    if batch is not None:
        batch.append(entry)
        return
    transaction.on_commit(partial(_safely, _record_step_state, *entry))


_batching = threading.local()


@contextlib.contextmanager
def batched_step_events():
    """Inside a transaction: the step changes made in the block are stored as one batch.

    One transaction for their events instead of one each, once the caller's transaction commits.
    Yields the list of changes; a caller that rolls back a savepoint inside the block removes
    the changes made since (`del batch[mark:]`).
    """
    outer = getattr(_batching, "entries", None)
    batch: list[tuple[int, dict, str | None]] = []
    if outer is None:
        # Registered now, run with what the list holds at commit: the events keep their place
        # among the other on-commit work of the transaction (a job event after its steps').
        transaction.on_commit(partial(_record_batch, batch))
    _batching.entries = batch
    try:
        yield batch
    finally:
        _batching.entries = outer
    if outer is not None:
        outer.extend(batch)


def _record_batch(entries: list[tuple[int, dict, str | None]]) -> None:
    """Store batched step changes: one transaction per run of changes of the same job."""
    start = 0
    while start < len(entries):
        job_id, _, job_name = entries[start]
        end = start
        while end < len(entries) and entries[end][0] == job_id:
            end += 1
        states = [state for _, state, _ in entries[start:end]]
        names = [name for _, _, name in entries[start:end] if name]
        _safely(_record_step_states, job_id, states, names[0] if names else job_name)
        start = end


# --- Log batching ---------------------------------------------------------------------------------


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
        record=None,
    ) -> None:
        self.max_delay = max_delay
        self.max_lines = max_lines
        self.max_chars = max_chars
        self._record = record or record_log
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
        """Whether a step event may store this buffer's lines itself (the default recorder only)."""
        return self._record is record_log

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


log_buffer = LogBuffer()


@atexit.register
def _at_exit() -> None:
    # Daemon threads still run while atexit handlers do: the last lines and messages go out.
    log_buffer.flush_all(quiet=True)
    _publisher.wait(timeout=5)


def log_line(job: str, step: str, entry: dict) -> None:
    """A step wrote a log line (`runner.logs.StepLog`): it goes out with the next batch."""
    log_buffer.add(job, step, entry)


publish_lines_to(log_line)


@receiver(job_status_changed)
def _job_status_changed(sender, job: PipelineJob, **kwargs) -> None:
    job_changed(job)


@receiver(step_status_changed)
def _step_status_changed(sender, step: StepRun, **kwargs) -> None:
    step_changed(step)


# --- Reading --------------------------------------------------------------------------------------


def current_seq(job_id: int) -> int:
    """The newest event's seq of a job (0 when none, or when the job is gone)."""
    return PipelineJob.objects.filter(pk=job_id).values_list("event_seq", flat=True).first() or 0


def events_after(job_id: int, after: int, limit: int = 1000) -> list[dict]:
    """Frames of the events with seq greater than `after`, oldest first, at most `limit`."""
    rows = JobEvent.objects.filter(job_id=job_id, seq__gt=after).order_by("seq")[:limit]
    return [row.frame() for row in rows]


def replayable(job_id: int, after: int) -> bool:
    """Whether every event after `after` is still stored (else a client needs a snapshot)."""
    newest = current_seq(job_id)
    if after > newest:
        return False  # a seq this job never had
    if after == newest:
        return True
    first = (
        JobEvent.objects.filter(job_id=job_id, seq__gt=after).order_by("seq").values_list("seq", flat=True)
    ).first()
    return first == after + 1


def prune_events(*, days: int) -> int:
    """Delete the events of jobs that ended more than `days` ago; the number deleted.

    Their logs are in the log files and their states in the job and step rows: a browser opening
    such a job gets a snapshot. The job's seq counter stays, so a seq is never used twice.
    """
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    ended = PipelineJob.objects.filter(status__in=JOB_TERMINAL, finished_at__lt=cutoff)
    deleted, _ = JobEvent.objects.filter(job__in=ended.values("pk")).delete()
    return deleted


def snapshot(job_id: int) -> dict | None:
    """The job and its steps now, with the seq of the newest event whose effect they include."""
    # The seq first: a change is committed before its event is, so the state read next
    # includes at least everything up to this seq.
    seq = current_seq(job_id)
    job = PipelineJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    steps = []
    for step in job.steps.select_related("compute", "reused_from__job").order_by("pk"):
        payload = step_payload(step)
        last_log = (
            JobEvent.objects.filter(job_id=job_id, kind=JobEvent.Kind.LOG, step=step.name, seq__lte=seq)
            .order_by("-seq")
            .values_list("payload", flat=True)
            .first()
        )
        payload["log_seq"] = last_log["lines"][-1]["seq"] if last_log and last_log.get("lines") else 0
        if not last_log and job.is_terminal:
            # Its events were pruned (or it never printed): every line in its log was published.
            payload["log_seq"] = last_seq(log_path(job.name, step.name))
        steps.append(payload)
    return {"type": "snapshot", "seq": seq, "job": job_payload(job), "steps": steps}
