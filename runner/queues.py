"""The broker's queues: one for control messages, one per compute for its steps, one per compute
for its health checks.

Control messages (advance a job, reconcile) are short and any worker takes them. A compute's
health check runs where its engine is reached from: its message goes to `studio.checks.<compute
name>`, which the control threads of the workers serving that compute consume.
A step attempt is run by a worker that serves the step's compute: its message goes to the queue
of that compute, `studio.steps.<compute name>`, which only such workers consume. A compute's
name never changes (the API refuses it), so neither does its queue.
"""

from __future__ import annotations

CONTROL_QUEUE = "studio"
# Before queues per compute every step went here; a worker serving every compute still drains it.
SHARED_STEPS_QUEUE = "studio.steps"
STEP_QUEUE_PREFIX = SHARED_STEPS_QUEUE + "."
CHECK_QUEUE_PREFIX = "studio.checks."


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


def check_queue(compute_name: str) -> str:
    """The queue of the health checks of the compute called `compute_name`."""
    if not compute_name:
        raise ValueError("a check queue needs a compute name")
    return CHECK_QUEUE_PREFIX + compute_name


def compute_of_check_queue(queue_name: str) -> str | None:
    """The compute whose health checks `queue_name` carries, or None."""
    name = queue_name.removesuffix(".DQ").removesuffix(".XQ")
    if name.startswith(CHECK_QUEUE_PREFIX):
        return name[len(CHECK_QUEUE_PREFIX) :] or None
    return None
