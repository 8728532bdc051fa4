"""Pipeline jobs, their step runs, and built environment images.

The database is the truth: every state change is a conditional update (`transition`), so two
workers, a cancel request and the reconciler can race without ever producing two outcomes.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from pipelines.spec import PipelineSpec
from runner import signals
from runner.choices import JOB_TERMINAL, STEP_TERMINAL, ImageStatus, JobStatus, StepStatus
from studio.models import Compute, Environment

JOB_NAME_WORDS = (
    "amber", "brave", "calm", "dusty", "eager", "fancy", "gentle", "honest", "icy", "jolly",
    "keen", "lucky", "mellow", "nimble", "olive", "plucky", "quiet", "rapid", "shiny", "tidy",
)  # fmt: skip
JOB_NAME_NOUNS = (
    "river", "falcon", "maple", "comet", "harbor", "lantern", "meadow", "pepper", "quartz", "raven",
    "spruce", "tiger", "tulip", "walrus", "willow", "yarrow", "zephyr", "badger", "cedar", "dune",
)  # fmt: skip


# By (id, name): SQLite hands a deleted job's id to the next job, which must not get its spec.
_spec_cache: dict[tuple[int, str], PipelineSpec] = {}
_SPEC_CACHE_SIZE = 256


def _validated_spec(key: tuple[int, str], spec: dict) -> PipelineSpec:
    cached = _spec_cache.get(key)
    if cached is None:
        cached = PipelineSpec.model_validate(spec)
        if len(_spec_cache) >= _SPEC_CACHE_SIZE:
            _spec_cache.pop(next(iter(_spec_cache)))
        _spec_cache[key] = cached
    return cached


def new_job_name() -> str:
    """A readable, unique-enough job name such as `quiet_falcon_7k2m9x`."""
    suffix = "".join(secrets.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(6))
    return f"{secrets.choice(JOB_NAME_WORDS)}_{secrets.choice(JOB_NAME_NOUNS)}_{suffix}"


class PipelineJob(models.Model):
    """One submission of a pipeline: the frozen spec it runs and where it is."""

    name = models.SlugField(max_length=100, unique=True, default=new_job_name)
    display_name = models.CharField(max_length=255, blank=True)
    experiment_name = models.CharField(max_length=255, default="Default", db_index=True)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=dict, blank=True)
    spec = models.JSONField(help_text="The validated PipelineSpec this job runs, frozen at submission")
    status = models.CharField(
        max_length=20, choices=JobStatus.choices, default=JobStatus.NOT_STARTED, db_index=True
    )
    status_reason = models.TextField(blank=True)
    source = models.CharField(max_length=20, default="yaml")
    rerun_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Queued steps start in priority (higher first), then submission order (runner.slots).
    priority = models.SmallIntegerField(default=0, help_text="Higher starts first; -100 to 100")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    event_seq = models.PositiveIntegerField(
        default=0, editable=False, help_text="Sequence number of the newest live event (JobEvent)"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.display_name or self.name

    def get_absolute_url(self) -> str:
        return f"/jobs/{self.name}/"

    @property
    def is_terminal(self) -> bool:
        """Whether the job has ended."""
        return self.status in JOB_TERMINAL

    def pipeline_spec(self) -> PipelineSpec:
        """The frozen spec as a PipelineSpec, validated once per process (it never changes)."""
        cached = _spec_cache.get((self.pk, self.name))
        if cached is not None:
            return cached  # without touching self.spec: a job loaded with defer("spec") needs no query
        return _validated_spec((self.pk, self.name), self.spec)

    def transition(self, expected: tuple[str, ...], new: str, **fields) -> bool:
        """Move to `new` only if the status is still one of `expected`; True when it moved."""
        now = timezone.now()
        if new in JOB_TERMINAL:
            fields.setdefault("finished_at", now)
        if new == JobStatus.RUNNING:
            fields.setdefault("started_at", now)
        moved = PipelineJob.objects.filter(pk=self.pk, status__in=expected).update(status=new, **fields)
        if moved:
            self.status = new
            for key, value in fields.items():
                setattr(self, key, value)
            signals.job_status_changed.send(sender=PipelineJob, job=self)  # a live event, on commit
        return bool(moved)


class StepRun(models.Model):
    """One step of a job: the container (or process) that ran its component, or the reuse of one."""

    job = models.ForeignKey(PipelineJob, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=20, choices=StepStatus.choices, default=StepStatus.NOT_STARTED, db_index=True
    )
    status_reason = models.TextField(blank=True)
    compute = models.ForeignKey(
        Compute, null=True, blank=True, on_delete=models.PROTECT, related_name="steps"
    )
    environment = models.ForeignKey(
        Environment, null=True, blank=True, on_delete=models.PROTECT, related_name="step_runs"
    )
    attempt = models.PositiveIntegerField(default=0, help_text="Attempts started so far")
    max_retries = models.PositiveIntegerField(default=0)
    exit_code = models.IntegerField(null=True, blank=True)
    image = models.CharField(max_length=300, blank=True)
    container_id = models.CharField(max_length=100, blank=True)
    process_id = models.IntegerField(null=True, blank=True)
    worker_id = models.CharField(max_length=100, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    gpu_ids = models.JSONField(default=list, blank=True)
    reuse_key = models.CharField(max_length=64, blank=True, db_index=True)
    reuse_parts = models.JSONField(default=dict, blank=True)
    reuse_note = models.CharField(max_length=300, blank=True)
    reused_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outputs = models.JSONField(default=dict, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "pk"]
        constraints = [models.UniqueConstraint(fields=["job", "name"], name="steprun_job_name_unique")]

    def __str__(self) -> str:
        return f"{self.job.name}/{self.name}"

    @property
    def is_terminal(self) -> bool:
        """Whether the step has ended."""
        return self.status in STEP_TERMINAL

    @property
    def spec(self) -> dict:
        """This step's part of the job's frozen PipelineSpec."""
        return self.job.spec["steps"][self.name]

    def transition(
        self, expected: tuple[str, ...], new: str, *, unless_canceling: bool = False, **fields
    ) -> bool:
        """Move to `new` only if the status is still one of `expected`; True when it moved.

        `unless_canceling`: and only while its job is not being canceled (checked in the same
        statement, so a cancel is either before it and wins, or after it)."""
        now = timezone.now()
        if new in STEP_TERMINAL:
            fields.setdefault("finished_at", now)
        if new == StepStatus.QUEUED:
            fields.setdefault("queued_at", now)
        if new == StepStatus.RUNNING:
            fields.setdefault("started_at", now)
        rows = StepRun.objects.filter(pk=self.pk, status__in=expected)
        if unless_canceling:  # NOT EXISTS in the UPDATE itself (an exclude() makes it `id IN (a join)`)
            canceling = PipelineJob.objects.filter(
                pk=models.OuterRef("job_id"), status=JobStatus.CANCEL_REQUESTED
            )
            rows = rows.filter(~models.Exists(canceling))
        moved = rows.update(status=new, **fields)
        if moved:
            self.status = new
            for key, value in fields.items():
                setattr(self, key, value)
            signals.step_status_changed.send(sender=StepRun, step=self)  # a live event, on commit
        return bool(moved)


class GpuLease(models.Model):
    """One GPU of one engine held by one attempt of a step: unique per (engine, device), so two
    computes on the same engine never hand out the same GPU (runner.gpu_leases takes and frees them)."""

    engine = models.CharField(max_length=300, help_text="An identity of the engine (gpu_leases.engine_keys)")
    device = models.CharField(max_length=100)
    step = models.ForeignKey(StepRun, on_delete=models.CASCADE, related_name="gpu_leases")
    attempt = models.PositiveIntegerField()
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engine", "device"], name="gpulease_engine_device_unique")
        ]

    def __str__(self) -> str:
        return f"GPU {self.device} of {self.engine}: step {self.step_id} attempt {self.attempt}"


class JobEvent(models.Model):
    """One live event of a job, kept for replay: a websocket reconnecting with `?after=` misses nothing.

    `seq` counts from 1 per job without gaps (allocated from `PipelineJob.event_seq` in the same
    transaction that stores the row); the payload is what the websocket frame carries besides
    `type` and `seq`.
    """

    class Kind(models.TextChoices):
        JOB = "job"
        STEP = "step"
        LOG = "log"
        METRIC = "metric"

    job = models.ForeignKey(PipelineJob, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    step = models.CharField(max_length=255, blank=True, help_text="The step's name; blank for job events")
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["job", "seq"]
        # The unique constraint's index also serves every lookup by (job, seq).
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="jobevent_job_seq_unique")]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.seq} {self.kind}"

    def frame(self) -> dict:
        """The websocket frame of this event: `{"type": kind, "seq": n, "at": time, ...payload}`."""
        return {**self.payload, "type": self.kind, "seq": self.seq, "at": self.created_at.isoformat()}


class EnvironmentImage(models.Model):
    """The built form of an environment on one target: a Docker image on an engine, or a virtualenv."""

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="images")
    target = models.CharField(max_length=300, help_text="`venv`, or the Docker engine URL ('' = default)")
    tag = models.CharField(max_length=300, help_text="Image tag, or the virtualenv path")
    status = models.CharField(max_length=16, choices=ImageStatus.choices, default=ImageStatus.BUILDING)
    log = models.TextField(blank=True)
    error = models.TextField(blank=True)
    builds = models.PositiveIntegerField(default=0, help_text="How many times it was actually built")
    builder = models.CharField(max_length=100, blank=True, help_text="The worker building it (host:pid)")
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The builder's last sign of life: a build silent for STUDIO_HEARTBEAT_TIMEOUT_SECONDS "
        "lost its worker and is taken over",
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["environment", "target"], name="envimage_env_target_unique")
        ]

    def __str__(self) -> str:
        return f"{self.environment} on {self.target or 'docker'}: {self.status}"


# Worker announcements and the host of each local compute (issue #14): their own module.
from runner.worker_models import LocalComputeHost, WorkerPresence  # noqa: E402, F401
