"""A container sees its files at fixed paths under /studio, whatever the host's paths are.

Studio served as root from a checkout in /root keeps STUDIO_HOME where the step's user (uid 1000,
never root) cannot go: on the host, and in the container too, whose image has its own /root (mode
0700), so bind-mounting host paths at the same place left the step unable to reach its own code.
These jobs run from such a home, bound and copied.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from runner import step_runner
from runner.choices import JobStatus
from runner.executors.docker_step import DockerExecutor
from studio.storage.job_artifacts import step_dir, step_output_path
from tests.runner.jobs import PIPELINES, submit_file, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.docker]

CONTAINER_PATHS = PIPELINES / "container_paths" / "pipeline.yml"


@pytest.fixture
def studio_home(settings):
    """STUDIO_HOME in /root, inside a root-owned folder that only root may enter."""
    if os.geteuid() != 0:
        pytest.skip("needs a root worker: steps run as uid 1000 only when the worker is root")
    locked = Path(tempfile.mkdtemp(prefix="studio-locked-", dir="/root"))
    locked.chmod(0o700)
    home = locked / "home"
    home.mkdir()
    settings.STUDIO_HOME = home
    settings.ARTIFACTS_ROOT = home / "artifacts"
    yield home
    shutil.rmtree(locked, ignore_errors=True)


@pytest.fixture(params=["bind", "copy"])
def transfer(request, monkeypatch):
    """The docker compute's executor, binding (a local engine) or copying (as for a remote one)."""
    url = os.environ.get("STUDIO_DOCKER_URL", "")
    executor = DockerExecutor(url or None, transfer=request.param)
    monkeypatch.setattr(step_runner, "_docker_executors", {url: executor})
    yield request.param
    executor.close()


def test_a_job_from_a_home_the_step_user_cannot_enter_completes_on_docker(
    studio_home, transfer, computes, library, worker
):
    info = studio_home.parent.stat()
    assert info.st_uid == 0 and stat.S_IMODE(info.st_mode) == 0o700  # uid 1000 cannot cross it

    job = wait_for(submit_file(CONTAINER_PATHS, default_compute="azureml:docker"), timeout=300)

    steps = {step.name: step for step in job.steps.all()}
    assert job.status == JobStatus.COMPLETED, {n: s.status_reason for n, s in steps.items()}
    total = Path(steps["total"].outputs["total"]["path"])
    assert total == step_output_path(job.name, "total", "total", kind="uri_file")
    assert total.read_text() == "10\n"
    assert steps["total"].outputs["total"]["hash"]
    doubled = Path(steps["double"].outputs["doubled"]["path"])
    assert (doubled / "doubled.txt").read_text() == "20\n"
    # The workdir's ./outputs is kept on the host too.
    work = step_dir(job.name, "total") / ".work"
    assert (work / "outputs" / "note.txt").read_text() == "kept\n"

    # What the command line received: container paths (cwd, uri_file input, uri_file output
    # in its folder, folder output, the code), none of them the host's.
    seen = Path(steps["total"].outputs["seen"]["path"]) / "paths.txt"
    assert seen.read_text().splitlines() == [
        "/studio/work",
        "/studio/inputs/numbers/numbers.csv",
        "/studio/outputs/total/total",
        "/studio/outputs/seen",
        "/studio/work/total.py",
    ]
