"""Job lists, summaries and metric routes with a 10,000-step job among the recent ones: a bounded
number of queries, and no query reads a job's spec (once joined onto each of the job's steps by the
metric names route, it filled the disk with a sort)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from runner.choices import JobStatus, StepStatus
from runner.events import recording
from runner.logs import StepLog
from runner.models import PipelineJob, StepRun

pytestmark = pytest.mark.django_db

BIG_STEPS = 10_000
SPEC_COLUMN = '"runner_pipelinejob"."spec"'


@pytest.fixture
def big_job(studio_home) -> PipelineJob:
    """A finished job of 10,000 steps whose spec is ~10 MB, and one small job that logged a metric."""
    steps = {
        f"s{i}": {"component": {"name": "noop", "spec": {"command": "x" * 1000}}} for i in range(BIG_STEPS)
    }
    job = PipelineJob.objects.create(spec={"steps": steps}, status=JobStatus.COMPLETED)
    StepRun.objects.bulk_create(
        StepRun(job=job, name=f"s{i}", status=StepStatus.COMPLETED) for i in range(BIG_STEPS)
    )
    small = PipelineJob.objects.create(spec={"steps": {"train": {}}}, status=JobStatus.COMPLETED)
    StepRun.objects.create(job=small, name="train", status=StepStatus.COMPLETED)
    log = StepLog(small.name, "train")
    log.write("##studio[metric accuracy=0.9]", at=1.0)
    recording.log_buffer.flush(small.name, "train")
    return job


@pytest.mark.parametrize(
    "route",
    [
        "/api/v1/jobs/metric-names/",
        "/api/v1/jobs/summaries/",
        "/api/v1/jobs/summaries/?metric=accuracy",
        "/api/v1/jobs/",
        "/api/v1/jobs/?metric=accuracy",
        "/jobs/",
        "/",
    ],
)
def test_list_and_summary_routes_never_read_a_spec(route, big_job, admin_client):
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(route)
    assert response.status_code == 200
    reading_specs = [q["sql"][:300] for q in captured.captured_queries if SPEC_COLUMN in q["sql"]]
    assert reading_specs == []
    assert len(captured.captured_queries) <= 25, [q["sql"][:200] for q in captured.captured_queries]
    recording.log_buffer.flush_all(quiet=True)


def test_the_rows_count_the_steps_of_the_big_job(big_job, admin_client):
    body = admin_client.get("/api/v1/jobs/metric-names/").json()
    assert body == {"names": ["accuracy"], "counts": {"accuracy": 1}, "jobs": 2}
    rows = {row["name"]: row for row in admin_client.get("/api/v1/jobs/").json()["results"]}
    assert rows[big_job.name]["steps"] == BIG_STEPS
    assert rows[big_job.name]["step_statuses"] == {StepStatus.COMPLETED: BIG_STEPS}
    assert "spec" not in rows[big_job.name]
    summary = admin_client.get("/api/v1/jobs/summaries/").json()["results"]
    assert {row["name"]: row["steps"] for row in summary} == {
        big_job.name: BIG_STEPS,
        **{name: 1 for name in rows if name != big_job.name},
    }
    recording.log_buffer.flush_all(quiet=True)
