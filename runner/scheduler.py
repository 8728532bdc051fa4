"""The scheduler: decides which steps of a job start, are reused, skipped or canceled, and when it ends.

`advance_job` is safe to call any number of times, from any worker, at any moment: it holds the
job row locked while it decides, and every change is a conditional transition.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction

from runner.choices import STEP_ACTIVE, STEP_TERMINAL, STEP_WAITING, JobStatus, StepStatus
from runner.models import PipelineJob, StepRun
from runner.reuse import find_reusable, reuse_key, reuse_parts, why_not_reusable

logger = logging.getLogger(__name__)


def input_hashes(spec_step, steps: dict[str, StepRun]) -> dict[str, str]:
    """The content of each data input, for the reuse key."""
    hashes: dict[str, str] = {}
    for name, binding in spec_step.inputs.items():
        if binding.kind == "data":
            hashes[name] = f"snapshot:{binding.snapshot}" if binding.snapshot else f"url:{binding.url}"
        elif binding.kind == "step_output":
            output = steps[binding.step].outputs.get(binding.output, {})
            hashes[name] = f"output:{output.get('hash', '')}"
    return hashes


def _finish_job(job: PipelineJob, steps: dict[str, StepRun]) -> None:
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


def advance_job(job_id: int) -> None:
    """Move a job forward as far as its steps' states allow."""
    from runner.actors import run_step

    with transaction.atomic():
        job = PipelineJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_terminal:
            return
        steps = {step.name: step for step in job.steps.select_for_update()}
        spec = job.pipeline_spec()

        if job.status == JobStatus.CANCEL_REQUESTED:
            for step in steps.values():
                step.transition(STEP_WAITING, StepStatus.CANCELED, status_reason="the job was canceled")
            _finish_job(job, steps)
            return

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
                step.transition(
                    (StepStatus.NOT_STARTED,),
                    StepStatus.SKIPPED if spec.settings.continue_on_step_failure else StepStatus.CANCELED,
                    status_reason=f"upstream step {blocked[0].name} is {blocked[0].status}",
                )
                continue
            if any_failed and not spec.settings.continue_on_step_failure:
                step.transition(
                    (StepStatus.NOT_STARTED,), StepStatus.CANCELED, status_reason="another step failed"
                )
                continue
            if not all(u.status == StepStatus.COMPLETED for u in upstream):
                continue
            parts = reuse_parts(step_spec, input_hashes(step_spec, steps))
            key = reuse_key(parts)
            reason = why_not_reusable(step_spec, job_force_rerun=spec.settings.force_rerun)
            original = None if reason else find_reusable(key, exclude_job_id=job.pk)
            if original is not None:
                step.transition(
                    (StepStatus.NOT_STARTED,),
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
            if step.transition(
                (StepStatus.NOT_STARTED,),
                StepStatus.QUEUED,
                reuse_key=key,
                reuse_parts=parts,
                reuse_note=note,
            ):
                transaction.on_commit(partial(run_step.send, step.pk))
        if any(step.status in STEP_ACTIVE or step.status in STEP_WAITING for step in steps.values()):
            return
        _finish_job(job, steps)
