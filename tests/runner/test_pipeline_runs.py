"""Pipelines run for real: data passes A -> B -> C on the local and the docker compute."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.choices import JobStatus, StepStatus
from runner.logs import read_log
from tests.runner.jobs import PIPELINES, submit_file, wait_for

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


def test_it_shows_the_job_and_its_steps_on_the_pages(computes, library, worker, admin_client):
    job = wait_for(submit_file(THREE_STEPS, default_compute="azureml:local"))
    listing = admin_client.get("/jobs/")
    assert listing.status_code == 200
    assert job.name in listing.content.decode()
    page = admin_client.get(f"/jobs/{job.name}/").content.decode()
    assert "Completed" in page
    assert "c wrote 3 lines" in page
    assert "Trail step (anonymous)" in page  # a component file of the job: anonymous, its name shown
    dashboard = admin_client.get("/").content.decode()
    assert job.name in dashboard or (job.display_name in dashboard)


def test_it_reports_job_progress_through_the_api(computes, library, worker, admin_client):
    job = wait_for(submit_file(THREE_STEPS, default_compute="azureml:local"))
    body = admin_client.get(f"/api/v1/jobs/{job.name}/").json()
    assert body["id"] == job.name
    assert body["status"] == "Completed"
    assert [step["status"] for step in body["steps"]] == ["Completed"] * 3
    logs = admin_client.get(f"/api/v1/jobs/{job.name}/steps/c/logs/", {"offset": 0}).json()
    assert any("c wrote 3 lines" in line["line"] for line in logs["lines"])
    later = admin_client.get(f"/api/v1/jobs/{job.name}/steps/c/logs/", {"offset": logs["next_offset"]}).json()
    assert later["lines"] == []
    outputs = admin_client.get(f"/api/v1/jobs/{job.name}/steps/c/outputs/").json()
    assert outputs["out"]["files"] == [{"path": "trail.txt", "size": len("a: bonjour\nb: hello\nc: hello\n")}]
    download = admin_client.get(f"/api/v1/jobs/{job.name}/steps/c/outputs/out/trail.txt")
    assert b"".join(download.streaming_content).decode().splitlines()[-1] == "c: hello"
    escape = admin_client.get(f"/api/v1/jobs/{job.name}/steps/c/outputs/out/../../a/out/trail.txt")
    assert escape.status_code == 404
