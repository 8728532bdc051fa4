"""The broker's queues: one for control messages, one per compute for its steps.

Control messages (advance a job, check a compute, reconcile) are short and any worker takes them.
A step attempt is run by a worker that serves the step's compute: its message goes to the queue
of that compute, `studio.steps.<compute name>`, which only such workers consume. A compute's
name never changes (the API refuses it), so neither does its queue.
"""

from __future__ import annotations

CONTROL_QUEUE = "studio"
# Before queues per compute every step went here; a worker serving every compute still drains it.
SHARED_STEPS_QUEUE = "studio.steps"
STEP_QUEUE_PREFIX = SHARED_STEPS_QUEUE + "."


def step_queue(compute_name: str) -> str:
    """The queue of the steps of the compute called `compute_name`."""
    if not compute_name:
        raise ValueError("a step queue needs a compute name")
    return STEP_QUEUE_PREFIX + compute_name


def compute_of_queue(queue_name: str) -> str | None:
    """The compute whose steps `queue_name` carries (its delay queue too), or None."""
    name = queue_name.removesuffix(".DQ").removesuffix(".XQ")
    if name.startswith(STEP_QUEUE_PREFIX):
        return name[len(STEP_QUEUE_PREFIX) :] or None
    return None


def is_step_queue(queue_name: str) -> bool:
    """Whether `queue_name` (or its delay queue) carries step attempts."""
    name = queue_name.removesuffix(".DQ").removesuffix(".XQ")
    return name == SHARED_STEPS_QUEUE or compute_of_queue(name) is not None
