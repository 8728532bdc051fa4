"""Finding and checking computes: `local` always, `docker` when an engine answers."""

from __future__ import annotations

import logging
import os

from django.conf import settings

from studio.choices import ComputeKind, ComputeState
from studio.models import Compute

logger = logging.getLogger(__name__)


def probe_compute(compute: Compute) -> tuple[str, str]:
    """Return the state of a compute and a line saying why."""
    if compute.state == ComputeState.DRAINING:
        return ComputeState.DRAINING, compute.state_detail
    if compute.kind == ComputeKind.LOCAL:
        return ComputeState.ONLINE, f"{os.cpu_count()} CPUs on the studio host"
    from runner.executors import docker as docker_executor

    url = compute.engine_url or settings.STUDIO_DOCKER_URL or None
    try:
        info = docker_executor.engine_info(url)
    except docker_executor.DockerUnavailable as error:
        return ComputeState.OFFLINE, str(error)
    return ComputeState.ONLINE, f"Docker {info.get('server_version', '?')}, {info.get('ncpu', '?')} CPUs"


def register_available_computes() -> list[Compute]:
    """Register `local`, and `docker` when an engine answers; refresh the state of both."""
    found: list[Compute] = []
    local, _ = Compute.objects.get_or_create(
        name="local",
        defaults={
            "kind": ComputeKind.LOCAL,
            "description": "Processes on the studio host, in a virtualenv per environment.",
            "max_concurrent_steps": max(1, (os.cpu_count() or 2) // 2),
            "cpus": float(os.cpu_count() or 1),
            "discovered": True,
        },
    )
    local.record_health(*probe_compute(local))
    found.append(local)

    from runner.executors import docker as docker_executor

    url = settings.STUDIO_DOCKER_URL or None
    existing = Compute.objects.filter(name="docker").first()
    if existing is None and not docker_executor.engine_answers(url):
        logger.info(
            "no Docker engine answers%s; only the local compute is registered", f" at {url}" if url else ""
        )
        return found
    if existing is None:
        info = docker_executor.engine_info(url)
        existing = Compute.objects.create(
            name="docker",
            kind=ComputeKind.DOCKER,
            description="Containers on the Docker engine of the studio host.",
            engine_url=url or "",
            max_concurrent_steps=max(1, int(info.get("ncpu") or 2)),
            cpus=float(info.get("ncpu") or 0) or None,
            memory_mb=int((info.get("mem_total") or 0) // (1024 * 1024)) or None,
            discovered=True,
        )
    existing.record_health(*probe_compute(existing))
    found.append(existing)
    return found
