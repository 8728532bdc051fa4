"""The runner's wake-ups, sent by actor name: the one place below the actors that sends messages.

The scheduler, a step's attempt and the reconciler wake each other up with messages. Importing
`runner.actors` for its actors' `.send` would make them import the module that calls them (an
import circle); Dramatiq resolves an actor by its name on the broker, so this module only names
them. The actors are declared when the runner app is ready (`runner.apps`), before any message.
"""

from __future__ import annotations

import dramatiq

ADVANCE_JOB = "advance_job"
RUN_STEP = "run_step"
CHECK_COMPUTE = "check_compute"


def send(actor_name: str, *args, delay_ms: int | None = None) -> dramatiq.Message:
    """Send `args` to the actor called `actor_name`, after `delay_ms` milliseconds if given."""
    actor = dramatiq.get_broker().get_actor(actor_name)
    if delay_ms:
        return actor.send_with_options(args=args, delay=delay_ms)
    return actor.send(*args)


def advance_job(job_id: int) -> None:
    """Ask the scheduler to move a job forward (`runner.scheduler.advance_job`)."""
    send(ADVANCE_JOB, job_id)


def run_step(step_id: int, *, delay_ms: int | None = None) -> None:
    """Ask a step thread to run an attempt of a step (`runner.step_runner.run_and_follow`)."""
    send(RUN_STEP, step_id, delay_ms=delay_ms)


def check_compute(compute_id: int) -> None:
    """Ask for a health check of a compute (`runner.computes.check_compute_now`)."""
    send(CHECK_COMPUTE, compute_id)
