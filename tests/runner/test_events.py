"""Job events: gap-free sequence numbers, publishing on commit only, batched log lines, REST replay."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from runner.choices import JobStatus, StepStatus
from runner.events import log_batching, reading, recording
from runner.logs import StepLog
from runner.models import JobEvent, PipelineJob, StepRun

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def job(db, studio_home) -> PipelineJob:
    job = PipelineJob.objects.create(spec={"steps": {"a": {}}}, status=JobStatus.QUEUED)
    StepRun.objects.create(job=job, name="a")
    return job


def seqs(job: PipelineJob) -> list[int]:
    return list(JobEvent.objects.filter(job=job).order_by("seq").values_list("seq", flat=True))


def test_concurrent_writers_get_every_seq_once(job):
    errors: list[BaseException] = []
    start = threading.Barrier(10)

    def writer() -> None:
        try:
            start.wait()
            for _ in range(5):
                assert recording.record_job(job) is not None
        except BaseException as error:  # reported by the test thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert seqs(job) == list(range(1, 51))
    job.refresh_from_db()
    assert job.event_seq == 50


def test_a_transition_publishes_only_once_it_commits(job):
    step = job.steps.get()
    with transaction.atomic():
        assert step.transition((StepStatus.NOT_STARTED,), StepStatus.QUEUED)
        assert not JobEvent.objects.filter(job=job).exists()

    event = JobEvent.objects.get(job=job)
    assert (event.seq, event.kind, event.step) == (1, "step", "a")
    assert event.payload["status"] == StepStatus.QUEUED
    assert event.payload["queued_at"]

    with transaction.atomic():
        job.transition((JobStatus.QUEUED,), JobStatus.RUNNING)
        transaction.set_rollback(True)
    assert seqs(job) == [1]


def test_each_transition_keeps_its_own_state_even_in_one_transaction(job):
    with transaction.atomic():
        job.transition((JobStatus.QUEUED,), JobStatus.RUNNING)
        job.transition((JobStatus.RUNNING,), JobStatus.FAILED, status_reason="step a failed")

    frames = reading.events_after(job.pk, 0)
    assert [(f["type"], f["seq"], f["status"]) for f in frames] == [
        ("job", 1, JobStatus.RUNNING),
        ("job", 2, JobStatus.FAILED),
    ]
    assert frames[0]["started_at"] and frames[0]["finished_at"] is None
    assert frames[1]["status_reason"] == "step a failed" and frames[1]["finished_at"]


def test_step_payloads_name_the_compute_and_summarize_outputs(job, computes):
    step = job.steps.get()
    StepRun.objects.filter(pk=step.pk).update(compute=computes["local"], status=StepStatus.RUNNING)
    step.refresh_from_db()
    step.transition(
        (StepStatus.RUNNING,),
        StepStatus.COMPLETED,
        exit_code=0,
        outputs={"out": {"path": "/x/out", "type": "uri_folder", "hash": "abc", "size": 3}},
    )

    frame = reading.events_after(job.pk, 0)[-1]
    assert frame["compute"] == "local"
    assert frame["exit_code"] == 0
    assert frame["outputs"] == {"out": {"type": "uri_folder", "hash": "abc", "size": 3}}
    assert frame["reused_from"] is None


def test_log_lines_are_batched(job):
    log = StepLog(job.name, "a")
    for number in range(2500):
        log.write(f"line {number}")
    recording.log_buffer.flush(job.name, "a")

    rows = list(JobEvent.objects.filter(job=job, kind="log").order_by("seq"))
    assert 3 <= len(rows) <= 10
    assert all(len(row.payload["lines"]) <= log_batching.LOG_FLUSH_LINES for row in rows)
    lines = [line for row in rows for line in row.payload["lines"]]
    assert [line["seq"] for line in lines] == list(range(1, 2501))
    assert lines[-1]["line"] == "line 2499" and lines[0]["t"] > 0
    assert all(row.payload["step"] == "a" for row in rows)


def test_a_quiet_step_still_gets_its_lines_out_soon(job):
    StepLog(job.name, "a").note("hello")

    deadline = time.monotonic() + 5
    while not JobEvent.objects.filter(job=job, kind="log").exists():
        assert time.monotonic() < deadline, "the flusher never stored the line"
        time.sleep(0.05)
    row = JobEvent.objects.get(job=job, kind="log")
    assert [line["line"] for line in row.payload["lines"]] == ["[studio] hello"]


def test_a_step_event_comes_after_the_lines_written_before_it(job):
    step = job.steps.get()
    log = StepLog(job.name, "a")
    log.write("before")
    step.transition((StepStatus.NOT_STARTED,), StepStatus.QUEUED)

    kinds = [(f["type"], f.get("status")) for f in reading.events_after(job.pk, 0)]
    assert kinds == [("log", None), ("step", StepStatus.QUEUED)]


def test_batched_step_changes_are_stored_together_in_order_after_their_lines(job):
    first = job.steps.get()
    second = StepRun.objects.create(job=job, name="b")
    StepLog(job.name, "a").write("a's last line")
    with (
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
        recording.batched_step_events() as batch,
    ):
        assert first.transition((StepStatus.NOT_STARTED,), StepStatus.COMPLETED)
        assert second.transition((StepStatus.NOT_STARTED,), StepStatus.QUEUED)
        assert not JobEvent.objects.filter(job=job).exists()
        mark = len(batch)
        with pytest.raises(RuntimeError), transaction.atomic():  # a savepoint rolled back
            assert second.transition((StepStatus.QUEUED,), StepStatus.CANCELED)
            raise RuntimeError
        del batch[mark:]
        assert second.transition((StepStatus.QUEUED,), StepStatus.PREPARING)
        job.transition((JobStatus.QUEUED,), JobStatus.RUNNING)

    frames = reading.events_after(job.pk, 0)
    assert [(f["type"], f.get("step"), f.get("status")) for f in frames] == [
        ("log", "a", None),
        ("step", "a", StepStatus.COMPLETED),
        ("step", "b", StepStatus.QUEUED),
        ("step", "b", StepStatus.PREPARING),
        ("job", None, JobStatus.RUNNING),
    ]
    assert [f["seq"] for f in frames] == [1, 2, 3, 4, 5]
    # The log line and the three step events took one allocation of seqs, the job event another.
    allocations = [q["sql"] for q in queries.captured_queries if "event_seq" in q["sql"]]
    assert len(allocations) == 2, allocations


def test_a_batch_rolled_back_publishes_nothing(job):
    step = job.steps.get()
    with transaction.atomic():
        with recording.batched_step_events():
            assert step.transition((StepStatus.NOT_STARTED,), StepStatus.QUEUED)
        transaction.set_rollback(True)
    assert seqs(job) == []


def test_the_log_buffer_flushes_by_count_and_by_time():
    batches: list[list[int]] = []
    buffer = log_batching.LogBuffer(
        max_delay=0.1,
        max_lines=10,
        record=lambda job, step, lines: batches.append([line["seq"] for line in lines]),
    )
    for seq in range(1, 26):
        buffer.add("j", "s", {"seq": seq, "t": 0, "line": "x"})
    deadline = time.monotonic() + 5
    while sum(len(b) for b in batches) < 25:
        assert time.monotonic() < deadline
        time.sleep(0.02)

    assert [seq for batch in batches for seq in batch] == list(range(1, 26))
    assert max(len(batch) for batch in batches) <= 10


def test_events_for_a_deleted_job_are_dropped(job):
    name = job.name
    job.delete()

    assert recording.record_log(name, "a", [{"seq": 1, "t": 0, "line": "x"}]) is None
    assert JobEvent.objects.count() == 0


def test_the_rest_api_replays_events_after_a_seq(job, admin_client):
    for _ in range(5):
        recording.record_job(job)

    body = admin_client.get(f"/api/v1/jobs/{job.name}/events/", {"after": 2}).json()
    assert [e["seq"] for e in body["events"]] == [3, 4, 5]
    assert body["last_seq"] == 5 and body["more"] is False
    assert body["events"][0]["type"] == "job" and body["events"][0]["job"] == job.name

    page = admin_client.get(f"/api/v1/jobs/{job.name}/events/", {"after": 0, "limit": 2}).json()
    assert [e["seq"] for e in page["events"]] == [1, 2]
    assert page["last_seq"] == 2 and page["more"] is True

    empty = admin_client.get(f"/api/v1/jobs/{job.name}/events/", {"after": 5}).json()
    assert empty == {"events": [], "last_seq": 5, "more": False}

    bad = admin_client.get(f"/api/v1/jobs/{job.name}/events/", {"after": "x"})
    assert bad.status_code == 400 and bad.json()["errors"] == {"after": ["not a number"]}


def test_the_rest_replay_needs_a_signed_in_user(job, client):
    assert client.get(f"/api/v1/jobs/{job.name}/events/").status_code in (401, 403)


def test_events_of_jobs_that_ended_long_ago_are_pruned(job, settings):
    from datetime import timedelta

    from django.utils import timezone

    from runner import reconciler

    step = job.steps.get()
    StepLog(job.name, "a").write("old line")
    step.transition((StepStatus.NOT_STARTED,), StepStatus.COMPLETED)
    job.transition((JobStatus.QUEUED,), JobStatus.COMPLETED)
    recent = PipelineJob.objects.create(spec={"steps": {}}, status=JobStatus.QUEUED)
    recent.transition((JobStatus.QUEUED,), JobStatus.COMPLETED)
    running = PipelineJob.objects.create(spec={"steps": {}}, status=JobStatus.QUEUED)
    running.transition((JobStatus.QUEUED,), JobStatus.RUNNING)
    PipelineJob.objects.filter(pk__in=[job.pk, running.pk]).update(
        finished_at=timezone.now() - timedelta(days=15)
    )
    assert seqs(job) == [1, 2, 3]

    settings.STUDIO_EVENT_RETENTION_DAYS = 0
    assert reading.prune_events(days=0) == 0
    settings.STUDIO_EVENT_RETENTION_DAYS = 14
    reconciler._last_prune = 0.0
    assert reconciler.reconcile()["events_pruned"] == 3
    assert reconciler.reconcile()["events_pruned"] == 0  # not again within the hour

    assert seqs(job) == []
    assert seqs(recent) == [1] and seqs(running) == [1]
    # A browser opening the old job gets a snapshot with its whole log published.
    assert not reading.replayable(job.pk, 1)
    state = reading.snapshot(job.pk)
    assert state["seq"] == 3
    assert state["steps"][0]["status"] == StepStatus.COMPLETED
    assert state["steps"][0]["log_seq"] == 1
    # New events (none expected, but) never reuse a seq.
    assert recording.record_job(job).seq == 4
