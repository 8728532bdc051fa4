"""Queues per compute: naming, where a step's message goes, which queues a worker consumes, what a
worker may serve, its announcement, and handing steps back (the in-process broker, one module each)."""

from __future__ import annotations

from datetime import timedelta

import dramatiq
import pytest
from django.utils import timezone

from runner import messages, presence, serving
from runner.choices import StepStatus
from runner.heartbeat import WORKER_HOST, WORKER_ID
from runner.models import PipelineJob, StepRun
from runner.queues import compute_of_queue, is_step_queue, step_queue
from runner.worker import StepWorker, hand_back_steps
from runner.worker_models import LocalComputeHost, WorkerPresence
from studio.choices import ComputeKind
from studio.models import Compute


def test_each_compute_has_a_step_queue_and_the_queue_names_its_compute():
    assert step_queue("gpu-1") == "studio.steps.gpu-1"
    assert compute_of_queue("studio.steps.gpu-1") == "gpu-1"
    assert compute_of_queue("studio.steps.gpu-1.DQ") == "gpu-1"  # its delay queue
    assert compute_of_queue("studio") is None and compute_of_queue("studio.steps") is None
    assert is_step_queue("studio.steps") and is_step_queue("studio.steps.docker.DQ")
    assert not is_step_queue("studio")
    with pytest.raises(ValueError):
        step_queue("")


@pytest.fixture
def two_computes(db):
    left = Compute.objects.create(name="left", kind=ComputeKind.LOCAL, state="online")
    right = Compute.objects.create(name="right", kind=ComputeKind.DOCKER, state="online")
    return left, right


def step_on(compute: Compute, name: str = "a", **fields) -> StepRun:
    job = PipelineJob.objects.create(spec={})
    fields.setdefault("status", StepStatus.QUEUED)
    return StepRun.objects.create(job=job, name=name, compute=compute, **fields)


def test_a_step_message_goes_to_the_queue_of_its_compute(two_computes):
    left, right = two_computes
    broker = dramatiq.get_broker()
    for queue in (step_queue("left"), step_queue("right")):
        broker.declare_queue(queue)
        broker.flush(queue)
    sent = messages.run_step(step_on(right).pk)
    assert sent.queue_name == "studio.steps.right" and sent.actor_name == "run_step"
    assert broker.queues["studio.steps.right"].qsize() == 1
    assert broker.queues["studio.steps.left"].qsize() == 0
    delayed = messages.run_step(step_on(left).pk, delay_ms=5000)
    assert delayed.queue_name == "studio.steps.left.DQ"  # and back to studio.steps.left after the delay
    assert messages.run_step(10**9) is None  # a step that is gone: nothing to send
    for queue in (step_queue("left"), step_queue("right")):
        broker.flush(queue)


def test_a_worker_of_named_computes_consumes_only_their_queues(two_computes):
    only_right = serving.Serving(mode=serving.NAMED, requested=("right",))
    only_right.refresh()
    worker = StepWorker(dramatiq.get_broker(), serving=only_right, worker_threads=1)
    assert worker.wants("studio.steps.right") and worker.wants("studio.steps.right.DQ")
    assert not worker.wants("studio.steps.left") and not worker.wants("studio.steps")
    assert not worker.wants("studio")  # control messages have threads of their own
    every = StepWorker(dramatiq.get_broker(), serving=serving.Serving(), worker_threads=1)
    assert every.wants("studio.steps.left") and every.wants("studio.steps") and not every.wants("studio")
    every.stopped = True
    assert not every.wants("studio.steps.left")  # a stopped worker is fed no queue declared later


def test_a_local_compute_belongs_to_the_host_that_first_serves_it(two_computes):
    left, right = two_computes
    named = serving.Serving(mode=serving.NAMED, requested=("left", "right"))
    named.refresh()
    assert LocalComputeHost.objects.get(compute=left).host == WORKER_HOST
    assert named.serves(left) and named.serves(right)

    LocalComputeHost.objects.filter(compute=left).update(host="elsewhere")
    with pytest.raises(serving.ServingError, match="belongs to the host elsewhere"):
        serving.Serving(mode=serving.NAMED, requested=("left",)).refresh()
    assert not serving.Serving().serves(left)  # not even a worker of every compute takes it
    with pytest.raises(serving.ServingError, match=r"no compute nowhere \(registered: left, right\)"):
        serving.Serving(mode=serving.NAMED, requested=("nowhere",)).refresh()


def test_a_worker_announces_itself_and_a_silent_one_ages_out(two_computes):
    left, right = two_computes
    named = serving.Serving(mode=serving.NAMED, requested=("right",))
    named.refresh()
    presence.announce(named, threads=3)
    shown = [presence.describe(worker) for worker in presence.workers_of(right)]
    assert [(w["worker_id"], w["computes"], w["threads"]) for w in shown] == [(WORKER_ID, ["right"], 3)]
    assert shown[0]["version"] and shown[0]["host"] == WORKER_HOST
    assert presence.workers_of(left) == []

    WorkerPresence.objects.update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert presence.workers_of(right) == []  # silent longer than the heartbeat timeout
    assert presence.forget_dead() == 0
    WorkerPresence.objects.update(heartbeat_at=timezone.now() - timedelta(hours=2))
    assert presence.forget_dead() == 1


def test_handed_back_steps_are_stale_at_once_and_no_longer_this_workers(two_computes):
    left, _ = two_computes
    held = step_on(left, status=StepStatus.RUNNING, worker_id=WORKER_ID, heartbeat_at=timezone.now())
    other = step_on(left, status=StepStatus.RUNNING, worker_id="other:1", heartbeat_at=timezone.now())
    assert hand_back_steps() == 1
    held.refresh_from_db()
    other.refresh_from_db()
    assert held.worker_id == f"{WORKER_ID} (handed back)"
    assert held.heartbeat_at < timezone.now() - timedelta(minutes=1)  # the next reconciler pass takes it
    assert other.worker_id == "other:1"


def test_the_computes_pages_list_live_workers(two_computes, admin_client):
    left, right = two_computes
    named = serving.Serving(mode=serving.NAMED, requested=("right",))
    named.refresh()
    presence.announce(named, threads=3)
    listing = admin_client.get("/computes/").content.decode()
    assert WORKER_ID in listing and "none live" in listing  # right has it; left has none
    page = admin_client.get("/computes/right/").content.decode()
    assert "1 live" in page and WORKER_ID in page
    empty = admin_client.get("/computes/left/").content.decode()
    assert "No live worker takes left" in empty and "studio worker --compute left" in empty


def test_a_worker_of_every_compute_takes_one_registered_after_it_announced(two_computes):
    """`studio up` serves every compute: a compute registered since its last announcement is not
    'without a worker' on its page."""
    everything = serving.Serving(mode=serving.EVERY)
    everything.refresh()
    presence.announce(everything, threads=2)
    later = Compute.objects.create(name="later", kind=ComputeKind.LOCAL)

    assert "later" not in (WorkerPresence.objects.get().computes or [])
    assert [worker.worker_id for worker in presence.workers_of(later)] == [WORKER_ID]


def test_a_step_goes_to_its_computes_queue_even_when_its_id_was_another_computes(db):
    """On SQLite a deleted compute's id is given to the next one registered: the queue follows the
    compute the step is on now, never a name remembered for that id."""
    old = Compute.objects.create(name="old", kind=ComputeKind.LOCAL, state="online")
    first = step_on(old)
    assert messages.queue_of_step(first.pk) == "studio.steps.old"
    reused = old.pk
    first.job.delete()
    old.delete()
    new = Compute.objects.create(pk=reused, name="new", kind=ComputeKind.LOCAL, state="online")

    assert messages.queue_of_step(step_on(new).pk) == "studio.steps.new"
