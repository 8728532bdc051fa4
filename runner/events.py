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

Log lines are batched: a step's lines are buffered and stored as one event at most every
`LOG_FLUSH_SECONDS` or `LOG_FLUSH_LINES` lines (a background flusher thread), and right before any
status event of the same step, so a step's lines always come before the event that ends it.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import threading
import time
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import IntegrityError, transaction
from django.db.models import F, Max

from runner.choices import STEP_TERMINAL
from runner.models import JobEvent, PipelineJob, StepRun

logger = logging.getLogger(__name__)

LOG_FLUSH_SECONDS = 0.2
LOG_FLUSH_LINES = 100
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
    async_to_sync(layer.group_send)(group, message)


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


def _store(job_id: int, kind: str, step: str, payload: dict) -> JobEvent | None:
    """Allocate the job's next seq and store the event, in one transaction; None if the job is gone."""
    for _ in range(2):
        try:
            with transaction.atomic():
                # The row lock taken here serializes writers: no two share a seq, and a seq is
                # only visible once the rows below it are committed.
                if not PipelineJob.objects.filter(pk=job_id).update(event_seq=F("event_seq") + 1):
                    return None
                seq = PipelineJob.objects.filter(pk=job_id).values_list("event_seq", flat=True).get()
                return JobEvent.objects.create(job_id=job_id, seq=seq, kind=kind, step=step, payload=payload)
        except IntegrityError:
            # The counter fell behind the rows (a stale full save of the job): repair, try again.
            with transaction.atomic():
                newest = JobEvent.objects.filter(job_id=job_id).aggregate(n=Max("seq"))["n"] or 0
                PipelineJob.objects.filter(pk=job_id, event_seq__lt=newest).update(event_seq=newest)
    return None


def _publish(event: JobEvent) -> None:
    try:
        _group_send(job_group(event.job_id), {"type": GROUP_MESSAGE_TYPE, "frame": event.frame()})
    except Exception:  # the row is stored: sockets catch up from the database
        logger.warning("could not send event %s to the channel layer", event, exc_info=True)


def _record(job_id: int, kind: str, step: str, payload: dict) -> JobEvent | None:
    event = _store(job_id, kind, step, payload)
    if event is not None:
        transaction.on_commit(partial(_publish, event))
    return event


def record_job(job: PipelineJob) -> JobEvent | None:
    """Store and send a job event with the job's state as it is in memory (call after commit)."""
    return _record(job.pk, JobEvent.Kind.JOB, "", job_payload(job))


def record_step(step: StepRun) -> JobEvent | None:
    """Store and send a step event (call after commit); the step's buffered log lines go first."""
    return _record_step_state(step.job_id, _step_state(step))


def _record_step_state(job_id: int, state: dict) -> JobEvent | None:
    job_name = PipelineJob.objects.filter(pk=job_id).values_list("name", flat=True).first()
    if job_name is None:
        return None
    log_buffer.flush(job_name, state["step"])
    if state["status"] in STEP_TERMINAL:
        _safely(_record_final_metrics, job_id, job_name, state)  # never at the cost of the step event
    return _record(job_id, JobEvent.Kind.STEP, state["step"], _resolve(state))


def _record_final_metrics(job_id: int, job_name: str, state: dict) -> None:
    """The points that only exist once a step ended: its metrics files, or what it reused."""
    from runner import metrics

    if state["reused_from_id"]:
        steps = StepRun.objects.select_related("job", "reused_from__job")
        found = steps.filter(pk=state["reused_from_id"]).first()
        points = metrics.step_points(*metrics.source_of(found), ended=True) if found else []
    else:
        points = metrics.file_points(job_name, state["step"], state["outputs"])
    record_metrics(job_id, state["step"], points)


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
    transaction.on_commit(partial(_safely, _record_step_state, step.job_id, _step_state(step)))


# --- Log batching ---------------------------------------------------------------------------------


class LogBuffer:
    """Per-step buffers of log lines, stored as one event per batch by a background thread."""

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
            self._chars[key] += len(entry.get("line", ""))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="studio-log-events", daemon=True)
                self._thread.start()
            if first or len(lines) >= self.max_lines or self._chars[key] >= self.max_chars:
                self._cond.notify()  # a new deadline, or a full batch

    def _take(self, key) -> list[dict]:
        self._since.pop(key, None)
        self._chars.pop(key, None)
        return self._pending.pop(key, [])

    def _due(self, now: float) -> tuple[list[tuple[str, str]], float | None]:
        due, wait = [], None
        for key, lines in self._pending.items():
            left = self._since[key] + self.max_delay - now
            if left <= 0 or len(lines) >= self.max_lines or self._chars[key] >= self.max_chars:
                due.append(key)
            else:
                wait = left if wait is None else min(wait, left)
        return due, wait

    def flush(self, job: str, step: str) -> None:
        """Store a step's buffered lines now (before its status event, and when an attempt ends)."""
        with self._flushing:
            with self._cond:
                lines = self._take((job, step))
            self._store(job, step, lines)

    def flush_all(self, *, quiet: bool = False) -> None:
        """Store every buffered line now (`quiet`: at exit, when the database may be gone)."""
        with self._flushing:
            with self._cond:
                batches = [(key, self._take(key)) for key in list(self._pending)]
            for (job, step), lines in batches:
                self._store(job, step, lines, quiet=quiet)

    def _store(self, job: str, step: str, lines: list[dict], *, quiet: bool = False) -> None:
        for start in range(0, len(lines), self.max_lines):
            try:
                self._record(job, step, lines[start : start + self.max_lines])
            except Exception:  # the lines are in the log file; only their live copy is lost
                level = logging.DEBUG if quiet else logging.WARNING
                logger.log(level, "could not record log lines of %s/%s", job, step, exc_info=True)

    def _run(self) -> None:
        from django.db import connection

        while True:
            with self._flushing:
                with self._cond:
                    due, wait = self._due(time.monotonic())
                    batches = [(key, self._take(key)) for key in due]
                    idle = not self._pending
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


log_buffer = LogBuffer()
atexit.register(partial(log_buffer.flush_all, quiet=True))


def log_line(job: str, step: str, entry: dict) -> None:
    """A step wrote a log line (`runner.logs.StepLog`): it goes out with the next batch."""
    log_buffer.add(job, step, entry)


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
        steps.append(payload)
    return {"type": "snapshot", "seq": seq, "job": job_payload(job), "steps": steps}
