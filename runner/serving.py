"""Which computes this process serves: every one (`studio up`, tests), the ones named with
`studio worker --compute`, or the ones found reachable from this host (`studio worker` alone).

A `local` compute runs plain processes on one machine: the first worker that serves it records
its host (`LocalComputeHost`), and a worker on any other host never serves it. A Docker compute is
served by a worker whose host reaches its engine.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction

from runner.heartbeat import WORKER_HOST
from runner.models import StepRun
from runner.worker_models import LocalComputeHost
from studio.choices import ComputeKind
from studio.models import Compute

logger = logging.getLogger(__name__)

EVERY = "every"
NAMED = "named"
REACHABLE = "reachable"
# How many jobs `serves_job` remembers as served (oldest forgotten first).
JOBS_SERVED_KEPT = 1000


class ServingError(Exception):
    """A worker was asked to serve computes it cannot: the message says which and why."""


def local_host_of(compute: Compute, *, claim: bool = True) -> str | None:
    """The host of a local compute; with `claim`, this host when none is recorded yet."""
    row = LocalComputeHost.objects.filter(compute=compute).values_list("host", flat=True).first()
    if row is not None or not claim:
        return row
    try:
        with transaction.atomic():
            LocalComputeHost.objects.create(compute=compute, host=WORKER_HOST)
        logger.info("the local compute %s belongs to this host (%s) from now on", compute.name, WORKER_HOST)
        return WORKER_HOST
    except IntegrityError:  # another worker recorded it first
        return LocalComputeHost.objects.filter(compute=compute).values_list("host", flat=True).first()


def engine_reachable(compute: Compute) -> bool:
    """Whether this host reaches the compute's Docker engine now."""
    from runner.executors import docker as docker_executor

    try:
        return bool(docker_executor.engine_answers(compute.engine_url or settings.STUDIO_DOCKER_URL or None))
    except Exception:  # an engine URL this host cannot even parse is not reachable from it
        logger.debug("engine of %s not reachable", compute.name, exc_info=True)
        return False


@dataclass
class Serving:
    """The computes whose steps this process takes; `mode` is EVERY, NAMED or REACHABLE."""

    mode: str = EVERY
    requested: tuple[str, ...] = ()
    names: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _jobs_served: dict[int, None] = field(default_factory=dict, repr=False, compare=False)

    def serves(self, compute: Compute | None) -> bool:
        """Whether a step of `compute` may run in this process."""
        if compute is None:
            return False
        if self.mode == EVERY:
            return compute.kind != ComputeKind.LOCAL or local_host_of(compute) == WORKER_HOST
        with self.lock:
            return compute.name in self.names

    def served(self) -> list[str]:
        """The names of the computes served now (every compute's, in mode EVERY)."""
        with self.lock:
            return sorted(self.names)

    def refresh(self) -> set[str]:
        """Look at the registered computes again; returns the names served from now on.

        Names are only added: an engine down for a moment does not take its compute away from a
        worker (a restarted worker looks afresh)."""
        if self.mode == NAMED:
            found = set(self._named())
        else:
            found = set()
            for compute in Compute.objects.all():
                if compute.kind == ComputeKind.LOCAL:
                    if local_host_of(compute) == WORKER_HOST:
                        found.add(compute.name)
                elif self.mode == EVERY or engine_reachable(compute):
                    found.add(compute.name)
        with self.lock:
            added = found - self.names
            self.names |= found
        return added

    def serves_job(self, job_id: int) -> bool:
        """Whether every step of the job is on a compute served here (a step thread then may run
        the job's next step itself, without the broker's round trip)."""
        if self.mode == EVERY:
            return True
        with self.lock:
            if job_id in self._jobs_served:
                return True  # a job's steps never change computes, and served names only grow
        wanted = set(StepRun.objects.filter(job_id=job_id).values_list("compute__name", flat=True).distinct())
        with self.lock:
            served = wanted <= self.names
            if served:
                self._jobs_served[job_id] = None
                while len(self._jobs_served) > JOBS_SERVED_KEPT:
                    self._jobs_served.pop(next(iter(self._jobs_served)))
            return served

    def _named(self) -> list[str]:
        computes = {c.name: c for c in Compute.objects.filter(name__in=self.requested)}
        missing = [name for name in self.requested if name not in computes]
        if missing:
            known = ", ".join(Compute.objects.values_list("name", flat=True)) or "none yet"
            raise ServingError(f"no compute {', '.join(missing)} (registered: {known})")
        for compute in computes.values():
            if compute.kind != ComputeKind.LOCAL:
                continue
            host = local_host_of(compute)
            if host != WORKER_HOST:
                raise ServingError(
                    f"the local compute {compute.name} belongs to the host {host}, not {WORKER_HOST}: "
                    "its steps run as processes there; run this worker on that host, or register "
                    "a local compute of this host (studio compute create NAME --kind local)"
                )
        return list(self.requested)


_current = Serving()


def current() -> Serving:
    """What this process serves (every compute unless a worker was started otherwise)."""
    return _current


def start_serving(computes: list[str] | None) -> Serving:
    """Serve the computes named, or when None those reachable from this host; raises ServingError."""
    global _current
    if computes is not None:
        serving = Serving(mode=NAMED, requested=tuple(dict.fromkeys(computes)))
    else:
        serving = Serving(mode=REACHABLE)
    serving.refresh()
    _current = serving
    return serving


def serve_every_compute() -> Serving:
    """Serve every compute (`studio up`, the in-process worker of tests)."""
    global _current
    serving = Serving(mode=EVERY)
    serving.refresh()
    _current = serving
    return serving
