"""Recording: status changes and log lines become `JobEvent` rows, sent once they committed."""

from __future__ import annotations

import atexit
import contextlib
import logging
import sqlite3
import threading
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.dispatch import receiver

from runner.choices import STEP_TERMINAL, StepStatus
from runner.events.channel_layer import GROUP_MESSAGE_TYPE, group_send, job_group, wait_for_sends
from runner.events.log_batching import LogBuffer
from runner.events.payloads import job_payload, resolve_step_state, step_state
from runner.logs import publish_lines_to
from runner.models import JobEvent, PipelineJob, StepRun
from runner.signals import job_status_changed, step_status_changed

logger = logging.getLogger(__name__)

METRIC_POINTS_PER_EVENT = 1000


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


def _insert_in_one_statement(job_id: int, rows: list[JobEvent]) -> bool | None:
    """PostgreSQL outside a transaction: allocate the seqs and insert the rows in ONE statement
    (a data-modifying WITH), its own transaction: one round trip instead of four (BEGIN, the
    counter's UPDATE, the INSERT, COMMIT). The UPDATE locks the job's row until the statement
    commits, as the transaction does. True when stored, False if the job is gone; None when this
    connection cannot (the caller's transaction is open, or not PostgreSQL): store them the long way.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    quote = connection.ops.quote_name
    meta = JobEvent._meta
    column = {
        name: quote(meta.get_field(name).column)
        for name in ("job", "seq", "kind", "step", "payload", "created_at")
    }
    fields = [meta.get_field(name) for name in ("kind", "step", "payload", "created_at")]
    values, params = [], []
    for index, row in enumerate(rows):
        values.append("(%s, %s, %s, %s, %s)")
        params += [
            index,
            *(field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields),
        ]
    sql = (
        f"WITH counter AS (UPDATE {quote(PipelineJob._meta.db_table)} SET event_seq = event_seq + %s"
        f" WHERE {quote(PipelineJob._meta.pk.column)} = %s RETURNING event_seq)"
        f" INSERT INTO {quote(meta.db_table)} ({', '.join(column.values())})"
        " SELECT %s, counter.event_seq - %s + 1 + v.n::integer, v.kind, v.step, v.payload::jsonb,"
        f" v.created_at::timestamptz FROM counter, (VALUES {', '.join(values)})"
        " AS v(n, kind, step, payload, created_at)"
        f" RETURNING {quote(meta.pk.column)}, {column['seq']}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [len(rows), job_id, job_id, len(rows), *params])
        stored = {seq: pk for pk, seq in cursor.fetchall()}
    if not stored:
        return False
    first = min(stored)
    for index, row in enumerate(rows):
        row.seq = first + index
        row.pk = stored[row.seq]
    return True


def _store_many(job_id: int, items: list[tuple[str, str, dict]]) -> list[JobEvent]:
    """Allocate consecutive seqs and store these events (kind, step, payload) in one transaction.

    [] if the job is gone.
    """
    if not items:
        return []
    rows = [
        JobEvent(job_id=job_id, seq=0, kind=kind, step=step, payload=payload) for kind, step, payload in items
    ]
    for _ in range(2):
        try:
            done = _insert_in_one_statement(job_id, rows)
            if done is not None:
                return rows if done else []
            with transaction.atomic():
                # The row lock taken here serializes writers: no two share a seq, and a seq is
                # only visible once the rows below it are committed.
                newest = _allocate(job_id, len(rows))
                if newest is None:
                    return []
                for index, row in enumerate(rows):
                    row.seq = newest - len(rows) + 1 + index
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
        group_send(job_group(event.job_id), {"type": GROUP_MESSAGE_TYPE, "frame": event.frame()})
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
    return _record_step_state(step.job_id, step_state(step), _job_name_of(step))


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
                items.append((JobEvent.Kind.STEP, step, resolve_step_state(state)))
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
                event = _record(job_id, JobEvent.Kind.STEP, step, resolve_step_state(state)) or event
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
    # The log event and its metric events in one transaction (one statement on PostgreSQL).
    items = [(JobEvent.Kind.LOG, step, {"step": step, "lines": lines})]
    stored = _record_many(job_id, items + _metric_items(step, metrics.points_from_entries(lines)))
    return stored[0] if stored else None


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
    entry = (step.job_id, step_state(step), _job_name_of(step))
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


log_buffer = LogBuffer(record=record_log, batches_with_step=True)


@atexit.register
def _at_exit() -> None:
    # Daemon threads still run while atexit handlers do: the last lines and messages go out.
    log_buffer.flush_all(quiet=True)
    wait_for_sends(timeout=5)


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
