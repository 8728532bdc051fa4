"""Claims outlive slow work and die with their worker: heartbeats in every phase, build leases,
bounded recovery, and outputs that cannot be collected failing the step once."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from runner import reconciler
from runner.choices import ImageStatus, JobStatus, StepStatus
from runner.heartbeat import WORKER_ID
from runner.images.building_once import build_once
from runner.models import EnvironmentImage, StepRun
from studio.models import Environment
from tests.runner.jobs import submit_file, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

BASE_IMAGE = "studio/python:3.11-bookworm"


class Reconciling:
    """The reconciler, passing every 0.3 s in a thread, as a worker's would (only faster)."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.counts: list[dict] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self.stopping.wait(0.3):
                self.counts.append(reconciler.reconcile())
        finally:
            connection.close()

    def __enter__(self) -> Reconciling:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)

    def total(self, key: str) -> int:
        return sum(count.get(key, 0) for count in self.counts)


def write_pipeline(folder: Path, *, component: str, compute: str) -> Path:
    """A one-step pipeline around `component` (the text of a component YAML) on `compute`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "component.yml").write_text(component)
    (folder / "pipeline.yml").write_text(
        "type: pipeline\n"
        "experiment_name: claims-tests\n"
        f"settings: {{default_compute: azureml:{compute}, force_rerun: true}}\n"
        "jobs:\n"
        "  only:\n"
        "    type: command\n"
        "    component: ./component.yml\n"
    )
    return folder / "pipeline.yml"


# --- 1. a build longer than the heartbeat timeout ----------------------------------------------


@pytest.mark.docker
def test_a_build_longer_than_twice_the_heartbeat_timeout_completes_in_one_attempt(
    settings, computes, library, worker, tmp_path
):
    settings.STUDIO_HEARTBEAT_TIMEOUT_SECONDS = 3  # beats every second; the build takes 9 s
    marker = uuid.uuid4().hex
    (tmp_path / "p" / "env").mkdir(parents=True)
    (tmp_path / "p" / "env" / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\nRUN echo slow-build-{marker} && sleep 9\n"
    )
    pipeline = write_pipeline(
        tmp_path / "p",
        component=(
            "type: command\n"
            f"name: slow_build_{marker[:12]}\n"
            "environment:\n"
            "  build: {path: ./env}\n"
            "command: echo ran-after-a-slow-build\n"
        ),
        compute="docker",
    )
    job = None
    try:
        with Reconciling() as passes:
            job = wait_for(submit_file(pipeline), timeout=300)
        step = job.steps.get()
        assert (job.status, step.status) == (JobStatus.COMPLETED, StepStatus.COMPLETED), step.status_reason
        assert step.attempt == 1, step.status_reason
        assert passes.total("retried") == 0 and len(passes.counts) > 20  # it looked, and left it alone
        row = EnvironmentImage.objects.get(environment=step.environment)
        assert (row.status, row.builds, row.builder) == (ImageStatus.READY, 1, WORKER_ID)
    finally:
        if job is not None:
            _remove_images(job.steps.get().environment)


def _remove_images(environment) -> None:
    """The environment's image and the stage built from its Dockerfile, off the engine."""
    from runner.executors.docker import docker_client
    from runner.images.dockerfiles import context_image_tag, environment_image_tag

    client = docker_client(None)
    try:
        for tag in (environment_image_tag(environment), context_image_tag(environment)):
            try:
                client.images.remove(tag, force=True)
            except Exception:  # not there: nothing to clean
                pass
    finally:
        client.close()


# --- 2. a build whose worker died is taken over -------------------------------------------------


def _environment() -> Environment:
    spec = {"name": "lease-test", "description": uuid.uuid4().hex, "image": BASE_IMAGE}
    digest = uuid.uuid4().hex
    return Environment.objects.create(name="lease-test", version="1", spec=spec, content_hash=digest)


def test_a_build_whose_builder_stopped_heartbeating_is_taken_over(settings):
    settings.STUDIO_HEARTBEAT_TIMEOUT_SECONDS = 3
    environment = _environment()
    long_ago = timezone.now() - timedelta(minutes=5)
    row = EnvironmentImage.objects.create(
        environment=environment,
        target="lease",
        tag="t",
        status=ImageStatus.BUILDING,
        builder="deadhost:4242",
        heartbeat_at=long_ago,
        started_at=long_ago,
    )
    built: list[str] = []
    lines: list[str] = []

    build_once(
        environment,
        target="lease",
        tag="t",
        present=lambda: bool(built),
        build=lambda log: built.append("here"),
        log=lines.append,
        wait_timeout=60,
    )

    row.refresh_from_db()
    assert built == ["here"]
    assert (row.status, row.builder, row.builds) == (ImageStatus.READY, WORKER_ID, 1)
    assert any("deadhost:4242 stopped" in line for line in lines), lines


def test_a_build_whose_builder_heartbeats_is_waited_for_not_taken_over(settings):
    settings.STUDIO_HEARTBEAT_TIMEOUT_SECONDS = 3
    environment = _environment()
    started = timezone.now() - timedelta(minutes=5)  # old, but alive: it keeps beating
    row = EnvironmentImage.objects.create(
        environment=environment,
        target="lease",
        tag="t",
        status=ImageStatus.BUILDING,
        builder="otherhost:1",
        heartbeat_at=timezone.now(),
        started_at=started,
    )
    done = threading.Event()

    def other_builder() -> None:
        try:
            for _ in range(8):  # 4 s of beats, longer than the timeout
                time.sleep(0.5)
                EnvironmentImage.objects.filter(pk=row.pk).update(heartbeat_at=timezone.now())
            EnvironmentImage.objects.filter(pk=row.pk).update(status=ImageStatus.READY)
            done.set()
        finally:
            connection.close()

    threading.Thread(target=other_builder, daemon=True).start()
    built: list[str] = []
    build_once(
        environment,
        target="lease",
        tag="t",
        present=done.is_set,
        build=lambda log: built.append("here"),
        log=lambda line: None,
        wait_timeout=60,
    )
    row.refresh_from_db()
    assert built == [] and done.is_set()
    assert (row.status, row.builder, row.builds) == (ImageStatus.READY, "otherhost:1", 0)


# --- 3. recovery is bounded and says what was lost ----------------------------------------------


def _stale_preparing_step(computes, library, tmp_path, *, attempt: int) -> StepRun:
    pipeline = write_pipeline(
        tmp_path / "p",
        component=(
            f"type: command\nname: stale_{uuid.uuid4().hex[:12]}\n"
            "environment: azureml:python-3.11@latest\ncommand: echo hi\n"
        ),
        compute="local",
    )
    job = submit_file(pipeline)  # no worker: it stays Queued
    step = job.steps.get()
    StepRun.objects.filter(pk=step.pk).update(
        status=StepStatus.PREPARING,
        attempt=attempt,
        worker_id="deadhost:99",
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )
    return step


def test_a_step_whose_worker_died_while_preparing_is_retried_with_the_true_reason(
    settings, computes, library, tmp_path
):
    step = _stale_preparing_step(computes, library, tmp_path, attempt=1)
    assert reconciler.reconcile()["retried"] == 1
    step.refresh_from_db()
    assert step.status == StepStatus.QUEUED
    assert "deadhost:99" in step.status_reason
    assert "stopped while building its environment or staging its data" in step.status_reason
    assert "vanished" not in step.status_reason


def test_recovery_from_dead_workers_is_bounded(settings, computes, library, tmp_path):
    settings.STUDIO_WORKER_LOSS_RETRIES = 2
    step = _stale_preparing_step(computes, library, tmp_path, attempt=3)  # max_retries 0 + 2 done
    counts = reconciler.reconcile()
    step.refresh_from_db()
    assert counts["failed"] == 1 and counts["retried"] == 0
    assert step.status == StepStatus.FAILED
    assert "3 times; giving up" in step.status_reason and "STUDIO_WORKER_LOSS_RETRIES 2" in step.status_reason
    assert reconciler.reconcile()["retried"] == 0  # and it stays failed


# --- 4. an output that cannot be collected fails the step once -----------------------------------


def test_a_symlinked_uri_file_output_fails_the_step_once_with_the_reason(computes, library, worker, tmp_path):
    pipeline = write_pipeline(
        tmp_path / "p",
        component=(
            f"type: command\nname: symlinked_{uuid.uuid4().hex[:12]}\n"
            "outputs:\n  report: {type: uri_file}\n"
            "environment: azureml:python-3.11@latest\n"
            "command: ln -s /etc/passwd ${{outputs.report}}\n"
        ),
        compute="local",
    )
    with Reconciling() as passes:
        job = wait_for(submit_file(pipeline), timeout=180)
        time.sleep(1.0)  # a few more passes after the end: none may pick the step up again
    step = job.steps.get()
    assert (job.status, step.status, step.attempt) == (JobStatus.FAILED, StepStatus.FAILED, 1)
    assert "exited with code 0, but the output 'report' is a symbolic link (to /etc/passwd)" in (
        step.status_reason
    )
    assert passes.total("retried") == 0 and passes.total("adopted") == 0
