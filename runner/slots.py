"""Claiming a slot for a step: Queued -> Preparing on its compute, within its capacity, its GPUs
(leased per device of the engine, `runner.gpu_leases`), its user's quota and its place in the
queue (`runner.fairness`).

A step thread claims its step (`claim`) before running an attempt; a scheduler pass claims the
next step of a chain for the thread that just finished one (`take_slot`, in the pass's
transaction). Both sit below the scheduler and the step runner, which use them.
"""

from __future__ import annotations

from functools import partial

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from runner import fairness, gpu_leases, messages
from runner.choices import STEP_ACTIVE, JobStatus, StepStatus
from runner.heartbeat import WORKER_ID
from runner.models import PipelineJob, StepRun
from studio.choices import ComputeState
from studio.models import Compute


class Later(Exception):
    """Raised when a step cannot take a slot yet (its compute is full or draining, its GPUs are busy,
    its user is at their quota, or a step ahead of it comes first). `compute`: the name of the
    step's compute when known (its message goes back to that compute's queue). `handed_over`: the
    compute is full and steps of the step's own job hold slots of it: the one of them that ends
    first hands its slot over to the job's next waiting step (`scheduler._take_waiting`), or wakes
    the compute's first waiting step (`wake_next`), so the message need only come back late, in
    case both are lost."""

    def __init__(self, reason: str, *, compute: str | None = None, handed_over: bool = False) -> None:
        super().__init__(reason)
        self.compute = compute
        self.handed_over = handed_over


def look(step_id: int) -> bool:
    """Whether the step still waits for a slot (Queued), from reads without a lock; raises Later
    when its compute is full. A message that arrives after a step thread took its step, or a
    duplicate, costs one read; one of a step waiting behind a full compute, two, and no write
    transaction (SQLite's one write lock). The locked check of `claim` decides; a stale read
    costs one more wait at most."""
    waiting = StepRun.objects.filter(pk=step_id, status=StepStatus.QUEUED)
    columns = ("compute_id", "compute__name", "compute__max_concurrent_steps", "job_id", "job__status")
    row = waiting.values_list(*columns).first()
    if row is None:
        return False
    compute_id, name, limit, job_id, job_status = row
    if job_status != JobStatus.CANCEL_REQUESTED and limit is not None:
        active = StepRun.objects.filter(compute_id=compute_id, status__in=STEP_ACTIVE)
        counts = active.aggregate(running=Count("pk"), own=Count("pk", filter=Q(job_id=job_id)))
        if counts["running"] >= limit:
            raise Later(
                f"its compute runs {counts['running']} steps, its limit",
                compute=name,
                handed_over=counts["own"] > 0,
            )
    return True


def claim(step_id: int, *, check_first: bool = True) -> StepRun | None:
    """Take a slot on the step's compute: Queued -> Preparing. None when there is nothing to do.

    `check_first`: `look` first (reads without a lock).
    """
    if check_first and not look(step_id):
        return None
    with transaction.atomic():
        if connection.features.has_select_for_update:
            # The job's row before the step's, in the order a scheduler pass takes them: taking
            # both in one statement could deadlock with a pass holding the job.
            job_id = StepRun.objects.filter(pk=step_id).values_list("job_id", flat=True).first()
            PipelineJob.objects.select_for_update().filter(pk=job_id).values_list("pk").first()
        steps = StepRun.objects.select_for_update(of=("self",)).select_related("job", "environment")
        # The job's spec is read through pipeline_spec(), validated once per process: decoding a
        # 1,000-step job's JSON at every claim was 17 % of a big fan-out's samples.
        steps = steps.defer("job__spec")
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
    running = StepRun.objects.filter(compute=compute, status__in=STEP_ACTIVE).count()
    if running >= compute.max_concurrent_steps:
        raise Later(f"{compute.name} runs {running} steps, its limit")
    wanted = gpu_leases.wanted(step)
    if wanted > len(compute.gpu_ids):  # refused at submit; the compute may have changed since
        step.transition(
            (StepStatus.QUEUED,),
            StepStatus.FAILED,
            status_reason=f"needs {wanted} GPUs; {compute.name} has {len(compute.gpu_ids)}",
        )
        transaction.on_commit(partial(messages.advance_job, step.job_id))
        return None
    waiting = fairness.quota_reason(step.job.created_by_id, lock=True)
    if waiting:
        raise Later(waiting)
    free = len(gpu_leases.free_devices(compute)) if compute.gpu_ids else 0
    if wanted > free:
        raise Later(f"waiting for {wanted} free GPUs on {compute.name}")
    ahead = fairness.first_ahead(step, compute, free_gpus=free, gpus_of=gpu_leases.wanted)
    if ahead is not None:
        # Its message may be waiting out a delay (or be lost with a killed worker): wake it now,
        # not on commit (raising Later rolls the claim's transaction back).
        messages.run_step(ahead.pk, waited=messages.WAKE_UP)
        raise Later(f"{ahead} comes first on {compute.name} (priority, then submission order)")
    gpu_ids: list[str] = []
    if wanted:
        gpu_ids = gpu_leases.take(step, compute, wanted, attempt=step.attempt + 1)
        if gpu_ids is None:
            raise Later(f"waiting for {wanted} free GPUs on {compute.name}")
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
    if not moved and gpu_ids:
        gpu_leases.release(step.pk)
    return step if moved else None


def wake_next(compute_id: int | None) -> None:
    """Wake the first step waiting for a slot of this compute (priority, then submission order)
    right away, instead of when its message's delay is over: called once a step has freed a slot
    that its own step thread did not take again. A wake-up that finds no slot does nothing."""
    if compute_id is None:
        return
    first = fairness.first_waiting(compute_id)
    if first is not None:
        messages.run_step(first, waited=messages.WAKE_UP)
