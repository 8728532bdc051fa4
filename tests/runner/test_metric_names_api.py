"""`GET /api/v1/jobs/metric-names/`: the names the jobs list's metric picker offers."""

from __future__ import annotations

import pytest

from runner.choices import JobStatus, StepStatus
from runner.events import recording
from runner.logs import StepLog
from runner.models import PipelineJob, StepRun

pytestmark = pytest.mark.django_db(transaction=True)


def make_job(lines: list[str]) -> PipelineJob:
    job = PipelineJob.objects.create(spec={"steps": {"train": {}}}, status=JobStatus.COMPLETED)
    StepRun.objects.create(job=job, name="train", status=StepStatus.RUNNING)
    log = StepLog(job.name, "train")
    for at, line in enumerate(lines, start=1):
        log.write(line, at=float(at))
    recording.log_buffer.flush(job.name, "train")
    return job


def test_it_lists_the_distinct_names_of_recent_jobs(studio_home, admin_client, client):
    make_job(["##studio[metric accuracy=0.9 loss=0.3]"])
    make_job(["##studio[metric accuracy=0.8]", "plain line", "##studio[metric f1=0.7]"])
    make_job(["no metrics here"])

    body = admin_client.get("/api/v1/jobs/metric-names/").json()
    assert body == {
        "names": ["accuracy", "f1", "loss"],
        "counts": {"accuracy": 2, "f1": 1, "loss": 1},
        "jobs": 3,
    }
    # Only the newest job read: it has none.
    assert admin_client.get("/api/v1/jobs/metric-names/", {"jobs": 1}).json()["names"] == []
    assert admin_client.get("/api/v1/jobs/metric-names/", {"jobs": "x"}).status_code == 400
    assert client.get("/api/v1/jobs/metric-names/").status_code in (401, 403)
    recording.log_buffer.flush_all(quiet=True)
