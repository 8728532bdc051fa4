"""Steps waiting for a slot: a freed slot wakes the first of them at once; their own messages back
off instead of polling every LATER_DELAY_MS (a 1,000-step fan-out's waiting steps were ~2,000
claims a second)."""

from __future__ import annotations

import dramatiq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from runner import actors, messages, reconciler, serving, slots, step_runner
from runner.choices import StepStatus
from runner.models import GpuLease, StepRun
from runner.queues import step_queue
from runner.scheduler import advance_job
from studio.models import Compute
from tests.runner.jobs import PIPELINES, submit_file

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = step_queue("local")


def sent_on(queue: str) -> list[dramatiq.Message]:
    """The messages waiting on a queue of the in-process broker, oldest first, without taking them."""
    broker = dramatiq.get_broker()
    broker.declare_queue(QUEUE)
    return [dramatiq.Message.decode(data) for data in list(broker.queues[queue].queue)]


def flush_step_queue() -> None:
    broker = dramatiq.get_broker()
    broker.declare_queue(QUEUE)
    broker.flush(QUEUE)


@pytest.fixture
def one_slot(computes, library):
    computes["local"].max_concurrent_steps = 1
    computes["local"].save()
    return computes["local"]


def fan_out_job():
    job = submit_file(PIPELINES / "three_steps" / "fan_out.yml", default_compute="azureml:local")
    advance_job(job.pk)
    return job


def test_the_delay_of_a_waiting_step_doubles_up_to_its_cap():
    delays = [actors.later_delay_ms(waited) for waited in range(8)]
    assert delays[0] == actors.LATER_DELAY_MS
    assert delays[1] == 2 * actors.LATER_DELAY_MS
    assert max(delays) == actors.LATER_MAX_DELAY_MS == delays[-1]
    assert delays == sorted(delays)
    assert actors.later_delay_ms(10**6) == actors.LATER_MAX_DELAY_MS


def test_a_freed_slot_wakes_the_first_waiting_step_of_another_job(one_slot):
    first = fan_out_job()
    second = fan_out_job()
    running = slots.claim(first.steps.get(name="a").pk)
    assert running is not None
    # The first job has nothing left to take: its other steps are done.
    StepRun.objects.filter(job=first, name__in=("b", "c")).update(status=StepStatus.COMPLETED)
    flush_step_queue()

    step_runner._handoff.steps = []  # a step thread's hand-over
    try:
        step_runner.finish(running, StepStatus.COMPLETED, exit_code=0, outputs={})
        taken = step_runner._handoff.steps
    finally:
        step_runner._handoff.steps = None

    assert taken == []
    woken = sent_on(QUEUE)
    assert [list(message.args) for message in woken] == [[second.steps.get(name="a").pk, messages.WAKE_UP]]


def test_a_step_thread_that_fills_the_slot_itself_wakes_no_one(one_slot):
    first = fan_out_job()
    fan_out_job()
    running = slots.claim(first.steps.get(name="a").pk)
    flush_step_queue()

    step_runner._handoff.steps = []
    try:
        step_runner.finish(running, StepStatus.COMPLETED, exit_code=0, outputs={})
        taken = step_runner._handoff.steps
    finally:
        step_runner._handoff.steps = None

    assert [step.name for step in taken] == ["b"]  # its own job's next waiting step
    assert sent_on(QUEUE) == []


def delay_of(message: dramatiq.Message) -> int:
    return message.options["eta"] - message.message_timestamp


def test_a_waiting_message_comes_back_later_each_time_and_a_wake_up_does_not(one_slot):
    other = fan_out_job()
    assert slots.claim(other.steps.get(name="a").pk) is not None  # another job holds the only slot
    job = fan_out_job()
    waiting = job.steps.get(name="a").pk
    broker = dramatiq.get_broker()
    delayed_queue = f"{QUEUE}.DQ"
    broker.declare_queue(QUEUE)
    broker.flush(delayed_queue)

    actors.run_step.fn(waiting, 3)
    (again,) = sent_on(delayed_queue)
    assert list(again.args) == [waiting, 4]
    assert actors.later_delay_ms(3) - 50 <= delay_of(again) <= actors.later_delay_ms(3) + 50

    broker.flush(delayed_queue)
    actors.run_step.fn(waiting, messages.WAKE_UP)  # no slot: dropped, the step's own message waits
    assert sent_on(delayed_queue) == []
    assert StepRun.objects.get(pk=waiting).status == StepStatus.QUEUED


def test_a_step_behind_its_own_jobs_steps_waits_for_their_hand_over(one_slot):
    job = fan_out_job()
    assert slots.claim(job.steps.get(name="a").pk) is not None  # its own job holds the only slot
    waiting = job.steps.get(name="b").pk
    broker = dramatiq.get_broker()
    broker.declare_queue(QUEUE)
    broker.flush(f"{QUEUE}.DQ")

    actors.run_step.fn(waiting, 0)

    # The step that ends hands its slot to b (or wakes the compute's first waiting step): b's
    # message only comes back late, in case that is lost, instead of polling.
    (again,) = sent_on(f"{QUEUE}.DQ")
    assert delay_of(again) >= actors.HANDED_OVER_DELAY_MS - 50 > actors.LATER_MAX_DELAY_MS


def test_a_waiting_message_on_a_full_compute_needs_no_lookups(one_slot):
    job = fan_out_job()
    assert slots.claim(job.steps.get(name="a").pk) is not None
    waiting = job.steps.get(name="b").pk
    broker = dramatiq.get_broker()
    broker.declare_queue(QUEUE)
    broker.flush(f"{QUEUE}.DQ")

    with CaptureQueriesContext(connection) as queries:
        actors.run_step.fn(waiting, 0)

    # The step's row with its compute's name and limit, and the count of running steps: no
    # compute lookup, no check of who serves it, no lookup of its queue.
    assert len(queries.captured_queries) == 2
    (again,) = sent_on(f"{QUEUE}.DQ")
    assert list(again.args) == [waiting, 1]


def test_the_reconciler_wakes_a_long_queued_step_without_a_second_message_chain(one_slot):
    job = fan_out_job()
    waiting = job.steps.get(name="a")
    StepRun.objects.filter(pk=waiting.pk).update(
        queued_at=timezone.now() - 10 * reconciler.queued_stale_after()
    )
    flush_step_queue()

    assert reconciler.reconcile()["requeued"] == 1

    assert [list(message.args) for message in sent_on(QUEUE)] == [[waiting.pk, messages.WAKE_UP]]


def test_a_step_end_on_a_chain_asks_no_needless_questions(one_slot):
    # No message for the step it took (no queue lookup for one either), and a
    # step that held no GPU deletes no leases.
    job = submit_file(PIPELINES / "three_steps" / "pipeline.yml", default_compute="azureml:local")
    advance_job(job.pk)
    running = slots.claim(job.steps.get(name="a").pk)
    lease_table = GpuLease._meta.db_table
    dramatiq.get_broker().flush(f"{QUEUE}.DQ")
    flush_step_queue()

    step_runner._handoff.steps = []
    try:
        with CaptureQueriesContext(connection) as queries:
            step_runner.finish(running, StepStatus.COMPLETED, exit_code=0, outputs={})
        taken = step_runner._handoff.steps
    finally:
        step_runner._handoff.steps = None

    assert [step.name for step in taken] == ["b"]
    statements = [query["sql"] for query in queries.captured_queries]
    assert not [sql for sql in statements if lease_table in sql]
    compute_name_of_step = (
        f'SELECT "{Compute._meta.db_table}"."name" AS "compute__name" FROM "{StepRun._meta.db_table}"'
    )
    assert not [sql for sql in statements if sql.startswith(compute_name_of_step)]  # queue_of_step
    # The step it took is this thread's to run: no message for it, now or later.
    assert sent_on(QUEUE) == [] and sent_on(f"{QUEUE}.DQ") == []


def test_a_job_served_here_is_looked_up_once(computes, library):
    named = serving.Serving(mode=serving.NAMED, requested=("local",))
    named.refresh()
    job = submit_file(PIPELINES / "three_steps" / "pipeline.yml", default_compute="azureml:local")

    with CaptureQueriesContext(connection) as first:
        assert named.serves_job(job.pk)
    with CaptureQueriesContext(connection) as again:
        assert named.serves_job(job.pk)

    assert len(first.captured_queries) == 1 and len(again.captured_queries) == 0
    elsewhere = serving.Serving(mode=serving.NAMED, requested=())
    assert not elsewhere.serves_job(job.pk)  # not served: asked again next time
