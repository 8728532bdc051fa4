"""Statuses of jobs and steps (Azure ML's names), grouped the way the scheduler asks about them."""

from __future__ import annotations

from django.db import models


class JobStatus(models.TextChoices):
    """Where a pipeline job is."""

    NOT_STARTED = "NotStarted"
    QUEUED = "Queued"
    RUNNING = "Running"
    CANCEL_REQUESTED = "CancelRequested"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"


class StepStatus(models.TextChoices):
    """Where one step of a job is."""

    NOT_STARTED = "NotStarted"
    QUEUED = "Queued"
    PREPARING = "Preparing"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"
    SKIPPED = "Skipped"


class ImageStatus(models.TextChoices):
    """The state of an environment's image (or virtualenv) build."""

    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


JOB_TERMINAL = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED)
JOB_ACTIVE = (JobStatus.NOT_STARTED, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.CANCEL_REQUESTED)
STEP_TERMINAL = (StepStatus.COMPLETED, StepStatus.FAILED, StepStatus.CANCELED, StepStatus.SKIPPED)
STEP_WAITING = (StepStatus.NOT_STARTED, StepStatus.QUEUED)
# Steps that hold a slot of their compute (and maybe GPUs).
STEP_ACTIVE = (StepStatus.PREPARING, StepStatus.RUNNING)
