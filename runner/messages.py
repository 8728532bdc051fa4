"""The runner's wake-ups, sent by actor name: the one place below the actors that sends messages.

The scheduler, a step's attempt and the reconciler wake each other up with messages. Importing
`runner.actors` for its actors' `.send` would make them import the module that calls them (an
import circle); Dramatiq resolves an actor by its name on the broker, so this module only names
them. The actors are declared when the runner app is ready (`runner.apps`), before any message.

A step's message goes to the queue of its compute (`runner.queues`), whatever queue the actor
was declared with: only the workers serving that compute consume it. So does a compute's health
check, on that compute's check queue.
"""

from __future__ import annotations

import dramatiq

from runner.models import StepRun
from runner.queues import check_queue, step_queue
from studio.models import Compute

ADVANCE_JOB = "advance_job"
RUN_STEP = "run_step"
CHECK_COMPUTE = "check_compute"
RECONCILE = "reconcile"


def send(actor_name: str, *args, delay_ms: int | None = None) -> dramatiq.Message:
    """Send `args` to the actor called `actor_name`, after `delay_ms` milliseconds if given."""
    actor = dramatiq.get_broker().get_actor(actor_name)
    if delay_ms:
        return actor.send_with_options(args=args, delay=delay_ms)
    return actor.send(*args)


def advance_job(job_id: int) -> None:
    """Ask the scheduler to move a job forward (`runner.scheduler.advance_job`)."""
    send(ADVANCE_JOB, job_id)


# `waited` of a wake-up: a message sent to a waiting step because a slot freed up. A step that
# waits has its own message already; a wake-up that finds no slot is dropped, not sent again.
WAKE_UP = -1


def run_step(
    step_id: int, *, delay_ms: int | None = None, waited: int = 0, compute: str | None = None
) -> dramatiq.Message | None:
    """Ask a step thread of a worker serving the step's compute to run an attempt of it
    (`runner.step_runner.run_and_follow`); None when the step or its compute is gone.

    `waited`: how many times the step's message already found no free slot (its next delay grows
    with it), or `WAKE_UP`. `compute`: the name of the step's compute, when the caller has just
    read it (saves looking it up)."""
    queue = step_queue(compute) if compute else queue_of_step(step_id)
    if queue is None:
        return None
    broker = dramatiq.get_broker()
    actor = broker.get_actor(RUN_STEP)
    args = (step_id, waited) if waited else (step_id,)
    message = actor.message(*args).copy(queue_name=queue)
    broker.declare_queue(queue)  # the in-process broker refuses a queue it does not know
    return broker.enqueue(message, delay=delay_ms or None)


def queue_of_step(step_id: int) -> str | None:
    """The queue of the step's compute, or None when the step or its compute is gone. One query
    (a join), no cache: on SQLite a deleted compute's id is given to the next one registered, so a
    cache by id would send that compute's steps to the old compute's queue."""
    name = StepRun.objects.filter(pk=step_id).values_list("compute__name", flat=True).first()
    return None if name is None else step_queue(name)


def reconcile() -> None:
    """Ask any worker for a reconciler pass now (`runner.reconciler.reconcile`)."""
    send(RECONCILE)


def check_compute(compute: Compute) -> dramatiq.Message:
    """Ask a worker serving `compute` for a health check of it (`runner.computes.check_compute_now`
    run where the compute's engine is reached from)."""
    broker = dramatiq.get_broker()
    queue = check_queue(compute.name)
    message = broker.get_actor(CHECK_COMPUTE).message(compute.pk).copy(queue_name=queue)
    broker.declare_queue(queue)
    return broker.enqueue(message)
