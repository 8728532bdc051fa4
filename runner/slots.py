"""Claiming a slot for a step: Queued -> Preparing on its compute, within its capacity and GPUs.

A step thread claims its step (`claim`) before running an attempt; a scheduler pass claims the
next step of a chain for the thread that just finished one (`take_slot`, in the pass's
transaction). Both sit below the scheduler and the step runner, which use them.
"""

from __future__ import annotations

from functools import partial

from django.db import connection, transaction
from django.utils import timezone

from runner import messages
from runner.choices import STEP_ACTIVE, JobStatus, StepStatus
from runner.heartbeat import WORKER_ID
from runner.models import PipelineJob, StepRun
from studio.choices import ComputeState
from studio.models import Compute


class Later(Exception):
    """Raised when a step cannot take a slot yet (its compute is full, draining, or GPUs are busy)."""


def claim(step_id: int, *, check_first: bool = True) -> StepRun | None:
    """Take a slot on the step's compute: Queued -> Preparing. None when there is nothing to do.

    `check_first`: look without a lock first (a message that arrives after a step thread took
    its step, or a duplicate, costs one read, not a write transaction).
    """
    if check_first and not StepRun.objects.filter(pk=step_id, status=StepStatus.QUEUED).exists():
        return None
    with transaction.atomic():
        if connection.features.has_select_for_update:
            # The job's row before the step's, in the order a scheduler pass takes them: taking
            # both in one statement could deadlock with a pass holding the job.
            job_id = StepRun.objects.filter(pk=step_id).values_list("job_id", flat=True).first()
            PipelineJob.objects.select_for_update().filter(pk=job_id).values_list("pk").first()
        steps = StepRun.objects.select_for_update(of=("self",)).select_related("job", "environment")
        step = steps.filter(pk=step_id).first()
        if step is None or step.status != StepStatus.QUEUED:
            return None
        if step.job.status == JobStatus.CANCEL_REQUESTED:
            step.transition((StepStatus.QUEUED,), StepStatus.CANCELED, status_reason="the job was canceled")
            transaction.on_commit(partial(messages.advance_job, step.job_id))
            return None
        return take_slot(step)


def take_slot(step: StepRun) -> StepRun | None:
    """Queued -> Preparing on a free slot of the step's compute, in the caller's transaction.

    The step's row is locked by the caller and its job (not cancel-requested) and environment
    are loaded. Raises Later before writing anything when it must wait; None when it did not move.
    """
    if step.next_attempt_at and step.next_attempt_at > timezone.now():
        raise Later("waiting before the next attempt")
    compute = Compute.objects.select_for_update().get(pk=step.compute_id)
    step.compute = compute  # the step as run() needs it: job, compute and environment loaded
    if compute.state == ComputeState.DRAINING:
        raise Later(f"{compute.name} is draining")
    active = list(
        StepRun.objects.filter(compute=compute, status__in=STEP_ACTIVE).values_list("gpu_ids", flat=True)
    )
    if len(active) >= compute.max_concurrent_steps:
        raise Later(f"{compute.name} runs {len(active)} steps, its limit")
    resources = step.job.pipeline_spec().steps[step.name].effective_resources()
    wanted = int(resources.get("gpus") or 0)
    gpu_ids: list[str] = []
    if wanted:
        busy = {gpu for ids in active for gpu in ids}
        free = [str(gpu) for gpu in compute.gpu_ids if str(gpu) not in busy]
        if len(compute.gpu_ids) < wanted:
            step.transition(
                (StepStatus.QUEUED,),
                StepStatus.FAILED,
                status_reason=f"needs {wanted} GPUs; {compute.name} has {len(compute.gpu_ids)}",
            )
            transaction.on_commit(partial(messages.advance_job, step.job_id))
            return None
        if len(free) < wanted:
            raise Later(f"waiting for {wanted} free GPUs on {compute.name}")
        gpu_ids = free[:wanted]
    moved = step.transition(
        (StepStatus.QUEUED,),
        StepStatus.PREPARING,
        attempt=step.attempt + 1,
        worker_id=WORKER_ID,
        heartbeat_at=timezone.now(),
        gpu_ids=gpu_ids,
        exit_code=None,
        container_id="",
        process_id=None,
        next_attempt_at=None,
    )
    return step if moved else None
