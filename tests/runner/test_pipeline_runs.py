"""Pipelines run for real: data passes A -> B -> C on the local and the docker compute."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.choices import JobStatus, StepStatus
from runner.logs import read_log
from tests.runner.conftest import PIPELINES, submit_file, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

THREE_STEPS = PIPELINES / "three_steps" / "pipeline.yml"


@pytest.mark.parametrize("compute", ["local", pytest.param("docker", marks=pytest.mark.docker)])
def test_it_passes_data_through_three_steps(compute, computes, library, worker):
    job = wait_for(submit_file(THREE_STEPS, default_compute=f"azureml:{compute}"))
    steps = {step.name: step for step in job.steps.all()}
    assert job.status == JobStatus.COMPLETED, {n: s.status_reason for n, s in steps.items()}
    assert all(step.status == StepStatus.COMPLETED for step in steps.values())
    trail = Path(steps["c"].outputs["out"]["path"]) / "trail.txt"
    assert trail.read_text().splitlines() == ["a: bonjour", "b: hello", "c: hello"]
    assert steps["c"].outputs["out"]["hash"]
    assert any("c wrote 3 lines" in line["line"] for line in read_log(job.name, "c"))
    assert all(step.compute.name == compute for step in steps.values())
