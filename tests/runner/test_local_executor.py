"""The local executor runs steps as process groups on the Studio host."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings

from runner.executors.base import ExecutorError, StepLaunch
from runner.executors.local import LocalExecutor


@pytest.fixture
def workdir() -> Path:
    """A workdir the step's user can reach: pytest's own tmp folders are 0700, root's only."""
    base = Path(tempfile.mkdtemp(prefix="studio-local-test-"))
    base.chmod(0o755)
    work = base / "work"
    work.mkdir()
    if os.geteuid() == 0:  # the step's user (STUDIO_STEP_UID/GID)
        os.chown(work, settings.STUDIO_STEP_UID, settings.STUDIO_STEP_GID)
    yield work
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def executor() -> LocalExecutor:
    executor = LocalExecutor()
    yield executor
    for handle in list(executor._processes):
        executor.remove(handle)


def launch(workdir: Path, command: str, **fields) -> StepLaunch:
    return StepLaunch(job="job", step="step", attempt=1, command=command, workdir=workdir, **fields)


def run(executor: LocalExecutor, spec: StepLaunch) -> tuple[str, int | None, list[str]]:
    handle = executor.start(spec)
    lines: list[str] = []
    executor.follow_logs(handle, lines.append)
    return handle, executor.wait(handle, 30), lines


def _ended(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return True
    return stat.rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")


def _sleeping(seconds: str) -> list[int]:
    """Host pids of processes running `sleep SECONDS`, in any PID namespace."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0") if entry.name.isdigit() else []
        except OSError:
            continue
        if argv[:2] == [b"sleep", seconds.encode()]:
            found.append(int(entry.name))
    return found


def test_it_reports_the_exit_code_and_both_output_streams(executor, workdir):
    handle, code, lines = run(executor, launch(workdir, "echo hi; echo err >&2; pwd; exit 3"))

    assert code == 3
    assert lines == ["hi", "err", str(workdir)]
    assert executor.inspect(handle).state == "exited"
    assert executor.inspect(handle).exit_code == 3
    executor.remove(handle)
    executor.remove(handle)  # idempotent


def test_the_step_gets_a_minimal_environment(executor, workdir, monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    monkeypatch.setenv("DATABASE_URL", "postgres://user:pw@db/studio")
    venv = Path("/opt/some-venv")
    _, code, lines = run(executor, launch(workdir, "env", env={"GREETING": "hello"}, venv=venv))

    assert code == 0
    env = dict(line.split("=", 1) for line in lines if "=" in line)
    assert "SECRET_KEY" not in env and "DATABASE_URL" not in env
    assert not any("do-not-leak" in line for line in lines)
    assert env["GREETING"] == "hello"
    assert env["HOME"] == str(workdir)
    assert env["PATH"].startswith(f"{venv}/bin:")
    assert env["VIRTUAL_ENV"] == str(venv)
    assert env["CUDA_VISIBLE_DEVICES"] == ""


def test_gpu_ids_become_cuda_visible_devices(executor, workdir):
    _, _, lines = run(executor, launch(workdir, "echo $CUDA_VISIBLE_DEVICES", gpu_ids=("1", "3")))
    assert lines == ["1,3"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only a root worker switches to the step's user")
def test_a_root_worker_runs_the_step_as_its_user_and_never_as_root(executor, workdir):
    uid, gid = settings.STUDIO_STEP_UID, settings.STUDIO_STEP_GID
    _, code, lines = run(executor, launch(workdir, "id -u; id -g; id -G; touch written", user=f"{uid}:{gid}"))
    assert code == 0
    assert lines == [str(uid), str(gid), str(gid)]
    assert (workdir / "written").stat().st_uid == uid
    for user in ("0:0", "root"):
        with pytest.raises(ExecutorError):
            executor.start(launch(workdir, "true", user=user))


def test_timeout_then_stop_kills_the_whole_process_group(executor, workdir):
    # Found by its unique command line: in the sandbox's PID namespace `$!` is not the host's pid.
    handle = executor.start(launch(workdir, "sleep 600.875 & echo started > child.pid; sleep 600"))
    deadline = time.monotonic() + 10
    while not (workdir / "child.pid").exists() or not _sleeping("600.875"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    [child] = _sleeping("600.875")

    assert executor.wait(handle, timeout=1) is None
    assert executor.inspect(handle).state == "running"
    started = time.monotonic()
    executor.stop(handle, grace_seconds=2)
    assert time.monotonic() - started < 3
    assert executor.wait(handle, timeout=5) == 143  # SIGTERM, as 128 + 15
    deadline = time.monotonic() + 5
    while not _ended(child):
        assert time.monotonic() < deadline, "the background child survived"
        time.sleep(0.05)
    executor.remove(handle)


def test_a_step_that_ignores_sigterm_is_killed_after_the_grace_period(executor, workdir):
    handle = executor.start(launch(workdir, "trap '' TERM; echo ready; sleep 600 & wait"))
    lines: list[str] = []
    deadline = time.monotonic() + 10
    assert executor._get(handle).stdout.readline().strip() == b"ready"
    started = time.monotonic()
    executor.stop(handle, grace_seconds=1)
    assert 0.9 < time.monotonic() - started < 3
    assert executor.wait(handle, timeout=5) == 137
    executor.follow_logs(handle, lines.append)
    assert time.monotonic() < deadline


def test_a_process_started_by_another_worker_can_be_inspected_but_not_adopted(executor, workdir):
    handle = executor.start(launch(workdir, "sleep 600"))
    other = LocalExecutor()  # a fresh worker after a crash

    assert other.inspect(handle).state == "running"
    lines: list[str] = []
    other.follow_logs(handle, lines.append)  # nothing to follow
    assert lines == []
    assert other.wait(handle, timeout=0.3) is None
    executor.stop(handle, grace_seconds=2)
    executor.remove(handle)
    assert other.inspect(handle).state == "gone"
    with pytest.raises(ExecutorError, match="exit code is lost"):
        other.wait(handle, timeout=1)
    assert other.inspect("999999999").state == "gone"
