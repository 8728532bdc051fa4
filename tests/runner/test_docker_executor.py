"""The docker executor runs steps as locked-down containers on a real engine."""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

import pytest

from runner.executors.base import ExecutorError, Mount, StepLaunch
from runner.executors.docker import docker_client
from runner.executors.docker_step import DockerExecutor

pytestmark = pytest.mark.docker

BASE_IMAGE = os.environ.get("STUDIO_BASE_IMAGE", "studio/python:3.11-bookworm")
ENGINE = os.environ.get("STUDIO_DOCKER_URL") or None


@pytest.fixture
def job() -> str:
    """A job name of our own; every container labelled with it is removed afterwards."""
    name = f"test-exec-{uuid.uuid4().hex[:10]}"
    yield name
    executor = DockerExecutor(ENGINE)
    for container_id, _labels, _state in executor.find_step_containers(name):
        executor.remove(container_id)
    executor.close()


@pytest.fixture
def executor() -> DockerExecutor:
    executor = DockerExecutor(ENGINE)
    yield executor
    executor.close()


def launch(job: str, workdir: Path, command: str, **fields) -> StepLaunch:
    return StepLaunch(
        job=job, step="train", attempt=1, command=command, workdir=workdir, image=BASE_IMAGE, **fields
    )


def run(executor: DockerExecutor, spec: StepLaunch, timeout: float = 60) -> tuple[str, int | None, list[str]]:
    """Start, follow the logs to the end and wait; returns (handle, exit code, lines)."""
    handle = executor.start(spec)
    lines: list[str] = []
    executor.follow_logs(handle, lines.append)
    return handle, executor.wait(handle, timeout), lines


def test_a_step_runs_locked_down_and_reports_its_exit_code_and_logs(executor, job, tmp_path):
    spec = launch(
        job, tmp_path / "work", "echo hi; echo err >&2; echo $GREETING; exit 3", env={"GREETING": "hello"}
    )
    handle, code, lines = run(executor, spec)

    assert code == 3
    assert "hi" in lines and "err" in lines and "hello" in lines
    assert executor.inspect(handle).state == "exited"
    assert executor.inspect(handle).exit_code == 3

    client = docker_client(ENGINE)
    try:
        data = client.api.inspect_container(handle)
    finally:
        client.close()
    assert data["Config"]["User"] == "65532:65532"  # StepLaunch's default: no login account
    assert data["HostConfig"]["CapDrop"] == ["ALL"]
    assert "no-new-privileges" in data["HostConfig"]["SecurityOpt"]
    assert data["HostConfig"]["PidsLimit"] == spec.pids_limit
    assert data["HostConfig"]["Memory"] == 4 * 1024**3
    assert data["HostConfig"]["AutoRemove"] is False
    labels = data["Config"]["Labels"]
    assert (
        labels["studio.job"] == job and labels["studio.step"] == "train" and labels["studio.attempt"] == "1"
    )
    for mount in data["Mounts"]:
        assert "docker.sock" not in mount["Source"] and "docker.sock" not in mount["Destination"]
    assert [c[0] for c in executor.find_step_containers(job)] == [handle]

    executor.remove(handle)
    executor.remove(handle)  # idempotent
    assert executor.inspect(handle).state == "gone"
    assert executor.find_step_containers(job) == []


def test_read_only_mounts_cannot_be_written_and_the_workdir_can(executor, job, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "input.txt").write_text("payload\n")
    workdir = tmp_path / "work"
    command = (
        f"cat {data}/input.txt; "
        f"if echo x > {data}/new.txt; then echo WROTE; else echo DENIED; fi; "
        f"echo result > {workdir}/result.txt; pwd"
    )
    handle, code, lines = run(executor, launch(job, workdir, command, mounts=(Mount(data, read_only=True),)))

    assert code == 0, lines
    assert "payload" in lines
    assert "DENIED" in lines and "WROTE" not in lines
    assert not (data / "new.txt").exists()
    assert (workdir / "result.txt").read_text() == "result\n"
    assert str(workdir) in lines
    executor.remove(handle)


def test_wait_times_out_and_stop_ends_the_step_within_the_grace_period(executor, job, tmp_path):
    handle = executor.start(launch(job, tmp_path / "work", "sleep 600"))

    assert executor.wait(handle, timeout=1) is None
    assert executor.inspect(handle).state == "running"
    started = time.monotonic()
    executor.stop(handle, grace_seconds=2)
    assert time.monotonic() - started < 3.5
    inspection = executor.inspect(handle)
    assert inspection.state == "exited" and inspection.exit_code in (137, 143)
    assert executor.wait(handle, timeout=5) == inspection.exit_code
    executor.remove(handle)
    assert executor.inspect(handle).state == "gone"
    executor.stop(handle, grace_seconds=1)  # stopping a gone container is a no-op


def test_without_network_only_loopback_exists(executor, job, tmp_path):
    handle, code, lines = run(executor, launch(job, tmp_path / "work", "cat /proc/net/dev", network=False))

    assert code == 0
    interfaces = [line.split(":", 1)[0].strip() for line in lines if ":" in line]
    assert interfaces == ["lo"]
    executor.remove(handle)


def test_it_refuses_root_and_the_docker_socket(executor, job, tmp_path):
    for user in ("0", "0:0", "root", "root:root"):
        with pytest.raises(ExecutorError, match="root"):
            executor.start(launch(job, tmp_path / "work", "true", user=user))
    for path in ("/var/run/docker.sock", "/run/docker.sock", "/var/run", "/run", "/"):
        with pytest.raises(ExecutorError, match="Docker socket"):
            executor.start(launch(job, tmp_path / "work", "true", mounts=(Mount(Path(path)),)))
    assert executor.find_step_containers(job) == []


def test_a_missing_image_is_an_executor_error(executor, job, tmp_path):
    spec = StepLaunch(job=job, step="s", attempt=1, command="true", workdir=tmp_path, image="studio/nope:0")
    with pytest.raises(ExecutorError, match="not on"):
        executor.start(spec)
    assert executor.find_step_containers(job) == []


def test_logs_carry_timestamps_and_resume_after_a_given_time(executor, job, tmp_path):
    command = "echo one; sleep 1.5; echo two; printf 'no newline at the end'"
    handle = executor.start(launch(job, tmp_path / "work", command))
    timed: list[tuple[float, str]] = []
    follower = threading.Thread(
        target=executor.follow_logs_with_time, args=(handle, lambda t, s: timed.append((t, s)))
    )
    follower.start()
    assert executor.wait(handle, timeout=30) == 0
    follower.join(timeout=10)

    assert [line for _, line in timed] == ["one", "two", "no newline at the end"]
    now = time.time()
    assert all(now - 60 < at <= now + 1 for at, _ in timed)
    assert timed[1][0] - timed[0][0] >= 1.0

    resumed: list[tuple[float, str]] = []
    executor.follow_logs_with_time(handle, lambda t, s: resumed.append((t, s)), since=timed[1][0])
    assert [line for _, line in resumed] == ["two", "no newline at the end"]
    executor.remove(handle)


class _Created(Exception):
    pass


@pytest.mark.docker
def test_resources_gpus_and_shm_reach_the_engine_request(executor, job, tmp_path, monkeypatch):
    """The options given to the SDK for limits, GPUs and shared memory (no GPU needed here)."""
    seen: dict = {}
    client = executor._docker()

    def create(_collection, image, **options):
        seen.update(options, image=image)
        raise _Created

    # `client.containers` is a new collection on every access: patch its class.
    monkeypatch.setattr(type(client.containers), "create", create)
    spec = launch(
        job, tmp_path / "work", "true", cpus=1.5, memory_bytes=2 * 1024**3, gpu_ids=("0", "2"), shm_size="1g"
    )
    with pytest.raises(_Created):
        executor.start(spec)

    assert seen["nano_cpus"] == 1_500_000_000 and seen["mem_limit"] == 2 * 1024**3
    assert seen["shm_size"] == "1g" and seen["pids_limit"] == 4096
    (request,) = seen["device_requests"]
    assert request["DeviceIDs"] == ["0", "2"] and request["Capabilities"] == [["gpu"]]
    assert seen["command"] == ["bash", "-c", "true"] and seen["user"] == "65532:65532"
    assert "network_mode" not in seen
    assert seen["read_only"] is True and seen["tmpfs"] == {
        "/tmp": "rw,nosuid,nodev,size=1073741824,mode=1777"
    }
