"""The scheduler: decides which steps of a job start, are reused, skipped or canceled, and when it ends.

`advance_job` is safe to call any number of times, from any worker, at any moment: it holds the
job row locked while it decides, and every change is a conditional transition.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from django.db import connection, transaction
from django.utils import timezone

from runner import messages
from runner.choices import STEP_ACTIVE, STEP_TERMINAL, STEP_WAITING, JobStatus, StepStatus
from runner.events import recording
from runner.models import PipelineJob, StepRun
from runner.reuse import find_reusable, reuse_key, reuse_parts, why_not_reusable
from runner.slots import Later, take_slot

logger = logging.getLogger(__name__)

# Names in one `IN (...)` of a query: far below any database's limit on parameters.
NAMES_PER_QUERY = 500


def input_hashes(spec_step, steps) -> dict[str, str]:
    """The content of each data input, for the reuse key (`steps`: name -> anything with `outputs`)."""
    hashes: dict[str, str] = {}
    for name, binding in spec_step.inputs.items():
        if binding.kind == "data":
            hashes[name] = f"snapshot:{binding.snapshot}" if binding.snapshot else f"url:{binding.url}"
        elif binding.kind == "step_output":
            output = steps[binding.step].outputs.get(binding.output, {})
            hashes[name] = f"output:{output.get('hash', '')}"
    return hashes


@dataclass
class _Row:
    """What a pass needs of every step (the full row is loaded only for a step that changes)."""

    pk: int
    name: str
    status: str
    status_reason: str


def _finish_job(job: PipelineJob, steps: dict) -> None:
    if not all(step.status in STEP_TERMINAL for step in steps.values()):
        return
    if job.status == JobStatus.CANCEL_REQUESTED:
        job.transition((JobStatus.CANCEL_REQUESTED,), JobStatus.CANCELED)
        return
    failed = [step for step in steps.values() if step.status == StepStatus.FAILED]
    if failed:
        first = failed[0]
        job.transition(
            (JobStatus.RUNNING, JobStatus.QUEUED),
            JobStatus.FAILED,
            status_reason=f"step {first.name} failed: {first.status_reason}"[:4000],
        )
    elif all(step.status in (StepStatus.COMPLETED, StepStatus.SKIPPED) for step in steps.values()):
        job.transition((JobStatus.RUNNING, JobStatus.QUEUED), JobStatus.COMPLETED)
    else:
        job.transition(
            (JobStatus.RUNNING, JobStatus.QUEUED), JobStatus.CANCELED, status_reason="steps were canceled"
        )


class _Pass:
    """One scheduler pass over a locked job: step states as light rows, full steps on demand.

    Its cost follows the steps that change, not the job's size, in a few statements each kind:
    the full rows of the steps that may start are loaded together, a reuse key is looked up once,
    and the changes are written together (`change`, then `flush`), however many steps change.
    """

    def __init__(self, job: PipelineJob) -> None:
        self.job = job
        # Locks every step row of the job (PostgreSQL) for the pass, as a full load would.
        rows = job.steps.select_for_update().order_by("pk")
        rows = rows.values_list("pk", "name", "status", "status_reason")
        self.rows = {name: _Row(pk, name, status, reason) for pk, name, status, reason in rows}
        self._full: dict[str, StepRun] = {}
        self._reusable: dict[str, StepRun | None] = {}
        self._pending: dict[str, tuple[str, dict]] = {}  # name -> (new status, fields), unwritten

    def preload(self, names: set[str]) -> None:
        """Load the full rows of these steps now (a query per few hundred)."""
        wanted = sorted(name for name in names if name not in self._full)
        for start in range(0, len(wanted), NAMES_PER_QUERY):
            rows = StepRun.objects.select_related("compute", "environment").filter(
                job=self.job, name__in=wanted[start : start + NAMES_PER_QUERY]
            )
            for step in rows:
                step.job = self.job  # its events name the job without a query
                self._full[step.name] = step

    def startable(self, spec) -> set[str]:
        """Steps not started whose upstream steps all completed, and those upstream steps."""
        names: set[str] = set()
        for name, row in self.rows.items():
            if row.status != StepStatus.NOT_STARTED:
                continue  # most rows of a big job, on every pass: no upstream set built for them
            upstream = spec.steps[name].upstream()
            if all(self.rows[u].status == StepStatus.COMPLETED for u in upstream):
                names |= {name, *upstream}
        return names

    def full(self, name: str, *, with_rows: set[str] = frozenset()) -> tuple[StepRun, dict[str, StepRun]]:
        """The step's full row, and those of `with_rows` (loaded now unless preloaded)."""
        names = {name, *with_rows}
        self.preload(names)
        return self._full[name], {found: self._full[found] for found in names}

    def reusable(self, key: str) -> StepRun | None:
        """`find_reusable` once per key and pass: the steps of a fan-out often share one."""
        if key not in self._reusable:
            self._reusable[key] = find_reusable(key, exclude_job_id=self.job.pk)
        return self._reusable[key]

    def change(self, name: str, new: str, **fields) -> None:
        """Move a step that has not started to `new` for the rest of the pass; it is written, with
        the other changes, at `flush`. The times are set as `StepRun.transition` sets them."""
        now = timezone.now()
        if new in STEP_TERMINAL:
            fields.setdefault("finished_at", now)
        if new == StepStatus.QUEUED:
            fields.setdefault("queued_at", now)
        row = self.rows[name]
        row.status, row.status_reason = new, fields.get("status_reason", row.status_reason)
        self._pending[name] = (new, fields)
        if name in self._full:  # a step after it in this pass reads its outputs
            self._apply(self._full[name], new, fields)

    @staticmethod
    def _apply(step: StepRun, new: str, fields: dict) -> None:
        step.status = new
        for field, value in fields.items():
            setattr(step, field, value)

    def flush(self) -> None:
        """Write the changes made since the last flush (one statement run per kind of change) and
        publish them."""
        if not self._pending:
            return
        self.preload(set(self._pending))
        kinds: dict[tuple[str, ...], list[StepRun]] = {}
        for name, (new, fields) in self._pending.items():
            step = self._full[name]
            self._apply(step, new, fields)
            kinds.setdefault(("status", *sorted(fields)), []).append(step)
        for names, changed in kinds.items():
            _write(changed, names, expected=(StepStatus.NOT_STARTED,))
        for name in self._pending:
            recording.step_changed(self._full[name])  # batched: stored together on commit
        self._pending.clear()


def _write(steps: list[StepRun], names: tuple[str, ...], *, expected: tuple[str, ...]) -> None:
    """Write these fields of these steps as they are in memory: one UPDATE run for all of them
    (the driver's executemany; an ORM update each, or a bulk_update's CASE expressions, cost a
    millisecond or more a step). The caller's transaction locks their rows, so each is still in
    one of the `expected` statuses."""
    if not steps:
        return
    quote = connection.ops.quote_name
    fields = [StepRun._meta.get_field(name) for name in names]
    status = quote(StepRun._meta.get_field("status").column)
    statuses = ", ".join(["%s"] * len(expected))
    sql = (
        f"UPDATE {quote(StepRun._meta.db_table)} SET "
        + ", ".join(f"{quote(field.column)} = %s" for field in fields)
        + f" WHERE {quote(StepRun._meta.pk.column)} = %s AND {status} IN ({statuses})"
    )
    rows = [
        [field.get_db_prep_save(getattr(step, field.attname), connection) for field in fields]
        + [step.pk, *expected]
        for step in steps
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _take_waiting(work: _Pass) -> StepRun | None:
    """The job's first Queued step, claimed for the step thread that just freed a slot (or None).

    A fan-out's steps are all queued by the first pass; without this, each waits for its message
    to come back from its delay after a full compute said Later (up to `LATER_DELAY_MS`). Only
    this job's steps: its row is the one the pass holds locked. Its message, still pending,
    finds it claimed and does nothing.
    """
    name = next((row.name for row in work.rows.values() if row.status == StepStatus.QUEUED), None)
    if name is None:
        return None
    step, _ = work.full(name)
    try:
        return take_slot(step)
    except Later:
        return None  # its message takes it when a slot frees up


def cancel_waiting_steps(job: PipelineJob, *, reason: str = "the job was canceled") -> list[StepRun]:
    """Cancel every step of the job that has not started (Not started or Queued): two statements
    whatever their number; the canceled steps. In the caller's transaction, with the job's row
    locked; their events are stored together once it commits."""
    waiting = StepRun.objects.filter(job=job, status__in=STEP_WAITING)
    # Their rows locked (PostgreSQL; SQLite's writer lock already excludes every other writer),
    # so the UPDATE below changes exactly these.
    canceled = list(waiting.select_for_update(of=("self",)).select_related("compute").order_by("pk"))
    now = timezone.now()
    waiting.update(status=StepStatus.CANCELED, status_reason=reason, finished_at=now)
    for step in canceled:
        step.job = job
        step.status, step.status_reason, step.finished_at = StepStatus.CANCELED, reason, now
    with recording.batched_step_events():
        for step in canceled:
            recording.step_changed(step)
    return canceled


def advance_job(
    job_id: int,
    *,
    take_one: bool = False,
    taken: list[StepRun] | None = None,
    job: PipelineJob | None = None,
) -> list[int]:
    """Move a job forward as far as its steps' states allow; the ids of the steps it queued.

    `take_one`: the caller (a step thread that just finished a step) runs the first step queued
    itself: it is claimed (Queued -> Preparing) in this same transaction and appended to `taken`
    when its compute has a free slot. It gets no message: claimed, it is that thread's to run, and
    if the thread dies first the reconciler finds the claim's heartbeat stale and retries it (a
    message would only find it claimed: a Redis round trip a step for nothing).
    `job`: the job's row, already locked by the caller's transaction (loaded without its spec).
    """
    queued: list[int] = []
    with transaction.atomic():
        # The spec is validated once per process (PipelineJob.pipeline_spec): no need to load it.
        if job is None:
            job = PipelineJob.objects.select_for_update().defer("spec").filter(pk=job_id).first()
        if job is None or job.is_terminal:
            return queued
        work = _Pass(job)
        steps = work.rows
        spec = job.pipeline_spec()

        if job.status == JobStatus.CANCEL_REQUESTED:
            for canceled in cancel_waiting_steps(job):
                steps[canceled.name].status = canceled.status  # the light rows _finish_job reads
            _finish_job(job, steps)
            return queued

        if job.status in (JobStatus.NOT_STARTED, JobStatus.QUEUED):
            job.transition((JobStatus.NOT_STARTED, JobStatus.QUEUED), JobStatus.RUNNING)
        any_failed = any(step.status == StepStatus.FAILED for step in steps.values())
        # The events of every step this pass changes: one transaction once this one commits, in
        # their place among its other work (after the job's Running event, before its end).
        with recording.batched_step_events():
            work.preload(work.startable(spec))  # a fan-out's 10,000 first steps: a few queries
            for name in spec.order():
                step, step_spec = steps[name], spec.steps[name]
                if step.status != StepStatus.NOT_STARTED:
                    continue
                upstream = [steps[u] for u in sorted(step_spec.upstream())]
                blocked = [
                    u
                    for u in upstream
                    if u.status in (StepStatus.FAILED, StepStatus.CANCELED, StepStatus.SKIPPED)
                ]
                if blocked:
                    work.change(
                        name,
                        StepStatus.SKIPPED if spec.settings.continue_on_step_failure else StepStatus.CANCELED,
                        status_reason=f"upstream step {blocked[0].name} is {blocked[0].status}",
                    )
                    continue
                if any_failed and not spec.settings.continue_on_step_failure:
                    work.change(name, StepStatus.CANCELED, status_reason="another step failed")
                    continue
                if not all(u.status == StepStatus.COMPLETED for u in upstream):
                    continue
                full, loaded = work.full(name, with_rows=step_spec.upstream())
                parts = reuse_parts(step_spec, input_hashes(step_spec, loaded))
                key = reuse_key(parts)
                reason = why_not_reusable(step_spec, job_force_rerun=spec.settings.force_rerun)
                original = None if reason else work.reusable(key)
                if original is not None:
                    work.change(
                        name,
                        StepStatus.COMPLETED,
                        reuse_key=key,
                        reuse_parts=parts,
                        reused_from=original,
                        outputs=original.outputs,
                        exit_code=original.exit_code,
                        reuse_note=f"reused from {original.job.name}/{original.name}: same component, code, "
                        "environment, parameters and inputs",
                    )
                    continue
                note = reason or "not reused: no earlier completed run with this key"
                work.change(name, StepStatus.QUEUED, reuse_key=key, reuse_parts=parts, reuse_note=note)
                claimed = None
                if take_one and not queued and taken is not None:
                    work.flush()  # the step is claimed from Queued, in the database
                    try:
                        claimed = take_slot(full)
                    except Later:
                        claimed = None  # its message takes it when a slot frees up
                queued.append(full.pk)
                if claimed is not None:
                    taken.append(claimed)
                else:  # to its compute's queue by the name loaded here (no lookup per message)
                    transaction.on_commit(partial(messages.run_step, full.pk, compute=full.compute.name))
            work.flush()
            if take_one and not queued and taken is not None:
                claimed = _take_waiting(work)
                if claimed is not None:
                    taken.append(claimed)
        if any(step.status in STEP_ACTIVE or step.status in STEP_WAITING for step in steps.values()):
            return queued
        _finish_job(job, steps)
    return queued
