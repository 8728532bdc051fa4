"""GPU leases: each GPU of an engine is held by at most one attempt of one step, in the database.

A lease is a `GpuLease` row per (engine identity, device id), unique: two computes registered on
the same engine (or a `local` and a unix-socket `docker` compute of one host) share one pool of
devices, and the unique constraint, not a lock of either compute, is what makes a lease exclusive.
An engine has several identities (`engine_keys`): its `docker info` ID once a check recorded it,
its normalised address, and for a local engine its host; a lease is written under each, so two
computes that know the same engine by different names still collide on at least one.

Leases are taken with the slot (`take`, in the claim's transaction) and freed whenever the step
leaves Preparing/Running (`release_on_end`, on every `StepRun.transition`: completed, failed,
canceled, retried after a lost attempt, in the same transaction), and with the step when its job
is deleted. A lease whose step is no longer active on its attempt is stale whatever the path
that left it, and is dropped before the next one is taken.
"""

from __future__ import annotations

import os
import socket

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from runner.choices import STEP_ACTIVE
from runner.models import GpuLease, StepRun
from studio.choices import ComputeKind
from studio.models import Compute

DEFAULT_ENGINE = "unix:///var/run/docker.sock"


def engine_keys(compute: Compute) -> list[str]:
    """The identities of the machine whose GPUs the compute hands out (the first is shown)."""
    host = socket.gethostname()
    if compute.kind == ComputeKind.LOCAL:
        return [f"host:{host}"]
    url = compute.engine_url or settings.STUDIO_DOCKER_URL or os.environ.get("DOCKER_HOST") or DEFAULT_ENGINE
    scheme, _, rest = url.strip().partition("://")
    scheme = {"http": "tcp", "https": "tcp"}.get(scheme.lower(), scheme.lower())
    keys = []
    engine_id = (compute.engine_info or {}).get("id")
    if engine_id:
        keys.append(f"engine:{engine_id}")
    if scheme == "unix":  # an engine on the worker's own host: its GPUs are the host's
        keys += [f"unix://{os.path.normpath(rest)}@{host}", f"host:{host}"]
    else:
        keys.append(f"{scheme}://{rest.rstrip('/').lower()}")
    return keys


def wanted(step: StepRun) -> int:
    """How many GPUs the step asks for (`resources.gpus` of its component, or of the step)."""
    resources = step.job.pipeline_spec().steps[step.name].effective_resources()
    return int(resources.get("gpus") or 0)


def drop_stale(keys: list[str]) -> None:
    """Delete the leases on these engines whose attempt is over (the step ended or moved on)."""
    GpuLease.objects.filter(engine__in=keys).filter(
        ~Q(step__status__in=STEP_ACTIVE) | ~Q(attempt=F("step__attempt"))
    ).delete()


def busy_devices(keys: list[str]) -> set[str]:
    """Device ids leased on any of these engine identities."""
    return set(GpuLease.objects.filter(engine__in=keys).values_list("device", flat=True))


def free_devices(compute: Compute) -> list[str]:
    """The compute's GPU ids that nobody holds now, in the compute's order."""
    keys = engine_keys(compute)
    drop_stale(keys)
    busy = busy_devices(keys)
    return [str(gpu) for gpu in compute.gpu_ids if str(gpu) not in busy]


def take(step: StepRun, compute: Compute, count: int, *, attempt: int) -> list[str] | None:
    """Lease `count` free GPUs of the compute's engine for this attempt of the step, in the
    caller's transaction; None (nothing written) when fewer are free."""
    free = free_devices(compute)
    if len(free) < count:
        return None
    chosen = free[:count]
    keys = engine_keys(compute)
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves the claim's transaction usable
            GpuLease.objects.bulk_create(
                GpuLease(engine=key, device=device, step=step, attempt=attempt)
                for device in chosen
                for key in keys
            )
    except IntegrityError:
        return None  # another compute on the same engine took one of them first
    return chosen


def release(step_id: int) -> int:
    """Free every GPU the step holds; how many lease rows were deleted."""
    deleted, _ = GpuLease.objects.filter(step_id=step_id).delete()
    return deleted


def release_on_end(sender, step: StepRun, **kwargs) -> None:
    """`step_status_changed` receiver: a step that left Preparing/Running holds no GPU any more
    (connected in `runner.apps`; it runs inside the transition's transaction)."""
    # A step's GPU ids are written with its leases, in the claim's transaction: a step that took
    # none holds none (a statement saved at every step end; drop_stale sweeps any left behind).
    if step.status not in STEP_ACTIVE and step.gpu_ids:
        release(step.pk)


def holders(compute: Compute) -> list[dict]:
    """Each GPU id of the compute with the step holding it (on this compute or another one on the
    same engine), for the compute's page."""
    keys = engine_keys(compute)
    leases = (
        GpuLease.objects.filter(engine__in=keys, step__status__in=STEP_ACTIVE, attempt=F("step__attempt"))
        .select_related("step__job", "step__compute")
        .defer("step__job__spec")
    )
    by_device = {lease.device: lease for lease in leases}
    rows = []
    for gpu in compute.gpu_ids:
        lease = by_device.get(str(gpu))
        rows.append({"device": str(gpu), "lease": lease})
    return rows
