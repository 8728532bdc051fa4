"""What the runner's models announce: a job's or a step's status changed.

`PipelineJob.transition` and `StepRun.transition` send these right after their conditional
update moved the row; `runner.events` listens and publishes the live event once the change
commits. The models so know nothing of events, websockets or channel layers.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `job=` (the PipelineJob, its new status and fields set) by PipelineJob.transition.
job_status_changed = Signal()
# Sent with `step=` (the StepRun, its new status and fields set) by StepRun.transition.
step_status_changed = Signal()
