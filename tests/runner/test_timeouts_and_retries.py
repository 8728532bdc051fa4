"""Per-step timeouts kill the step (its whole process group); retries follow the step's settings."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from pipelines.compiler import compile_pipeline
from runner.actions import submit_pipeline
from runner.actors import run_step
from runner.choices import JobStatus, StepStatus
from runner.logs import read_log
from studio.choices import ComputeKind, ComputeState
from studio.models import Compute
from studio.schemas.loading import load_document
from tests.runner.containers import containers_gone
from tests.runner.jobs import PIPELINES, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUTS = PIPELINES / "timeouts"


def submit(file: str, compute: str, *, inputs=None, step=None):
    """Submit a pipeline of the timeouts folder on `compute`, with changes to its document."""
    path = TIMEOUTS / file
    document, index = load_document(path.read_bytes(), filename=str(path))
    document["settings"] = {"default_compute": f"azureml:{compute}"}
    document.setdefault("inputs", {}).update(inputs or {})
    for name, fields in (step or {}).items():
        document["jobs"][name].update(fields)
    return submit_pipeline(compile_pipeline(document, index=index, filename=str(path), base_dir=TIMEOUTS))


def sleeps(seconds: int) -> list[int]:
    """Pids of `sleep SECONDS` processes on this host (container processes included)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[:2] == [b"sleep", str(seconds).encode()]:
            found.append(int(entry.name))
    return found


def until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def shared_folder(settings):
    """A folder every attempt of a local step can write: outside the step's own folders, so only
    without the local sandbox (which rightly hides the host's folders from steps)."""
    settings.STUDIO_LOCAL_SANDBOX = "off"
    folder = Path(tempfile.mkdtemp(prefix="studio-retry-", dir="/tmp"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


# --- timeouts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("compute", ["local", pytest.param("docker", marks=pytest.mark.docker)])
def test_a_step_past_its_timeout_is_killed_with_its_children(compute, computes, library, worker):
    seconds = random.randint(6000, 6999)  # unique, so its processes can be found by command line
    job = submit("timeout.yml", compute, inputs={"seconds": str(seconds)})
    wait_for(job, timeout=60, until=lambda j: j.steps.get().status == StepStatus.RUNNING)
    assert until(lambda: len(sleeps(seconds)) == 2, 10), "the step's two sleeps never started"

    job = wait_for(job, timeout=30)
    step = job.steps.get()
    assert job.status == JobStatus.FAILED
    assert step.status == StepStatus.FAILED
    assert step.status_reason == "timed out after 5 s"
    assert job.status_reason.startswith("step slow failed: timed out after 5 s")
    took = (step.finished_at - step.started_at).total_seconds()
    assert 4.5 <= took <= 10, took
    assert until(lambda: sleeps(seconds) == [], 2), f"left behind: sleep {seconds} {sleeps(seconds)}"
    assert any("timed out after 5" in line["line"] for line in read_log(job.name, "slow"))
    if compute == "docker":
        assert containers_gone(job.name, within=2)
    else:
        assert step.process_id and not Path(f"/proc/{step.process_id}").exists()


# --- retries -------------------------------------------------------------------------------------


def test_a_step_that_fails_once_is_retried_on_failure(computes, library, worker, shared_folder):
    job = wait_for(submit("retry.yml", "local", inputs={"shared": str(shared_folder)}), timeout=60)
    step = job.steps.get()
    assert job.status == JobStatus.COMPLETED, step.status_reason
    assert step.attempt == 2
    assert step.exit_code == 0
    assert (Path(step.outputs["out"]["path"]) / "ok.txt").read_text() == "ok\n"
    lines = [line["line"] for line in read_log(job.name, "flaky")]
    assert any(line.startswith("[studio] attempt 1 on local") for line in lines), lines
    assert any(line.startswith("[studio] attempt 2 on local") for line in lines), lines
    assert "first try fails" in lines and "second try succeeds" in lines
    assert lines.index("first try fails") < lines.index("second try succeeds")


def test_a_failing_command_is_not_retried_without_retry_on_failure(computes, library, worker, shared_folder):
    job = submit(
        "retry.yml",
        "local",
        inputs={"shared": str(shared_folder)},
        step={"flaky": {"retry_settings": {"max_retries": 2}}},
    )
    job = wait_for(job, timeout=60)
    step = job.steps.get()
    assert job.status == JobStatus.FAILED
    assert step.status == StepStatus.FAILED
    assert step.attempt == 1
    assert step.exit_code == 1
    assert (shared_folder / "tried").exists()
    assert "first try fails" in step.status_reason


def test_an_unreachable_engine_is_retried_then_fails_naming_the_engine(library, worker):
    socket = f"/tmp/studio-no-engine-{os.getpid()}-{random.randint(0, 10**6)}/docker.sock"
    Compute.objects.create(
        name="nowhere",
        kind=ComputeKind.DOCKER,
        engine_url=f"unix://{socket}",
        state=ComputeState.ONLINE,
        max_concurrent_steps=2,
    )
    job = wait_for(submit("infrastructure.yml", "nowhere"), timeout=60)
    step = job.steps.get()
    assert job.status == JobStatus.FAILED
    assert step.status == StepStatus.FAILED
    assert socket in step.status_reason, step.status_reason
    lines = [line["line"] for line in read_log(job.name, "orphan")]
    assert any(line.startswith("[studio] attempt 2 on nowhere") for line in lines), lines
    assert step.attempt == 2, (step.attempt, step.status_reason)


def test_dramatiq_never_times_a_step_out():
    assert run_step.options["time_limit"] >= 24 * 3600 * 1000
    assert run_step.options["max_retries"] == 0  # retries are the step runner's, with backoff
