"""A step the OOM killer ends fails saying so, with its memory limit; a signal is named when known."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from runner.choices import JobStatus, StepStatus
from runner.executors.base import Inspection, StepLaunch, describe_exit, exit_description, human_bytes
from runner.executors.docker_step import DockerExecutor
from runner.executors.local import LocalExecutor
from tests.runner.jobs import PIPELINES, submit_file, wait_for

BASE_IMAGE = os.environ.get("STUDIO_BASE_IMAGE", "studio/python:3.11-bookworm")
ENGINE = os.environ.get("STUDIO_DOCKER_URL") or None
OOM = PIPELINES / "oom" / "pipeline.yml"
# Touches every page of 512 MiB: far over a 64 MiB limit, swap included.
HOG = "python3 -c \"hog = 'x' * (512 * 1024 * 1024); print(len(hog))\""


@pytest.mark.parametrize(
    ("count", "text"),
    [(4 * 1024**3, "4 GiB"), (64 * 1024**2, "64 MiB"), (1536 * 1024**2, "1.5 GiB"), (512, "512 B")],
)
def test_sizes_read_as_people_write_memory_limits(count, text):
    assert human_bytes(count) == text


def test_the_exit_is_described_from_what_the_executor_knows():
    oom = Inspection("exited", 137, oom_killed=True, memory_limit=64 * 1024**2)
    assert describe_exit(137, oom) == "killed: out of memory (limit 64 MiB); exit code 137"
    assert (
        describe_exit(137, Inspection("exited", 137, signal=9))
        == "killed by signal 9 (SIGKILL); exit code 137"
    )
    assert describe_exit(137, Inspection("exited", 137)) == "exited with code 137"
    assert describe_exit(3, None) == "exited with code 3"


@pytest.fixture
def job() -> str:
    name = f"test-oom-{uuid.uuid4().hex[:10]}"
    yield name
    executor = DockerExecutor(ENGINE)
    for container_id, _labels, _state in executor.find_step_containers(name):
        executor.remove(container_id)
    executor.close()


@pytest.mark.docker
def test_a_container_over_its_memory_limit_is_reported_out_of_memory(job, tmp_path):
    executor = DockerExecutor(ENGINE)
    launch = StepLaunch(
        job=job,
        step="hog",
        attempt=1,
        command=HOG,
        workdir=tmp_path / "work",
        image=BASE_IMAGE,
        memory_bytes=64 * 1024**2,
    )
    try:
        handle = executor.start(launch)
        code = executor.wait(handle, 120)
        inspection = executor.inspect(handle)
        assert code == 137
        assert inspection.oom_killed and inspection.memory_limit == 64 * 1024**2
        assert (
            exit_description(executor, handle, code) == "killed: out of memory (limit 64 MiB); exit code 137"
        )
        executor.remove(handle)
    finally:
        executor.close()


@pytest.mark.docker
def test_a_plain_exit_137_is_not_taken_for_a_memory_kill(job, tmp_path):
    executor = DockerExecutor(ENGINE)
    launch = StepLaunch(job=job, step="s", attempt=1, command="exit 137", workdir=tmp_path, image=BASE_IMAGE)
    try:
        handle = executor.start(launch)
        assert executor.wait(handle, 60) == 137
        assert not executor.inspect(handle).oom_killed
        assert exit_description(executor, handle, 137) == "exited with code 137"
        executor.remove(handle)
    finally:
        executor.close()


def test_a_local_step_killed_by_a_signal_says_which(settings):
    # Unsandboxed: in bubblewrap the step is bwrap's child, and bwrap exits 128 + the signal's
    # number, so a kill and `exit 137` look alike there (a known limit, README "local sandbox").
    settings.STUDIO_LOCAL_SANDBOX = "off"
    executor = LocalExecutor()
    user = f"{os.getuid()}:{os.getgid()}" if os.geteuid() else "1000:1000"
    # Not under pytest's temp folder: a root worker runs the step as uid 1000, which cannot enter it.
    workdir = Path(tempfile.mkdtemp(prefix="studio-oom-", dir="/tmp"))
    workdir.chmod(0o777)
    launches = {
        "kill -KILL $$": "killed by signal 9 (SIGKILL); exit code 137",
        "exit 137": "exited with code 137",
    }
    for command, expected in launches.items():
        spec = StepLaunch(job="j", step="s", attempt=1, command=command, workdir=workdir, user=user)
        handle = executor.start(spec)
        executor.follow_logs(handle, lambda _line: None)
        code = executor.wait(handle, 30)
        assert code == 137
        assert exit_description(executor, handle, code) == expected
        executor.remove(handle)
    shutil.rmtree(workdir)


@pytest.mark.docker
@pytest.mark.django_db(transaction=True)
def test_a_step_over_its_memory_limit_fails_saying_out_of_memory(computes, library, worker):
    job = wait_for(submit_file(OOM, default_compute="azureml:docker"), timeout=300)

    step = job.steps.get()
    assert job.status == JobStatus.FAILED
    assert step.status == StepStatus.FAILED and step.exit_code == 137
    assert step.status_reason.startswith("killed: out of memory (limit 64 MiB); exit code 137"), (
        step.status_reason
    )
    assert "out of memory (limit 64 MiB)" in job.status_reason
