"""Who goes first when steps wait for a slot: job priority, then submission order, within each
user's quota of running steps.

A queued step takes a free slot of its compute only if no queued step ahead of it on that compute
could take the slot now: ahead means a job of higher priority, or of the same priority submitted
earlier (then the job's own step order). A step ahead that cannot start anyway (its user is at
STUDIO_USER_MAX_RUNNING_STEPS, it waits for GPUs that are busy, or for its retry's backoff) does
not hold the others back. Both checks run in the claim's transaction (`runner.slots.take_slot`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from runner.choices import STEP_ACTIVE, JobStatus, StepStatus
from runner.models import StepRun
from studio.models import Compute

# How many steps ahead are looked at before a step that cannot start is let pass them all.
LOOK_AHEAD = 20
MIN_PRIORITY, MAX_PRIORITY = -100, 100
# The order of a compute's queue: priority, then submission order, then the job's step order.
QUEUE_ORDER = ("-job__priority", "job__created_at", "job_id", "pk")


def running_steps_of(user_id: int) -> int:
    """How many steps of the user's jobs hold a slot (Preparing or Running), on every compute."""
    return StepRun.objects.filter(job__created_by_id=user_id, status__in=STEP_ACTIVE).count()


def quota_reason(user_id: int | None, *, lock: bool = False) -> str | None:
    """Why a step of this user's job must wait for the user's quota, or None when it may start.

    `lock`: lock the user's row first (PostgreSQL), so two computes claiming for the same user at
    once count one after the other and never both take the last place."""
    limit = settings.STUDIO_USER_MAX_RUNNING_STEPS
    if not limit or user_id is None:
        return None
    if lock and connection.features.has_select_for_update:
        get_user_model().objects.select_for_update().filter(pk=user_id).values_list("pk").first()
    running = running_steps_of(user_id)
    if running >= limit:
        return f"its user runs {running} steps, the limit (STUDIO_USER_MAX_RUNNING_STEPS={limit})"
    return None


def _ahead_of(step: StepRun) -> Q:
    job = step.job
    return (
        Q(job__priority__gt=job.priority)
        | Q(job__priority=job.priority, job__created_at__lt=job.created_at)
        | Q(job__priority=job.priority, job__created_at=job.created_at, job_id__lt=job.pk)
        | Q(job_id=job.pk, pk__lt=step.pk)
    )


def _may_try_now() -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now())


def first_waiting(compute_id: int) -> int | None:
    """The id of the compute's queued step that comes first (priority, then submission order, then
    the job's step order) and whose retry backoff is over, or None. One query."""
    waiting = (
        StepRun.objects.filter(compute_id=compute_id, status=StepStatus.QUEUED)
        .filter(_may_try_now())
        .exclude(job__status=JobStatus.CANCEL_REQUESTED)
        .order_by(*QUEUE_ORDER)
    )
    return waiting.values_list("pk", flat=True).first()


def first_ahead(step: StepRun, compute: Compute, *, free_gpus: int, gpus_of) -> StepRun | None:
    """The first queued step of the compute that comes before `step` and could start now, or None.

    `gpus_of(step)`: how many GPUs a step asks for; `free_gpus`: how many are free now."""
    candidates = (
        StepRun.objects.filter(compute=compute, status=StepStatus.QUEUED)
        .filter(_ahead_of(step))
        .filter(_may_try_now())
        .exclude(job__status=JobStatus.CANCEL_REQUESTED)
        .select_related("job")
        .defer("job__spec")  # loaded (once per process) only for a step whose GPUs count
        .order_by(*QUEUE_ORDER)[:LOOK_AHEAD]
    )
    at_quota: dict[int | None, bool] = {}
    for other in candidates:
        user_id = other.job.created_by_id
        if user_id not in at_quota:
            at_quota[user_id] = quota_reason(user_id) is not None
        if at_quota[user_id]:
            continue
        if compute.gpu_ids:
            need = gpus_of(other)
            if need > free_gpus:
                continue  # waits for GPUs (or asks for more than the compute has: it fails)
        return other
    return None
