"""The scheduler: decides which steps of a job start, are reused, skipped or canceled, and when it ends.

`advance_job` is safe to call any number of times, from any worker, at any moment: it holds the
job row locked while it decides, and every change is a conditional transition.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from django.db import transaction

from runner.choices import STEP_ACTIVE, STEP_TERMINAL, STEP_WAITING, JobStatus, StepStatus
from runner.models import PipelineJob, StepRun
from runner.reuse import find_reusable, reuse_key, reuse_parts, why_not_reusable

logger = logging.getLogger(__name__)

# A step the finishing step thread takes itself still gets its message, this much later.
HANDOFF_FALLBACK_MS = 2000


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
    """One scheduler pass over a locked job: step states as light rows, full steps on demand."""

    def __init__(self, job: PipelineJob) -> None:
        self.job = job
        # Locks every step row of the job (PostgreSQL) for the pass, as a full load would.
        rows = job.steps.select_for_update().order_by("pk")
        rows = rows.values_list("pk", "name", "status", "status_reason")
        self.rows = {name: _Row(pk, name, status, reason) for pk, name, status, reason in rows}

    def full(self, name: str, *, with_rows: set[str] = frozenset()) -> tuple[StepRun, dict[str, StepRun]]:
        """The step's full row, and those of `with_rows` (one query)."""
        names = {name, *with_rows}
        rows = StepRun.objects.select_related("compute", "environment").filter(job=self.job, name__in=names)
        found = {step.name: step for step in rows}
        for step in found.values():
            step.job = self.job  # its events name the job without a query
        return found[name], found

    def transition(
        self, name: str, expected: tuple[str, ...], new: str, *, step: StepRun | None = None, **fields
    ) -> StepRun | None:
        """Transition one step (its full row loaded now unless given); the moved step, or None."""
        step = step or self.full(name)[0]
        moved = step.transition(expected, new, **fields)
        row = self.rows[name]
        row.status, row.status_reason = step.status, step.status_reason
        return step if moved else None


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
    when its compute has a free slot, and its message is sent delayed, as the fallback.
    `job`: the job's row, already locked by the caller's transaction (loaded without its spec).
    """
    from runner.actors import run_step
    from runner.step_runner import Later, take_slot

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
            for name, step in steps.items():
                if step.status in STEP_WAITING:
                    reason = "the job was canceled"
                    work.transition(name, STEP_WAITING, StepStatus.CANCELED, status_reason=reason)
            _finish_job(job, steps)
            return queued

        if job.status in (JobStatus.NOT_STARTED, JobStatus.QUEUED):
            job.transition((JobStatus.NOT_STARTED, JobStatus.QUEUED), JobStatus.RUNNING)
        any_failed = any(step.status == StepStatus.FAILED for step in steps.values())
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
                work.transition(
                    name,
                    (StepStatus.NOT_STARTED,),
                    StepStatus.SKIPPED if spec.settings.continue_on_step_failure else StepStatus.CANCELED,
                    status_reason=f"upstream step {blocked[0].name} is {blocked[0].status}",
                )
                continue
            if any_failed and not spec.settings.continue_on_step_failure:
                work.transition(
                    name, (StepStatus.NOT_STARTED,), StepStatus.CANCELED, status_reason="another step failed"
                )
                continue
            if not all(u.status == StepStatus.COMPLETED for u in upstream):
                continue
            full, loaded = work.full(name, with_rows=step_spec.upstream())
            parts = reuse_parts(step_spec, input_hashes(step_spec, loaded))
            key = reuse_key(parts)
            reason = why_not_reusable(step_spec, job_force_rerun=spec.settings.force_rerun)
            original = None if reason else find_reusable(key, exclude_job_id=job.pk)
            if original is not None:
                work.transition(
                    name,
                    (StepStatus.NOT_STARTED,),
                    StepStatus.COMPLETED,
                    step=full,
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
            moved = work.transition(
                name,
                (StepStatus.NOT_STARTED,),
                StepStatus.QUEUED,
                step=full,
                reuse_key=key,
                reuse_parts=parts,
                reuse_note=note,
            )
            if moved is not None:
                claimed = None
                if take_one and not queued and taken is not None:
                    try:
                        claimed = take_slot(moved)
                    except Later:
                        claimed = None  # its message takes it when a slot frees up
                if claimed is not None:
                    taken.append(claimed)
                    send = partial(run_step.send_with_options, args=(moved.pk,), delay=HANDOFF_FALLBACK_MS)
                else:
                    send = partial(run_step.send, moved.pk)
                queued.append(moved.pk)
                transaction.on_commit(send)
        if any(step.status in STEP_ACTIVE or step.status in STEP_WAITING for step in steps.values()):
            return queued
        _finish_job(job, steps)
    return queued
