"""Running real pipelines in tests: a world-readable artifact store and an embedded worker."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from pipelines.compiler import compile_pipeline
from runner.actions import submit_pipeline
from runner.models import PipelineJob
from studio.choices import ComputeKind, ComputeState
from studio.models import Compute
from studio.schemas.loading import load_document

PIPELINES = Path(__file__).parent / "pipelines"


@pytest.fixture
def studio_home(settings):
    """STUDIO_HOME and artifacts in /tmp, readable by the unprivileged user steps run as."""
    home = Path(tempfile.mkdtemp(prefix="studio-runner-", dir="/tmp"))
    home.chmod(0o755)
    settings.STUDIO_HOME = home
    settings.ARTIFACTS_ROOT = home / "artifacts"
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def computes(db):
    """`local` and `docker` computes, both taking two steps at a time."""
    local = Compute.objects.create(
        name="local", kind=ComputeKind.LOCAL, max_concurrent_steps=2, state=ComputeState.ONLINE
    )
    docker = Compute.objects.create(
        name="docker",
        kind=ComputeKind.DOCKER,
        max_concurrent_steps=2,
        state=ComputeState.ONLINE,
        engine_url=os.environ.get("STUDIO_DOCKER_URL", ""),
    )
    return {"local": local, "docker": docker}


@pytest.fixture
def library(db, studio_home):
    """The built-in environments, data and components."""
    call_command("seed_library", verbosity=0)


@pytest.fixture
def worker(studio_home):
    """Control and step threads consuming the in-process broker; stopped after the test."""
    from runner.worker import start_workers

    group = start_workers(control_threads=2, step_threads=4, reconcile=False)
    yield group
    group.stop(timeout=5_000)


@pytest.fixture
def container_events():
    """The step containers the engine creates while the test runs (`ContainerEvents`)."""
    from tests.runner.containers import ContainerEvents

    events = ContainerEvents()
    yield events
    events.close()


def compile_file(path: Path, **settings_overrides):
    """Compile a pipeline YAML file from disk (local components and data relative to it)."""
    document, index = load_document(path.read_bytes(), filename=str(path))
    for key, value in settings_overrides.items():
        document.setdefault("settings", {})[key] = value
    return compile_pipeline(document, index=index, filename=str(path), base_dir=path.parent)


def submit_file(path: Path, **settings_overrides) -> PipelineJob:
    """Compile and submit a pipeline YAML file."""
    return submit_pipeline(compile_file(path, **settings_overrides))


def wait_for(job: PipelineJob, *, timeout: float = 180, until=None) -> PipelineJob:
    """Poll until the job ends (or `until(job)` holds); fails the test on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if until(job) if until else job.is_terminal:
            return job
        time.sleep(0.2)
    steps = {s.name: (s.status, s.status_reason) for s in job.steps.all()}
    pytest.fail(f"job {job.name} still {job.status} after {timeout} s: {steps}")
