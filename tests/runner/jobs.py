"""Running real pipelines in tests: compiling and submitting files, waiting for jobs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipelines.compiler import compile_pipeline
from runner.actions import submit_pipeline
from runner.models import PipelineJob
from studio.schemas.loading import load_document

PIPELINES = Path(__file__).parent / "pipelines"


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
