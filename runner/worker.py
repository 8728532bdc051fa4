"""The job worker: control threads, step threads and the reconciler, in whatever process hosts them.

`studio up` runs it inside the web process (in-process broker); `studio worker` runs it alone
against Redis. Step threads block for as long as their step runs, so control messages have
threads of their own and are never stuck behind a long step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import dramatiq
from django.conf import settings

from runner import broker
from runner.actors import CONTROL_QUEUE, STEPS_QUEUE
from runner.reconciler import ReconcilerThread

logger = logging.getLogger(__name__)


@dataclass
class WorkerGroup:
    """The running parts of a job worker."""

    control: dramatiq.Worker
    steps: dramatiq.Worker
    reconciler: ReconcilerThread | None

    @property
    def worker_threads(self) -> int:
        """All worker threads together."""
        return self.control.worker_threads + self.steps.worker_threads

    def stop(self, timeout: int = 10_000) -> None:
        """Stop taking messages and let current ones finish (up to `timeout` ms)."""
        if self.reconciler is not None:
            self.reconciler.stop()
        self.control.stop(timeout=timeout)
        self.steps.stop(timeout=timeout)


def start_workers(
    *, control_threads: int | None = None, step_threads: int | None = None, reconcile: bool = True
) -> WorkerGroup:
    """Start control and step worker threads, and the reconciler."""
    control = broker.start_worker(
        threads=control_threads or settings.STUDIO_WORKER_THREADS, queues={CONTROL_QUEUE}
    )
    steps = broker.start_worker(threads=step_threads or settings.STUDIO_STEP_THREADS, queues={STEPS_QUEUE})
    reconciler = None
    if reconcile:
        reconciler = ReconcilerThread(interval=settings.STUDIO_RECONCILE_SECONDS)
        reconciler.start()
    return WorkerGroup(control, steps, reconciler)
