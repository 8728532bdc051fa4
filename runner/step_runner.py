"""Running one attempt of a step: claim a slot, prepare, launch, supervise, collect, finish.

The attempt's outcome is written with conditional transitions, so a cancel, a timeout and the
step ending at the same moment still give exactly one terminal status. Infrastructure failures
(the engine unreachable, a container that cannot start) are retried up to `max_retries` with
backoff; a failing command only when the step says `retry_on_failure`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from pipelines.spec import StepSpec
from runner import base_image_build, default_artifacts, messages, serving, slots
from runner.choices import STEP_ACTIVE, JobStatus, StepStatus
from runner.executors.base import (
    CONTAINER_WORKDIR,
    Executor,
    ExecutorError,
    Mount,
    StepLaunch,
    exit_description,
    human_bytes,
    input_target,
    output_target,
)
from runner.heartbeat import WORKER_ID, KeepAlive
from runner.images.errors import EngineUnreachable
from runner.logs import NOTE_PREFIX, LogCut, StepLog, tail
from runner.models import PipelineJob, StepRun
from runner.output_destinations import DestinationError, register_outputs, write_destinations
from runner.slots import claim
from runner.staging import StagingError, chown_tree, download_once, fresh_folder, snapshot_input_path
from studio.choices import ComputeKind
from studio.errors import StudioError
from studio.models import Compute
from studio.schemas.command import render_command
from studio.storage.job_artifacts import step_dir, step_output_path, tree_digest
from studio.storage.layout import StorageError
from studio.storage.reading import copy_snapshot_to

logger = logging.getLogger(__name__)

CANCEL_GRACE_SECONDS = 10
TIMEOUT_GRACE_SECONDS = 3
# How long a step's end waits for its output to be read (a capped flood takes seconds).
LOG_DRAIN_SECONDS = 60
# Exit codes of a SIGTERM and a SIGKILL (128 + signal), what a stop that Studio did not ask for ends with.
UNASKED_STOPS = (143, 137)
MEMORY_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}

_local_executor = None
_local_lock = threading.Lock()


def local_executor():
    """The process-wide local executor (it tracks the processes this worker started)."""
    global _local_executor
    with _local_lock:
        if _local_executor is None:
            from runner.executors.local import LocalExecutor

            _local_executor = LocalExecutor()
        return _local_executor


_docker_executors: dict[str, Executor] = {}


def executor_for(compute: Compute, *, docker_enabled: bool) -> tuple[Executor, str]:
    """The executor of a compute and its kind (`docker` or `local`); one per engine per process."""
    if compute.kind == ComputeKind.DOCKER and docker_enabled:
        return docker_executor(compute.engine_url or settings.STUDIO_DOCKER_URL or ""), "docker"
    return local_executor(), "local"


def docker_executor(url: str) -> Executor:
    """The process-wide Docker executor of the engine at `url` ('' = the default engine)."""
    from runner.executors.docker_step import DockerExecutor

    with _local_lock:
        if url not in _docker_executors:
            _docker_executors[url] = DockerExecutor(url or None)
        return _docker_executors[url]


def step_user() -> tuple[int, int] | None:
    """Who steps run as, in containers and local processes alike: STUDIO_STEP_UID/GID when the worker
    is root (never root), else the worker's own user (None: it cannot hand folders to another)."""
    if os.geteuid() == 0:
        return container_user()
    return None


def container_user() -> tuple[int, int]:
    """The dedicated uid/gid of steps (STUDIO_STEP_UID, STUDIO_STEP_GID): no login account."""
    return settings.STUDIO_STEP_UID, settings.STUDIO_STEP_GID


def step_network(compute: Compute, resources: dict) -> bool:
    """Whether the step's container gets a network: the compute's `network`, narrowed (never
    widened) by the step's `resources.network: none`."""
    return getattr(compute, "network", "bridge") != "none" and resources.get("network") != "none"


def step_limits(compute: Compute, resources: dict) -> tuple[float | None, int | None]:
    """CPUs and memory (bytes) of the step: its resources, else STUDIO_STEP_DEFAULT_CPUS and
    STUDIO_STEP_DEFAULT_MEMORY_MB, no more than the compute has when it says."""
    cpus = resources.get("cpu")
    if cpus is None and settings.STUDIO_STEP_DEFAULT_CPUS:
        cpus = float(settings.STUDIO_STEP_DEFAULT_CPUS)
        # Never more than the compute (or its engine, at its last check) has: the engine refuses that.
        known = (
            compute.cpus or (compute.engine_info or {}).get("cpus") or (compute.engine_info or {}).get("ncpu")
        )
        if known:
            cpus = min(cpus, float(known))
    memory = memory_bytes(resources.get("memory"))
    if memory is None:
        memory = settings.STUDIO_STEP_DEFAULT_MEMORY_MB * 1024**2
        if compute.memory_mb:
            memory = min(memory, compute.memory_mb * 1024**2)
    return cpus, memory


def memory_bytes(value) -> int | None:
    """`4g`, `512m` or a number of MB as bytes."""
    if value is None:
        return None
    if isinstance(value, int):
        return value * 1024**2
    text = str(value).strip().lower().rstrip("b").rstrip("i")
    if text and text[-1] in MEMORY_UNITS:
        return int(float(text[:-1]) * MEMORY_UNITS[text[-1]])
    return int(float(text))


@dataclass
class Prepared:
    """A launched-to-be step: its executor and launch description."""

    executor: Executor
    kind: str
    launch: StepLaunch
    outputs: dict[str, dict]


def _input_values(
    step: StepRun, spec: StepSpec, mounts: list[Mount], *, in_container: bool = False
) -> dict[str, object | None]:
    """The value of each input for the command; data inputs are added to `mounts` (read-only).

    `in_container`: data inputs are given at their fixed container paths (`/studio/inputs/<name>`,
    a uri_file's file inside it) rather than their host paths.
    """
    values: dict[str, object | None] = {}
    ports = spec.component.spec.get("inputs", {})
    wanted = {b.step for b in spec.inputs.values() if b.kind == "step_output"}
    upstream = {
        s.name: s for s in StepRun.objects.filter(job_id=step.job_id, name__in=wanted).only("name", "outputs")
    }
    for name, port in ports.items():
        binding = spec.inputs.get(name)
        if binding is None:
            values[name] = port.get("default")
            continue
        if binding.kind == "literal":
            values[name] = binding.value if binding.value is not None else port.get("default")
            continue
        if binding.kind == "data":  # as the data is typed (a uri_file may feed a uri_folder port)
            if binding.snapshot:
                path = snapshot_input_path(binding.snapshot, binding.type)
            else:
                path = download_once(step.job.name, binding.url, binding.type)
        else:
            output = upstream[binding.step].outputs.get(binding.output)
            if not output:
                raise StagingError(f"{binding.step}.{binding.output} has no recorded output")
            path = Path(output["path"])
            if not path.exists():
                raise StagingError(f"the output {binding.step}.{binding.output} is gone from {path}")
        mount = Mount(path, read_only=True, target=input_target(name, path) if in_container else None)
        mounts.append(mount)
        values[name] = mount.destination
    return values


def prepare(step: StepRun, spec: StepSpec, log: StepLog) -> Prepared:
    """Build or find the environment, lay out folders, resolve inputs and render the command."""
    from runner.images.building_once import ensure_environment_image
    from runner.images.dockerfiles import base_image_for, environment_variables
    from runner.images.venvs import ensure_environment_venv

    environment = step.environment
    env_spec = environment.spec
    executor, kind = executor_for(step.compute, docker_enabled=env_spec.get("docker_enabled", True))
    owner = step_user()
    if kind == "local" and not step_network(step.compute, spec.effective_resources()):
        raise StudioError(
            "the step must have no network (the compute's network or resources.network is none), "
            "but it would run as a local process, which cannot be cut off from the network"
        )
    build_log = partial(log.write)
    image, venv = "", None
    if kind == "docker":
        engine = step.compute.engine_url or settings.STUDIO_DOCKER_URL or None
        base_image_build.check_ready(base_image_for(environment), engine)  # waits while it is built
        image = ensure_environment_image(environment, base_url=engine, log=build_log)
    elif not env_spec.get("user_managed_dependencies"):
        venv = ensure_environment_venv(environment, log=build_log)
    if kind == "local" and owner and venv:
        _check_reachable(Path(venv), owner)

    folder = step_dir(step.job.name, step.name)
    workdir = fresh_folder(folder / ".work", owner=None)
    if kind == "local" and owner:
        _check_reachable(folder, owner)
    code = spec.component.spec.get("code")
    if code:
        copy_snapshot_to(code, workdir)
    (workdir / "outputs").mkdir(exist_ok=True)
    (workdir / "logs").mkdir(exist_ok=True)
    if owner:
        chown_tree(workdir, owner)

    # A container sees its files at fixed paths (the host's may lie where its user cannot go);
    # a local process at their host paths.
    in_container = kind == "docker"
    mounts: list[Mount] = []
    inputs = _input_values(step, spec, mounts, in_container=in_container)
    outputs: dict[str, dict] = {}
    output_paths: dict[str, str] = {}
    for name, port in spec.component.spec.get("outputs", {}).items():
        fresh_folder(folder / name, owner=owner)
        path = step_output_path(step.job.name, step.name, name, kind=port["type"])
        outputs[name] = {"path": str(path), "type": port["type"]}  # where the host collects it
        mount = Mount(folder / name, read_only=False, target=output_target(name) if in_container else None)
        output_paths[name] = mount.inside(path)
        mounts.append(mount)
    # Values reach the command as references to STUDIO_INPUT_* / STUDIO_OUTPUT_* variables: a
    # parameter is never read as shell code (studio.schemas.command).
    command = render_command(spec.component.spec["command"], inputs=inputs, outputs=output_paths)
    resources = spec.effective_resources()
    cpus, memory = step_limits(step.compute, resources)
    network = step_network(step.compute, resources)
    if not network:
        log.note("no network: the container has none (the compute's or the step's resources.network)")
    variables = environment_variables(environment)
    launch = StepLaunch(
        job=step.job.name,
        step=step.name,
        attempt=step.attempt,
        command=command.run,
        workdir=workdir,
        container_workdir=CONTAINER_WORKDIR if in_container else None,
        mounts=tuple(mounts),
        env={
            **variables,
            **spec.environment_variables,
            "STUDIO_JOB": step.job.name,
            "STUDIO_STEP": step.name,
            "PYTHONUNBUFFERED": "1",
            **command.environment,
        },
        image=image,
        venv=venv,
        user=f"{owner[0]}:{owner[1]}" if owner else f"{os.getuid()}:{os.getgid()}",
        cpus=cpus,
        memory_bytes=memory,
        network=network,
        tmp_bytes=settings.STUDIO_STEP_TMP_MB * 1024**2,
        pids_limit=settings.STUDIO_STEP_PIDS_LIMIT,
        gpu_ids=tuple(step.gpu_ids),
        shm_size=resources.get("shm_size") or env_spec.get("shm_size"),
    )
    log.note(f"command: {command.shown}")  # the values written out, as given
    if command.run != command.shown:
        log.note(f"runs as: {command.run} (values in their STUDIO_INPUT_/STUDIO_OUTPUT_ variables)")
    return Prepared(executor, kind, launch, outputs)


def _heartbeat(step: StepRun) -> None:
    StepRun.objects.filter(pk=step.pk, worker_id=WORKER_ID, status__in=STEP_ACTIVE).update(
        heartbeat_at=timezone.now()
    )


def keep_alive(step: StepRun) -> KeepAlive:
    """The step's heartbeat for as long as this worker holds it, whatever it is doing."""
    return KeepAlive(partial(_heartbeat, step), name=f"heartbeat-{step.pk}")


def _job_cancel_requested(step: StepRun) -> bool:
    return PipelineJob.objects.filter(pk=step.job_id, status=JobStatus.CANCEL_REQUESTED).exists()


def supervise(
    step: StepRun, executor: Executor, handle: str, log: StepLog, *, timeout: float | None, follow=None
):
    """Follow logs and wait for the end, honouring cancel and timeout; returns (code, why).

    The caller holds the step's heartbeat (`keep_alive`) for as long as this runs."""
    if follow is None and hasattr(executor, "follow_logs_with_time"):
        # The engine's own timestamps: a worker that adopts the step later resumes exactly after them.
        follow = partial(executor.follow_logs_with_time, handle, lambda at, line: log.write(line, at=at))
    follow = follow or partial(executor.follow_logs, handle, log.write)
    follower = threading.Thread(target=_follow, args=(follow, log), name=f"logs-{step.pk}", daemon=True)
    follower.start()
    started = time.monotonic()
    outcome = "exited"
    code = None
    while True:
        try:
            code = executor.wait(handle, timeout=1.0)
        except ExecutorError as error:
            log.note(f"lost the step: {error}")
            outcome = "lost"
            break
        if code is not None:
            break
        now = time.monotonic()
        if _job_cancel_requested(step):
            log.note("canceling: stopping the step")
            executor.stop(handle, grace_seconds=CANCEL_GRACE_SECONDS)
            code = executor.wait(handle, timeout=CANCEL_GRACE_SECONDS + 5)
            outcome = "canceled"
            break
        if timeout and now - started > timeout:
            log.note(f"timed out after {timeout} s: stopping the step")
            executor.stop(handle, grace_seconds=TIMEOUT_GRACE_SECONDS)
            code = executor.wait(handle, timeout=TIMEOUT_GRACE_SECONDS + 5)
            outcome = "timeout"
            break
    _drain(follower, log, LOG_DRAIN_SECONDS if outcome != "lost" else 5)
    return code, outcome


def _drain(follower: threading.Thread, log: StepLog, seconds: float) -> None:
    """Wait for the step's output to be read to its end before the step's status changes.

    The engine may still hold output when the step exits (a flood is read well after): lines
    that came after the status event would reach viewers after Completed. The wait is bounded:
    after `seconds` the rest of the output is not kept (`StepLog.cut` stops the follower) and a
    note says so. Then the tail of a capped log goes out live (`StepLog.finish`).
    """
    follower.join(timeout=seconds)
    if follower.is_alive():
        log.cut()
        log.note(
            f"the step's output was still being read {seconds:g} s after it ended; the rest of it is not kept"
        )
        follower.join(timeout=5)
    log.finish()


def _follow(follow, log: StepLog) -> None:
    try:
        follow()
    except LogCut:
        return  # the step ended long ago: supervise stopped reading (and said so)
    except Exception as error:  # logs are best effort; the exit code decides the outcome
        log.note(f"log stream ended early: {error}")


class OutputError(StudioError):
    """A step's output cannot be collected (a link, unreadable): the step fails with this reason (422)."""

    status = 422


def collect_outputs(outputs: dict[str, dict], *, artifacts_bytes: int = 0) -> dict[str, dict]:
    """Record the content hash and size of every output; OutputError when one cannot be read.

    Nothing is followed out of an output: a `uri_file` output (or an output folder) that is a
    symbolic link is refused, and links inside a folder are left out of its hash. The outputs and
    the default artifacts kept of `./outputs` and `./logs` (`artifacts_bytes`) together are held to
    STUDIO_MAX_OUTPUT_BYTES: both are kept for good.
    """
    collected = {}
    for name, output in outputs.items():
        path = Path(output["path"])
        for candidate in (path, path.parent) if output.get("type") == "uri_file" else (path,):
            if candidate.is_symlink():
                raise OutputError(
                    f"the output {name!r} is a symbolic link (to {os.readlink(candidate)}); "
                    f"a {output.get('type', 'uri_folder')} output must be a real "
                    f"{'file' if output.get('type') == 'uri_file' else 'folder'}"
                )
        try:
            digest, size = tree_digest(path)
        except (OSError, StorageError) as error:
            raise OutputError(f"the output {name!r} cannot be read: {error}") from error
        collected[name] = {**output, "hash": digest, "size": size}
    total = sum(output["size"] or 0 for output in collected.values()) + artifacts_bytes
    limit = settings.STUDIO_MAX_OUTPUT_BYTES
    if limit and total > limit:
        of_which = f", {artifacts_bytes} of them in ./outputs and ./logs" if artifacts_bytes else ""
        raise OutputError(
            f"its outputs hold {human_bytes(total)} ({total} bytes{of_which}), more than "
            f"STUDIO_MAX_OUTPUT_BYTES allows ({human_bytes(limit)})"
        )
    return collected


_handoff = threading.local()


def _advance_now(job_id: int, batch: list, *, job: PipelineJob | None = None) -> None:
    # Scheduling right here, in the transaction that ended the step, saves a commit and a trip
    # through the broker between steps. A step thread takes the first step it queues: that one
    # is claimed in this transaction too. A pass that fails leaves the step's end in place:
    # `advance_job` runs in an atomic block of its own, here a savepoint that its failure rolls
    # back (not one more savepoint around it: two round trips a step on PostgreSQL).
    from runner.scheduler import advance_job as advance

    taking = getattr(_handoff, "steps", None)
    take_one = taking is not None and not taking and not _worker_stopping()
    # Only a job whose steps all run on computes served here: another compute's step is its workers'.
    take_one = take_one and serving.current().serves_job(job_id)
    taken: list[StepRun] = []
    mark = len(batch)
    try:
        advance(job_id, take_one=take_one, taken=taken, job=job)
    except Exception:
        del batch[mark:]  # the changes the savepoint rolled back are not published
        logger.exception("scheduling job %s after a step failed; sending it to the scheduler", job_id)
        transaction.on_commit(partial(messages.advance_job, job_id))
        return
    if take_one:
        taking.extend(taken)


def _worker_stopping() -> bool:
    """Whether the Dramatiq worker thread running this is being stopped."""
    return not getattr(threading.current_thread(), "running", True)


def run_and_follow(step_id: int) -> None:
    """Run one attempt of a step, then, in this same thread, the step the scheduler gave it.

    The step thread that just finished is free: the scheduler pass that ends the step claims the
    next step of the chain for it (`_advance_now`), which saves the broker's round trip. That
    step gets no message of its own: a thread that dies before running it leaves a claim whose
    heartbeat goes stale, which the reconciler retries.
    """
    current: int | StepRun | None = step_id
    while current is not None:
        _handoff.steps = []
        try:
            run(current)
        finally:
            taken, _handoff.steps = _handoff.steps, None
        current = taken[0] if taken else None


def finish(step: StepRun, status: str, **fields) -> bool:
    """End the attempt (Preparing/Running -> status) and schedule what comes next, in one transaction."""
    from runner.events.recording import batched_step_events

    with transaction.atomic(), batched_step_events() as batch:
        job = None
        if connection.features.has_select_for_update:
            # The job's row before the step's, in the order the scheduler pass below takes them;
            # the pass uses the row locked here.
            job = PipelineJob.objects.select_for_update().defer("spec").filter(pk=step.job_id).first()
        moved = step.transition(STEP_ACTIVE, status, **fields)
        _advance_now(step.job_id, batch, job=job)
        if moved and not getattr(_handoff, "steps", None):
            # The slot this step held is free and this thread took no step to fill it.
            transaction.on_commit(partial(slots.wake_next, step.compute_id))
    return moved


def retry_later(step: StepRun, reason: str, log: StepLog) -> bool:
    """Queue another attempt after a backoff, if the step has retries left."""
    if step.attempt > step.max_retries:
        return False
    delay = min(2 ** (step.attempt - 1), 60)
    log.note(f"attempt {step.attempt} failed ({reason}); retrying in {delay} s")
    with transaction.atomic():
        moved = step.transition(
            STEP_ACTIVE,
            StepStatus.QUEUED,
            status_reason=f"retrying: {reason}"[:2000],
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        if moved:
            transaction.on_commit(partial(messages.run_step, step.pk, delay_ms=delay * 1000))
            transaction.on_commit(partial(slots.wake_next, step.compute_id))  # its slot is free
    return moved


def _attempt_tail(step: StepRun, count: int = 15) -> list[str]:
    """The last lines the step itself printed in this attempt (not the environment build's)."""
    lines = tail(step.job.name, step.name, 400)
    starts = [i for i, line in enumerate(lines) if line.startswith(f"{NOTE_PREFIX}started ")]
    if starts:
        lines = lines[starts[-1] + 1 :]
    return [line for line in lines if not line.startswith(NOTE_PREFIX)][-count:]


def _check_reachable(path: Path, owner: tuple[int, int]) -> None:
    """Refuse clearly when the step's user could not reach `path` (every folder above it needs x)."""
    for folder in [path, *path.parents]:
        info = folder.stat()
        if info.st_uid == owner[0]:
            allowed = info.st_mode & 0o100
        elif info.st_gid == owner[1]:
            allowed = info.st_mode & 0o010
        else:
            allowed = info.st_mode & 0o001
        if not allowed:
            raise PermissionError(
                f"steps run as uid {owner[0]} (never root) and cannot enter {folder}; "
                "put STUDIO_HOME where that user can reach it, or run Studio as an unprivileged user"
            )


def complete_attempt(
    step: StepRun, prepared_outputs: dict, executor: Executor, handle: str, code, outcome, log
):
    """Turn an attempt's end into the step's status; removes the container."""
    spec = step.job.pipeline_spec().steps[step.name]  # validated once per process, no query
    try:
        kept = None
        if outcome != "lost":  # the step's files are all there (copied back from a remote engine)
            kept = default_artifacts.keep(step.job.name, step.name, log.note)
        if outcome == "canceled":
            finish(step, StepStatus.CANCELED, exit_code=code, status_reason="canceled while running")
            return
        if outcome == "timeout":
            finish(
                step,
                StepStatus.FAILED,
                exit_code=code,
                status_reason=f"timed out after {spec.limits.timeout} s",
            )
            return
        if outcome == "lost":
            where = getattr(executor, "where", "") or "its host"
            lost = (
                f"lost contact with the step's container or process on {where} "
                "(its engine stopped answering, or removed it)"
            )
            if not retry_later(step, lost, log):
                finish(step, StepStatus.FAILED, status_reason=lost)
            return
        if code == 0:
            try:
                outputs = collect_outputs(prepared_outputs, artifacts_bytes=kept.size if kept else 0)
                write_destinations(step.job.name, spec.output_destinations, prepared_outputs, log.note)
                for port, asset in register_outputs(
                    step.job.name,
                    step.name,
                    spec.output_assets,
                    prepared_outputs,
                    log.note,
                    # Only a step that registers assets loads its job's user (a query).
                    user=step.job.created_by if spec.output_assets else None,
                ).items():
                    outputs[port]["asset"] = asset
            except (OutputError, DestinationError) as error:
                log.note(f"collecting outputs failed: {error}")
                finish(step, StepStatus.FAILED, exit_code=0, status_reason=f"exited with code 0, but {error}")
                return
            log.note("completed")  # before the status: the line goes out with the Completed event
            finish(step, StepStatus.COMPLETED, exit_code=0, outputs=outputs, status_reason="")
            return
        lines = "\n".join(_attempt_tail(step))
        ended = exit_description(executor, handle, code)  # an OOM kill or a signal says so
        if code in UNASKED_STOPS and "out of memory" not in ended:
            ended += (
                "; unless it exited so itself, it was stopped from outside Studio (no cancel, no "
                "timeout): by its engine stopping or restarting, or its container or process stopped"
            )
        reason = f"{ended}; last lines:\n{lines}"
        log.note(ended)
        if spec.retry_settings.retry_on_failure and retry_later(step, ended, log):
            return
        finish(step, StepStatus.FAILED, exit_code=code, status_reason=reason[:4000])
    finally:
        try:
            executor.remove(handle)
        except ExecutorError as error:
            logger.warning("could not remove %s of %s: %s", handle, step, error)


def run(step: int | StepRun) -> None:
    """Run one attempt of a step, from claiming a slot to its outcome.

    `step`: its id, or the step already claimed for this thread (Preparing) by the scheduler.
    """
    if not isinstance(step, StepRun):
        step = claim(step)
        if step is None:
            return
    log = StepLog(step.job.name, step.name)
    with keep_alive(step):
        try:
            _attempt(step, log)
        except Exception as error:
            # A bug after the claim ends the attempt once, with its reason; left alone, the step
            # would look to the reconciler like a dead worker's and be retried without end.
            logger.exception("running %s failed", step)
            reason = f"internal error: {type(error).__name__}: {error}"
            log.note(reason)
            finish(step, StepStatus.FAILED, status_reason=reason[:4000])


def _attempt(step: StepRun, log: StepLog) -> None:
    spec = step.job.pipeline_spec().steps[step.name]
    log.note(f"attempt {step.attempt} on {step.compute.name} ({WORKER_ID})")
    try:
        prepared = prepare(step, spec, log)
    except base_image_build.BaseImageWaiting as waiting:
        base_image_build.wait_queued(step, str(waiting), log.note)  # Queued until it is built
        return
    except (StagingError, ExecutorError, EngineUnreachable) as error:
        log.note(str(error))
        if not retry_later(step, str(error), log):
            finish(step, StepStatus.FAILED, status_reason=str(error)[:4000])
        return
    except Exception as error:  # an image build failure or a bug: the step fails with the reason
        from runner.images.errors import ImageBuildError

        if not isinstance(error, ImageBuildError):
            logger.exception("preparing %s failed", step)
        log.note(f"preparing failed: {error}")
        finish(step, StepStatus.FAILED, status_reason=f"preparing failed: {error}"[:4000])
        return
    if _job_cancel_requested(step):
        log.note("the job was canceled while the step was being prepared; not starting it")
        finish(step, StepStatus.CANCELED, status_reason="the job was canceled")
        return
    try:
        handle = prepared.executor.start(prepared.launch)
    except ExecutorError as error:
        log.note(f"could not start: {error}")
        if not retry_later(step, str(error), log):
            finish(step, StepStatus.FAILED, status_reason=f"could not start: {error}"[:4000])
        return
    fields = {"image": prepared.launch.image or str(prepared.launch.venv or "")}
    if prepared.kind == "docker":
        fields["container_id"] = handle
    else:
        fields["process_id"] = int(handle)
    # Noted before the step reads Running: the line goes out with the Running event, and a worker
    # that dies right after the transition has already said what it started.
    log.note(f"started {'container ' + handle[:12] if prepared.kind == 'docker' else 'process ' + handle}")
    # Running only while the job is not being canceled, in the same statement: a cancel that
    # commits after the check above still wins, and the step never reads Running after it.
    if not step.transition((StepStatus.PREPARING,), StepStatus.RUNNING, unless_canceling=True, **fields):
        prepared.executor.stop(handle, grace_seconds=1)
        prepared.executor.remove(handle)
        if _job_cancel_requested(step):
            log.note("the job was canceled as the step was starting; stopped it")
            finish(step, StepStatus.CANCELED, status_reason="the job was canceled")
        return
    code, outcome = supervise(step, prepared.executor, handle, log, timeout=spec.limits.timeout)
    complete_attempt(step, prepared.outputs, prepared.executor, handle, code, outcome, log)
