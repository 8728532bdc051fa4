"""The reconciler: nothing stays Running forever, whatever died and whenever.

Steps whose worker stopped heartbeating are adopted (their container still runs: logs resume
after the last line recorded), collected (their container exited), or retried (it is gone).
Queued steps whose message was lost are sent again; jobs whose steps all ended are finished.
A worker recovers only the steps of computes it serves (`runner.serving`): another host's local
processes and engines it cannot reach are for their own workers.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from runner import messages, step_runner
from runner.choices import JOB_ACTIVE, STEP_ACTIVE, STEP_TERMINAL, StepStatus
from runner.executors.base import ExecutorError
from runner.heartbeat import WORKER_ID, heartbeat_timeout
from runner.logs import StepLog
from runner.models import PipelineJob, StepRun
from runner.serving import current as current_serving

logger = logging.getLogger(__name__)


def queued_stale_after() -> timedelta:
    """How long a Queued step waits before its message is sent again: twice the heartbeat timeout
    (60 s by default). A killed worker takes the messages it had fetched with it; sending one
    again is harmless (only one claim of a step succeeds)."""
    return 2 * heartbeat_timeout()


def _take_over(step: StepRun) -> bool:
    return bool(
        StepRun.objects.filter(pk=step.pk, status=step.status, heartbeat_at=step.heartbeat_at).update(
            worker_id=WORKER_ID, heartbeat_at=timezone.now()
        )
    )


def recover_step(step: StepRun) -> str:
    """Adopt, collect or retry a step whose worker died; returns what was done."""
    lost_worker = step.worker_id
    if not _take_over(step):
        return "taken by another worker"
    step.refresh_from_db()
    step.worker_id = lost_worker  # for the reason; the row already names this worker
    log = StepLog(step.job.name, step.name)
    # Read before any recovery note is written: the note's own time would hide the lines the
    # step printed while no worker watched.
    since = log.last_time
    spec = step.job.pipeline_spec().steps[step.name]
    executor, kind = step_runner.executor_for(
        step.compute, docker_enabled=step.environment.spec.get("docker_enabled", True)
    )
    handle = step.container_id if kind == "docker" else str(step.process_id or "")
    state = None
    if step.status == StepStatus.RUNNING and handle:
        try:
            state = executor.inspect(handle)
        except ExecutorError as error:
            log.note(f"recovery: cannot reach the step: {error}")
    outputs = {
        name: {"path": str(_output_path(step, name, port["type"])), "type": port["type"]}
        for name, port in spec.component.spec.get("outputs", {}).items()
    }
    if state is not None and state.state == "running":
        log.note("recovery: the worker running this step stopped; adopting its container")
        threading.Thread(
            target=_adopt, args=(step, executor, handle, log, outputs, since), daemon=True
        ).start()
        return "adopted"
    if state is not None and state.state == "exited":
        log.note(
            f"recovery: the step ended (exit code {state.exit_code}) while no worker watched; collecting"
        )
        _catch_up_logs(executor, handle, log, since)
        step_runner.complete_attempt(step, outputs, executor, handle, state.exit_code, "exited", log)
        return "collected"
    # A container the lost worker started but never recorded (it died between starting it and the
    # step reading Running), or one recorded and since stopped: removed before another attempt,
    # which would otherwise run beside it, writing the same output folders.
    _remove_step_containers(step, executor, kind, log)
    reason = _loss_reason(step, handle)
    limit = step.max_retries + settings.STUDIO_WORKER_LOSS_RETRIES
    if step.attempt > limit:
        log.note(f"recovery: {reason}; no attempts left ({step.attempt} made)")
        allowed = f"max_retries {step.max_retries} + STUDIO_WORKER_LOSS_RETRIES {limit - step.max_retries}"
        step_runner.finish(
            step, StepStatus.FAILED, status_reason=f"{reason}, {step.attempt} times; giving up ({allowed})"
        )
        return "failed"
    log.note(f"recovery: {reason}; retrying")
    step.max_retries = limit
    if not step_runner.retry_later(step, reason, log):
        step_runner.finish(step, StepStatus.FAILED, status_reason=f"{reason} and cannot be retried")
    return "retried"


def _remove_step_containers(step: StepRun, executor, kind: str, log: StepLog) -> None:
    if kind != "docker" or not hasattr(executor, "find_step_containers"):
        return
    from runner.executors.docker_step import LABEL_STEP

    try:
        for container_id, labels, state in executor.find_step_containers(step.job.name):
            if labels.get(LABEL_STEP) == step.name:
                executor.remove(container_id)
                log.note(f"recovery: removed the lost attempt's container {container_id[:12]} ({state})")
    except ExecutorError as error:
        log.note(f"recovery: could not remove the lost attempt's containers: {error}")


def sweep_containers() -> int:
    """Remove step containers that no attempt holds any more; returns how many.

    A container is stray when its step ended, a newer attempt of it started, or nobody holds the
    step (NotStarted, Queued): e.g. one started by a worker killed before it recorded the
    container, whose step was retried meanwhile. A container of a job this Studio does not know
    is left alone (another Studio may share the engine); so is one whose attempt is current and
    Preparing or Running (its worker, or the recovery of its step, decides).
    """
    from runner.executors.docker_step import LABEL_ATTEMPT, LABEL_JOB, LABEL_STEP
    from studio.choices import ComputeKind
    from studio.models import Compute

    serving = current_serving()
    urls = {
        compute.engine_url or settings.STUDIO_DOCKER_URL or ""
        for compute in Compute.objects.filter(kind=ComputeKind.DOCKER)
        if serving.serves(compute)
    }
    removed = 0
    for url in urls:
        executor = step_runner.docker_executor(url)
        try:
            found = executor.find_step_containers()
        except ExecutorError:
            continue  # an engine down now is looked at again next pass
        by_job: dict[str, list[tuple[str, dict[str, str]]]] = {}
        for container_id, labels, _state in found:
            by_job.setdefault(labels.get(LABEL_JOB, ""), []).append((container_id, labels))
        rows = StepRun.objects.filter(job__name__in=list(by_job)).values_list(
            "job__name", "name", "status", "attempt"
        )
        steps = {(job, name): (status, attempt) for job, name, status, attempt in rows}
        for job, containers in by_job.items():
            for container_id, labels in containers:
                row = steps.get((job, labels.get(LABEL_STEP, "")))
                if row is None:
                    continue
                status, attempt = row
                try:
                    labelled = int(labels.get(LABEL_ATTEMPT, "0"))
                except ValueError:
                    labelled = 0
                if status in STEP_ACTIVE and labelled >= attempt:
                    continue
                if status not in STEP_ACTIVE and status not in STEP_TERMINAL and labelled > attempt:
                    continue
                try:
                    executor.remove(container_id)
                except ExecutorError as error:
                    logger.warning("could not remove stray container %s: %s", container_id[:12], error)
                    continue
                removed += 1
                logger.info(
                    "reconciler: removed stray container %s of %s/%s (attempt %s; the step: %s, attempt %s)",
                    container_id[:12], job, labels.get(LABEL_STEP), labelled, status, attempt,
                )  # fmt: skip
    return removed


def _loss_reason(step: StepRun, handle: str) -> str:
    """What was lost, in the words of the phase the step was in when its worker stopped."""
    worker = step.worker_id or "a worker"
    if step.status == StepStatus.PREPARING:
        return (
            f"the worker preparing this step ({worker}) stopped while building its environment "
            "or staging its data"
        )
    if handle:
        return f"the worker running this step ({worker}) stopped and the step's container or process is gone"
    return f"the worker running this step ({worker}) stopped before it started the step"


def _output_path(step: StepRun, name: str, kind: str):
    from studio.storage.job_artifacts import step_output_path

    return step_output_path(step.job.name, step.name, name, kind=kind)


def _catch_up_logs(executor, handle: str, log: StepLog, since: float) -> None:
    follow = getattr(executor, "follow_logs_with_time", None)
    if follow is None:
        return
    try:
        follow(
            handle,
            lambda at, line: log.write(line, at=at) if round(at, 6) > since else None,
            since=since or None,
        )
    except ExecutorError as error:
        log.note(f"recovery: could not read the rest of the log: {error}")


def _adopt(step: StepRun, executor, handle: str, log: StepLog, outputs: dict, since: float) -> None:
    follow = None
    if hasattr(executor, "follow_logs_with_time"):
        # Resume after the last line recorded: no gap, no line twice.
        follow = partial(
            executor.follow_logs_with_time,
            handle,
            lambda at, line: log.write(line, at=at) if round(at, 6) > since else None,
            since=since or None,
        )
    timeout = step.job.pipeline_spec().steps[step.name].limits.timeout
    if timeout and step.started_at:
        timeout = max(1.0, timeout - (timezone.now() - step.started_at).total_seconds())
    try:
        with step_runner.keep_alive(step):
            code, outcome = step_runner.supervise(step, executor, handle, log, timeout=timeout, follow=follow)
            step_runner.complete_attempt(step, outputs, executor, handle, code, outcome, log)
    except Exception:
        logger.exception("adopting %s failed", step)


def reconcile() -> dict[str, int]:
    """One pass over everything that might be stuck; returns counts for logs and tests."""
    counts = {"adopted": 0, "collected": 0, "retried": 0, "failed": 0, "requeued": 0, "advanced": 0}
    now = timezone.now()
    stale_before = now - heartbeat_timeout()
    stale = StepRun.objects.filter(status__in=STEP_ACTIVE, heartbeat_at__lt=stale_before).select_related(
        "job", "compute", "environment"
    )
    serving = current_serving()
    for step in stale:
        if not serving.serves(step.compute):
            continue  # its engine (or, for a local compute, its host) is another worker's
        try:
            outcome = recover_step(step)
        except Exception:
            logger.exception("recovering %s failed", step)
            continue
        if outcome in counts:
            counts[outcome] += 1
    queued = StepRun.objects.filter(status=StepStatus.QUEUED, queued_at__lt=now - queued_stale_after())
    for step in queued:
        # A wake-up: a step whose message was lost gets a try at every pass; one whose message
        # is only waiting out its delay does not get a second message that polls as well.
        messages.run_step(step.pk, waited=messages.WAKE_UP)
        counts["requeued"] += 1
    for job_id in PipelineJob.objects.filter(status__in=JOB_ACTIVE).values_list("pk", flat=True):
        transaction.on_commit(partial(messages.advance_job, job_id))
        counts["advanced"] += 1
    try:
        counts["containers_removed"] = sweep_containers()
    except Exception:
        logger.exception("sweeping stray step containers failed")
    counts["events_pruned"] = _prune_events_now_and_then()
    if any(counts.values()):
        logger.info("reconciler: %s", counts)
    return counts


PRUNE_EVERY_SECONDS = 3600
_last_prune = 0.0


def _prune_events_now_and_then() -> int:
    """Delete old jobs' live events (STUDIO_EVENT_RETENTION_DAYS), at most once an hour."""
    global _last_prune
    from runner.events.reading import prune_events

    if time.monotonic() - _last_prune < PRUNE_EVERY_SECONDS and _last_prune:
        return 0
    _last_prune = time.monotonic()
    try:
        return prune_events(days=settings.STUDIO_EVENT_RETENTION_DAYS)
    except Exception:
        logger.exception("pruning old job events failed")
        return 0


class ReconcilerThread(threading.Thread):
    """Runs the reconciler at worker start and then periodically, inside a worker process."""

    def __init__(self, *, interval: float = 30.0) -> None:
        super().__init__(name="studio-reconciler", daemon=True)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        from django.db import close_old_connections

        while not self.stopping.is_set():
            try:
                reconcile()
            except Exception:
                logger.exception("reconciler pass failed")
            finally:
                close_old_connections()
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        """Stop after the current pass."""
        self.stopping.set()
