"""A failing step: its exit code and last lines explain it, and what follows it does not run."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.choices import JobStatus, StepStatus
from tests.runner.jobs import PIPELINES, submit_file, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

FAILURES = PIPELINES / "failures" / "pipeline.yml"
# What x prints is computed by the shell, so it appears in its output but not in its command line.
MARKER = "x is failing: marker-7731"
COMPUTES = ["local", pytest.param("docker", marks=pytest.mark.docker)]


def steps_of(job):
    return {step.name: step for step in job.steps.all()}


@pytest.mark.parametrize("compute", COMPUTES)
def test_a_failing_step_fails_the_job_and_cancels_what_follows(compute, computes, library, worker):
    job = wait_for(submit_file(FAILURES, default_compute=f"azureml:{compute}"), timeout=60)
    steps = steps_of(job)
    x = steps["x"]
    assert job.status == JobStatus.FAILED, {n: (s.status, s.status_reason) for n, s in steps.items()}
    assert x.status == StepStatus.FAILED
    assert x.exit_code == 3
    assert x.attempt == 1
    assert "exited with code 3" in x.status_reason
    assert MARKER in x.status_reason, x.status_reason
    assert job.status_reason.startswith("step x failed: exited with code 3"), job.status_reason

    assert steps["x_down"].status == StepStatus.CANCELED
    assert "upstream step x is Failed" in steps["x_down"].status_reason
    assert steps["x_down"].attempt == 0
    # y was already running and finishes; z had not started, so the failure cancels it.
    assert steps["y"].status == StepStatus.COMPLETED, steps["y"].status_reason
    assert steps["z"].status == StepStatus.CANCELED, steps["z"].status_reason
    assert steps["z"].attempt == 0


@pytest.mark.parametrize("compute", COMPUTES)
def test_continue_on_step_failure_runs_the_other_branch(compute, computes, library, worker):
    job = submit_file(FAILURES, default_compute=f"azureml:{compute}", continue_on_step_failure=True)
    job = wait_for(job, timeout=60)
    steps = steps_of(job)
    reasons = {n: (s.status, s.status_reason) for n, s in steps.items()}
    assert job.status == JobStatus.FAILED, reasons
    assert steps["x"].status == StepStatus.FAILED and steps["x"].exit_code == 3
    assert steps["x_down"].status == StepStatus.SKIPPED, reasons
    assert steps["x_down"].attempt == 0
    assert steps["y"].status == StepStatus.COMPLETED, reasons
    assert steps["z"].status == StepStatus.COMPLETED, reasons
    assert (Path(steps["z"].outputs["out"]["path"]) / "z.txt").read_text() == "y\nz\n"
    assert job.status_reason.startswith("step x failed"), job.status_reason
