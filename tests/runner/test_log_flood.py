"""A real step that prints 20 MB: it completes, its log keeps head and tail within the cap with a
note saying what was dropped, its live events stay few and all come before its status."""

from __future__ import annotations

import json
import time

import pytest

from runner import metrics
from runner.choices import JobStatus, StepStatus
from runner.logs import NOTE_PREFIX, log_path, max_bytes
from runner.models import JobEvent
from tests.runner.jobs import PIPELINES, submit_file, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

FLOOD = PIPELINES / "log_flood" / "pipeline.yml"
LINES = 200_000  # of 100 characters: 20 MB
COMPUTES = ["local", pytest.param("docker", marks=pytest.mark.docker)]


@pytest.mark.parametrize("compute", COMPUTES)
def test_a_step_flooding_its_log_keeps_head_and_tail_and_few_events(compute, computes, library, worker):
    job = wait_for(submit_file(FLOOD, default_compute=f"azureml:{compute}"), timeout=300)
    step = job.steps.get()
    assert job.status == JobStatus.COMPLETED, (step.status, step.status_reason)
    assert step.status == StepStatus.COMPLETED

    path = log_path(job.name, "flood")
    assert path.stat().st_size <= max_bytes() + 200
    entries = [json.loads(raw) for raw in path.read_text().splitlines()]
    texts = [entry["line"] for entry in entries]
    output = [e for e in entries if not e["line"].startswith(NOTE_PREFIX) and not e.get("source")]
    assert output[0]["line"] == "0000000 " + "x" * 92
    assert output[-1]["line"] == "the last line"
    assert output[-2]["line"] == f"{LINES - 1:07d} " + "x" * 92
    assert texts[-1] == NOTE_PREFIX + "completed"

    # One drop note between head and tail; every other seq is in the file, in order.
    [note] = [entry for entry in entries if "dropped" in entry]
    dropped = note["dropped"]
    assert f"{NOTE_PREFIX}{dropped['lines']:,} lines (" in note["line"]
    assert "STUDIO_STEP_LOG_MAX_BYTES" in note["line"]
    seqs = [entry["seq"] for entry in entries]
    assert seqs == sorted(seqs)
    assert set(seqs) == set(range(1, seqs[-1] + 1)) - set(range(dropped["from"], note["seq"]))
    # Nothing the step printed was lost unsaid: kept lines and dropped ones add up to all of it.
    assert len(output) + dropped["lines"] == LINES + 2  # the metric line and the last line
    assert dropped["lines"] > LINES // 2
    # The metric line was in the dropped middle: its point is kept.
    assert {"name": "middle", "value": 1.5} in [
        {"name": p["name"], "value": p["value"]} for p in metrics.logged_points(job.name, "flood")
    ]

    # Live events: few, bounded in size, none for a dropped line, all before the step's end.
    # The step's events are stored by its worker thread once the step's end commits; the job can
    # be Completed (another thread) a moment before that on a loaded machine: wait for the step's.
    deadline = time.monotonic() + 10
    while True:
        rows = list(JobEvent.objects.filter(job=job, step="flood").order_by("seq"))
        logs = [row for row in rows if row.kind == JobEvent.Kind.LOG]
        ended = any(
            row.kind == JobEvent.Kind.STEP and row.payload["status"] == StepStatus.COMPLETED for row in rows
        )
        if ended or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(logs) < 300
    assert all(sum(len(line["line"]) for line in row.payload["lines"]) <= 64_000 for row in logs)
    published = [line["seq"] for row in logs for line in row.payload["lines"]]
    assert set(published) <= set(seqs)
    assert published[-1] == seqs[-1], "the last line went out live too"
    [completed] = [
        row
        for row in rows
        if row.kind == JobEvent.Kind.STEP and row.payload["status"] == StepStatus.COMPLETED
    ]
    assert all(row.seq < completed.seq for row in logs)
