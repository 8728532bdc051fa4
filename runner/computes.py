"""Finding and checking computes: `local` always, `docker` when an engine answers."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from django.conf import settings

from studio.choices import ComputeKind, ComputeState
from studio.models import Compute

logger = logging.getLogger(__name__)


def probe_compute(compute: Compute) -> tuple[str, str, dict]:
    """Return the state of a compute, a line saying why, and what its engine reported."""
    if compute.kind == ComputeKind.LOCAL:
        cpus = os.cpu_count() or 1
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
        info = {"ncpu": cpus, "mem_total": memory, "server_version": None}
        return ComputeState.ONLINE, f"{cpus} CPUs on the studio host", info
    from runner.executors import docker as docker_executor

    url = compute.engine_url or settings.STUDIO_DOCKER_URL or None
    try:
        info = docker_executor.engine_info(url)
    except docker_executor.DockerUnavailable as error:
        return ComputeState.OFFLINE, str(error), {}
    detail = f"Docker {info.get('server_version', '?')}, {info.get('ncpu', '?')} CPUs"
    return ComputeState.ONLINE, detail, info


def check_compute_now(compute: Compute) -> Compute:
    """Probe a compute and record the result."""
    compute.record_health(*probe_compute(compute))
    return compute


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
    check_compute_now(local)
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
    check_compute_now(existing)
    found.append(existing)
    return found


@dataclass(frozen=True)
class CheckRequest:
    """What asking for a health check did: `checked` here (embedded: the result is recorded), or
    sent to the live `workers` serving the compute (ids, and their `hosts`), or nothing when no
    worker serves it."""

    compute: Compute
    checked: bool = False
    workers: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()

    @property
    def requested(self) -> bool:
        """Whether a worker was asked (its answer lands in the compute's state later)."""
        return bool(self.workers)

    @property
    def message(self) -> str:
        """One line for the page, the API and the CLI."""
        name = self.compute.name
        if self.checked:
            detail = f": {self.compute.state_detail}" if self.compute.state_detail else ""
            return f"Checked {name}: {self.compute.get_state_display()}{detail}"
        if self.workers:
            where = ", ".join(sorted(set(self.hosts)))
            return f"Check of {name} requested from its worker on {where}; its state changes when it answers"
        return no_worker_line(name)


def no_worker_line(name: str) -> str:
    """Why a compute cannot be checked now, and what to do."""
    return f"No worker serves {name}: start `studio worker --compute {name}`"


def request_check(compute: Compute) -> CheckRequest:
    """Have `compute` checked where its engine is reached from.

    Embedded (`studio up` without Redis: this process is the worker of every compute) the check
    runs here. Otherwise it goes to the compute's check queue, which only the workers serving the
    compute consume (`runner.queues`), and this process never probes the engine itself: a web
    process without a Docker socket, or a host that cannot reach the engine, would record a false
    Offline. With no live worker serving it nothing is sent and the state stays as it was.
    """
    from runner import broker, messages, presence

    if broker.is_embedded():
        return CheckRequest(check_compute_now(compute), checked=True)
    workers = [worker for worker in presence.workers_of(compute) if not worker.stopping]
    if not workers:
        return CheckRequest(compute)
    messages.check_compute(compute)
    return CheckRequest(
        compute,
        workers=tuple(worker.worker_id for worker in workers),
        hosts=tuple(worker.host for worker in workers),
    )
