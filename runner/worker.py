"""The job worker: control threads, step threads, the reconciler and the announcement, in whatever
process hosts them.

`studio up` runs it inside the web process and serves every compute; `studio worker` runs it alone
against Redis and serves the computes it is given (`--compute`) or those reachable from its host.
Step threads consume only the queues of the computes served (`runner.queues`); control messages
have threads of their own and are never stuck behind a long step.

A clean stop (SIGTERM) takes no new messages, lets running steps finish for
STUDIO_WORKER_STOP_GRACE_SECONDS, then hands back the steps still held: they are marked as lost
at once, and the reconciler of another worker serving their compute adopts their container or
retries them (`runner.reconciler.recover_step`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import dramatiq
from django.conf import settings
from django.utils import timezone
from dramatiq.common import dq_name, q_name

from runner import broker, messages, presence
from runner.choices import STEP_ACTIVE
from runner.heartbeat import WORKER_ID, heartbeat_timeout
from runner.models import StepRun
from runner.queues import (
    CONTROL_QUEUE,
    check_queue,
    compute_of_check_queue,
    compute_of_queue,
    is_step_queue,
    step_queue,
)
from runner.reconciler import ReconcilerThread
from runner.serving import EVERY, Serving, serve_every_compute, start_serving
from studio.models import Compute

logger = logging.getLogger(__name__)


class ServingWorker(broker.StoppableWorker):
    """Dramatiq worker threads whose queues follow the computes `serving` serves: `wants` says
    which queue is theirs, `queue_of` names a compute's queue, `with_delay_queue` whether it has one."""

    with_delay_queue = False

    def __init__(self, broker_: dramatiq.Broker, *, serving: Serving, **options) -> None:
        super().__init__(broker_, **options)
        self.serving = serving
        self.consumer_whitelist = None  # `wants` decides, and its answer grows with `serving`

    def wants(self, queue_name: str) -> bool:
        """Whether this worker consumes `queue_name` (or its delay queue); a stopped one none."""
        return not self.stopped and self.wants_queue(q_name(queue_name))

    def wants_queue(self, name: str) -> bool:
        raise NotImplementedError

    def queue_of(self, compute: str) -> str:
        raise NotImplementedError

    def _add_consumer(self, queue_name: str, *, delay: bool = False) -> None:
        if self.wants(queue_name):
            super()._add_consumer(queue_name, delay=delay)

    def serve(self, names: set[str]) -> None:
        """Consume the queues of the computes `names` (already added to `serving`)."""
        declared = self.broker.get_declared_queues()
        for name in sorted(names):
            queue = self.queue_of(name)
            if queue in declared:  # declared before it was served (a message sent from here)
                self._add_consumer(queue)
                if self.with_delay_queue:
                    self._add_consumer(dq_name(queue), delay=True)
            else:
                self.broker.declare_queue(queue)


class StepWorker(ServingWorker):
    """Step threads: the step queues of the computes `serving` serves."""

    with_delay_queue = True

    def wants_queue(self, name: str) -> bool:
        if self.serving.mode == EVERY:
            return is_step_queue(name)
        return compute_of_queue(name) in self.serving.served()

    def queue_of(self, compute: str) -> str:
        return step_queue(compute)


class ControlWorker(ServingWorker):
    """Control threads: the control queue, and the health-check queues of the computes `serving`
    serves (a check runs where the compute's engine is reached from, `runner.computes`)."""

    def wants_queue(self, name: str) -> bool:
        return name == CONTROL_QUEUE or compute_of_check_queue(name) in self.serving.served()

    def queue_of(self, compute: str) -> str:
        return check_queue(compute)


@dataclass
class WorkerGroup:
    """The running parts of a job worker."""

    control: dramatiq.Worker
    steps: StepWorker
    reconciler: ReconcilerThread | None
    announcer: presence.Announcer | None = None

    @property
    def worker_threads(self) -> int:
        """All worker threads together."""
        return self.control.worker_threads + self.steps.worker_threads

    @property
    def serving(self) -> Serving:
        """The computes whose steps this worker takes."""
        return self.steps.serving

    def stop(self, timeout: int = 10_000) -> int:
        """Stop taking messages, let running steps finish for up to `timeout` ms (`studio worker`:
        STUDIO_WORKER_STOP_GRACE_SECONDS), hand back the others; returns how many were handed back."""
        grace_seconds = timeout / 1000
        self.steps.stopped = True  # no new queues from now on
        if self.reconciler is not None:
            self.reconciler.stop()
        if self.announcer is not None:
            self.announcer.stop()
            _quietly(presence.announce, self.serving, threads=self.steps.worker_threads, stopping=True)
        for thread in self.steps.workers:
            thread.stop()  # each ends after its current message; `_worker_stopping` ends handoffs;
            # messages fetched meanwhile go back to the broker in `steps.stop` below
        deadline = time.monotonic() + grace_seconds
        for thread in self.steps.workers:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        handed_back = 0
        try:
            handed_back = hand_back_steps()
        except Exception:
            logger.warning("stopping: handing back steps failed; the reconciler finds them", exc_info=True)
        self.control.stop(timeout=timeout)
        self.steps.stop(timeout=1000)  # its threads still running hold handed-back steps only
        if handed_back:
            _quietly(messages.reconcile)  # another worker looks now, not at its next pass
        if self.announcer is not None:
            _quietly(presence.withdraw)
        return handed_back


def _quietly(call, *args, **kwargs) -> None:
    try:
        call(*args, **kwargs)
    except Exception:
        logger.warning("stopping: %s failed", getattr(call, "__name__", call), exc_info=True)


def hand_back_steps() -> int:
    """Give up the steps this worker still holds: their heartbeat is made stale and they no longer
    name this worker, so its beats stop renewing them and the next reconciler pass of a worker
    serving their compute adopts or retries them. Returns how many."""
    stale = timezone.now() - 2 * heartbeat_timeout() - timedelta(seconds=1)
    held = StepRun.objects.filter(worker_id=WORKER_ID, status__in=STEP_ACTIVE)
    names = list(held.values_list("job__name", "name"))
    count = held.update(worker_id=f"{WORKER_ID} (handed back)"[:100], heartbeat_at=stale)
    for job, step in names:
        logger.info("handed back %s/%s to the reconciler", job, step)
    return count


def check_served(names: set[str]) -> None:
    """Ask for a health check of each compute this worker starts serving: the state a web process
    or another host recorded is replaced by what this host sees."""
    for compute in Compute.objects.filter(name__in=names):
        _quietly(messages.check_compute, compute)


def start_workers(
    *,
    control_threads: int | None = None,
    step_threads: int | None = None,
    reconcile: bool = True,
    computes: list[str] | None = None,
    every_compute: bool = True,
    announce: bool = False,
) -> WorkerGroup:
    """Start control and step worker threads, the reconciler, and the announcement.

    `every_compute`: serve every compute (`studio up`); otherwise the `computes` named, or when
    None those reachable from this host (raises `runner.serving.ServingError` for a compute that
    does not exist or belongs to another host). `announce`: write and renew this worker's
    announcement (`runner.presence`).
    """
    serving = serve_every_compute() if every_compute else start_serving(computes)
    control = broker.start_worker(
        threads=control_threads or settings.STUDIO_WORKER_THREADS, worker_class=ControlWorker, serving=serving
    )
    steps = broker.start_worker(
        threads=step_threads or settings.STUDIO_STEP_THREADS, worker_class=StepWorker, serving=serving
    )

    def serve(names: set[str]) -> None:
        steps.serve(names)
        control.serve(names)
        if announce and not broker.is_embedded():
            check_served(names)

    logger.info("step threads serve %s", "every compute" if serving.mode == EVERY else serving.served())
    announcer = None
    if announce:
        presence.announce(serving, threads=steps.worker_threads)
        announcer = presence.Announcer(serving, threads=steps.worker_threads, on_change=serve)
        announcer.start()
    serve(set(serving.served()))
    reconciler = None
    if reconcile:
        reconciler = ReconcilerThread(interval=settings.STUDIO_RECONCILE_SECONDS)
        reconciler.start()
    return WorkerGroup(control, steps, reconciler, announcer)
