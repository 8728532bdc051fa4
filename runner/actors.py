"""Dramatiq actors: each takes ids, loads, calls the real code, returns. Idempotent.

Control messages (`studio` queue) are short; step attempts block a worker thread for as long as
the step runs, so they have their own threads and a time limit that never fires before the step's
own timeout does. A step attempt's message goes to its compute's queue (`runner.queues`,
`runner.messages.run_step`); `run_step` is declared on the shared steps queue of old.
"""

from __future__ import annotations

import dramatiq

from runner.queues import CONTROL_QUEUE, SHARED_STEPS_QUEUE
from studio.models import Compute

STEPS_QUEUE = SHARED_STEPS_QUEUE
# A step's own timeout stops its container; Dramatiq's limit must never be what does.
STEP_TIME_LIMIT_MS = 30 * 24 * 3600 * 1000
# A step whose compute is full tries again after LATER_DELAY_MS, then twice as long each time, up
# to LATER_MAX_DELAY_MS: a slot that frees up wakes the first waiting step at once
# (`runner.slots.wake_next`), so the messages of a big fan-out's waiting steps need not poll.
LATER_DELAY_MS = 500
LATER_MAX_DELAY_MS = 4000
# A step behind a compute full of its own job's steps is handed a slot by the first of them to end
# (or woken): its message only comes back this late, in case that hand-over is lost. A 1,000-step
# fan-out's waiting messages were ~250 a second at LATER_MAX_DELAY_MS.
HANDED_OVER_DELAY_MS = 15_000


def later_delay_ms(waited: int) -> int:
    """How long a step's message waits before trying again after `waited` tries found no slot."""
    return min(LATER_DELAY_MS * 2 ** min(max(waited, 0), 16), LATER_MAX_DELAY_MS)


@dramatiq.actor(queue_name=CONTROL_QUEUE, max_retries=0)
def check_compute(compute_id: int) -> None:
    """Record whether a compute answers, as seen from this worker's host. Its message comes on the
    compute's check queue (`runner.messages.check_compute`); one for a compute this worker does not
    serve (sent to the control queue) goes to that queue."""
    from runner import messages, serving
    from runner.computes import check_compute_now

    compute = Compute.objects.filter(pk=compute_id).first()
    if compute is None:
        return
    if not serving.current().serves(compute):
        messages.check_compute(compute)
        return
    check_compute_now(compute)


@dramatiq.actor(queue_name=CONTROL_QUEUE, max_retries=5, min_backoff=200, max_backoff=5000)
def advance_job(job_id: int) -> None:
    """Start, reuse, skip or cancel steps of a job and end it when its steps have."""
    from runner.scheduler import advance_job as advance

    advance(job_id)


@dramatiq.actor(queue_name=STEPS_QUEUE, max_retries=0, time_limit=STEP_TIME_LIMIT_MS)
def run_step(step_id: int, waited: int = 0) -> None:
    """Run one attempt of a step; when its compute is full, try again later (`later_delay_ms`;
    a wake-up, `messages.WAKE_UP`, is dropped: the step's own message is still on its way). A
    message for a compute this worker does not serve (sent before queues per compute) goes to its
    queue."""
    from runner import messages, serving, step_runner
    from runner.slots import Later, look

    def again(later: Later) -> None:
        if waited != messages.WAKE_UP:
            delay_ms = HANDED_OVER_DELAY_MS if later.handed_over else later_delay_ms(waited)
            messages.run_step(step_id, delay_ms=delay_ms, waited=waited + 1, compute=later.compute)

    try:
        if not look(step_id):  # taken already, ended, or gone: one read
            return
    except Later as later:  # its compute is full: two reads, no lookups
        again(later)
        return
    compute = Compute.objects.filter(steps__pk=step_id).first()
    if compute is None:
        return
    if not serving.current().serves(compute):
        messages.run_step(step_id, delay_ms=LATER_DELAY_MS, waited=waited)
        return
    try:
        step_runner.run_and_follow(step_id)
    except Later as later:
        again(later)


@dramatiq.actor(queue_name=CONTROL_QUEUE, max_retries=0)
def reconcile() -> None:
    """Repair what lost messages or dead workers left behind."""
    from runner.reconciler import reconcile as repair

    repair()
