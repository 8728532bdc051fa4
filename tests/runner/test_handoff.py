"""The step thread that ends a step takes the next one: ended, scheduled and claimed in one commit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from runner import slots, step_runner
from runner.choices import StepStatus
from runner.events import reading
from runner.models import StepRun
from runner.scheduler import advance_job
from tests.runner.jobs import PIPELINES, submit_file

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def running_a(computes, library):
    """The three-step chain on `local` with its first step claimed (no worker runs anything)."""
    job = submit_file(PIPELINES / "three_steps" / "pipeline.yml", default_compute="azureml:local")
    advance_job(job.pk)
    step = slots.claim(job.steps.get(name="a").pk)
    assert step is not None and step.status == StepStatus.PREPARING
    return step


def finish_in_step_thread(step: StepRun) -> list[StepRun]:
    step_runner._handoff.steps = []
    try:
        step_runner.finish(step, StepStatus.COMPLETED, exit_code=0, outputs={})
        return step_runner._handoff.steps
    finally:
        step_runner._handoff.steps = None


def test_ending_a_step_claims_the_next_for_the_same_thread(running_a):
    taken = finish_in_step_thread(running_a)

    b = StepRun.objects.get(job=running_a.job_id, name="b")
    assert [step.pk for step in taken] == [b.pk]
    assert b.status == StepStatus.PREPARING and b.attempt == 1
    assert b.worker_id == step_runner.WORKER_ID and b.queued_at and b.heartbeat_at
    assert taken[0].compute.name == "local" and taken[0].environment_id == b.environment_id
    # A message for it (a duplicate, or the reconciler's) finds it claimed and does nothing.
    assert slots.claim(b.pk) is None
    frames = [(f["type"], f.get("step"), f.get("status")) for f in reading.events_after(b.job_id, 0)]
    assert frames[-3:] == [
        ("step", "a", StepStatus.COMPLETED),
        ("step", "b", StepStatus.QUEUED),
        ("step", "b", StepStatus.PREPARING),
    ]


def test_a_full_compute_leaves_the_next_step_queued_for_its_message(running_a, computes):
    computes["local"].max_concurrent_steps = 1
    computes["local"].save()
    StepRun.objects.filter(job=running_a.job_id, name="c").update(
        status=StepStatus.RUNNING, compute=computes["local"]
    )  # another step holds the only slot

    taken = finish_in_step_thread(running_a)

    assert taken == []
    assert StepRun.objects.get(job=running_a.job_id, name="b").status == StepStatus.QUEUED


def test_a_step_ended_outside_a_step_thread_is_only_queued(running_a):
    step_runner.finish(running_a, StepStatus.COMPLETED, exit_code=0, outputs={})
    assert StepRun.objects.get(job=running_a.job_id, name="b").status == StepStatus.QUEUED


def test_ending_a_fan_out_step_claims_a_queued_step_of_its_job(computes, library):
    # Three independent steps on a one-slot compute: the first pass queues all three, and the
    # messages of b and c find the compute full (Later: they come back after a delay).
    computes["local"].max_concurrent_steps = 1
    computes["local"].save()
    job = submit_file(PIPELINES / "three_steps" / "fan_out.yml", default_compute="azureml:local")
    advance_job(job.pk)
    steps = {step.name: step for step in job.steps.all()}
    assert {step.status for step in steps.values()} == {StepStatus.QUEUED}
    a = slots.claim(steps["a"].pk)
    with pytest.raises(slots.Later):
        slots.claim(steps["b"].pk)

    taken = finish_in_step_thread(a)

    assert [step.pk for step in taken] == [steps["b"].pk]
    b, c = (StepRun.objects.get(pk=steps[name].pk) for name in "bc")
    assert b.status == StepStatus.PREPARING and b.worker_id == step_runner.WORKER_ID
    assert c.status == StepStatus.QUEUED  # the slot is b's now
    assert slots.claim(b.pk) is None  # its pending message does nothing


def test_a_full_compute_answers_later_from_a_read(computes, library):
    # The waiting steps' messages come back every LATER_DELAY_MS: on a full compute a claim is
    # two reads, not a write transaction (on SQLite, the database's one write lock) per message.
    computes["local"].max_concurrent_steps = 1
    computes["local"].save()
    job = submit_file(PIPELINES / "three_steps" / "fan_out.yml", default_compute="azureml:local")
    advance_job(job.pk)
    a, b = (job.steps.get(name=name) for name in "ab")
    assert slots.claim(a.pk) is not None

    with CaptureQueriesContext(connection) as queries, pytest.raises(slots.Later):
        slots.claim(b.pk)

    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["SELECT", "SELECT"]
    assert StepRun.objects.get(pk=b.pk).status == StepStatus.QUEUED


def test_a_failing_pass_keeps_the_step_end_and_hands_the_job_to_the_scheduler(running_a, monkeypatch):
    from runner import messages, scheduler

    sent = []
    monkeypatch.setattr(messages, "advance_job", sent.append)

    def broken(step):
        raise RuntimeError("a bug in the claim")

    monkeypatch.setattr(scheduler, "take_slot", broken)  # after b was written Queued

    with CaptureQueriesContext(connection) as queries:
        taken = finish_in_step_thread(running_a)

    assert taken == [] and sent == [running_a.job_id]
    steps = {step.name: step.status for step in StepRun.objects.filter(job=running_a.job_id)}
    assert steps == {"a": StepStatus.COMPLETED, "b": StepStatus.NOT_STARTED, "c": StepStatus.NOT_STARTED}
    # One savepoint, the pass's own (a second around it cost two round trips a step end).
    assert sum(query["sql"].startswith("SAVEPOINT") for query in queries.captured_queries) == 1
    frames = [(f["type"], f.get("step"), f.get("status")) for f in reading.events_after(running_a.job_id, 0)]
    assert frames[-1] == ("step", "a", StepStatus.COMPLETED)  # b's rolled-back Queued is not published


def test_a_step_reads_running_only_while_its_job_is_not_being_canceled(running_a):
    from runner.choices import JobStatus
    from runner.models import PipelineJob

    PipelineJob.objects.filter(pk=running_a.job_id).update(status=JobStatus.CANCEL_REQUESTED)
    assert not running_a.transition((StepStatus.PREPARING,), StepStatus.RUNNING, unless_canceling=True)
    assert StepRun.objects.get(pk=running_a.pk).status == StepStatus.PREPARING

    PipelineJob.objects.filter(pk=running_a.job_id).update(status=JobStatus.RUNNING)
    assert running_a.transition((StepStatus.PREPARING,), StepStatus.RUNNING, unless_canceling=True)
    assert StepRun.objects.get(pk=running_a.pk).status == StepStatus.RUNNING
