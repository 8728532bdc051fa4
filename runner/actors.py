"""Dramatiq actors: each takes ids, loads, calls the real code, returns. Idempotent."""

from __future__ import annotations

import dramatiq

from studio.models import Compute


@dramatiq.actor(queue_name="studio", max_retries=0)
def check_compute(compute_id: int) -> None:
    """Record whether a compute answers; the runner's health checks call this periodically."""
    from runner.computes import check_compute_now

    compute = Compute.objects.filter(pk=compute_id).first()
    if compute is None:
        return
    check_compute_now(compute)
