"""Business actions on jobs: submit, cancel, rerun. Each is atomic and wakes actors on commit."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from pipelines.spec import PipelineSpec
from runner import messages
from runner.choices import JOB_ACTIVE, JobStatus
from runner.events import recording
from runner.models import PipelineJob, StepRun
from studio import audit
from studio.models import Compute, Environment


@transaction.atomic
def submit_pipeline(
    spec: PipelineSpec,
    *,
    user=None,
    name: str | None = None,
    source: str = "yaml",
    rerun_of=None,
    actor_label: str = "",
    audit_source: str = "",
    priority: int = 0,
) -> PipelineJob:
    """Store a job with its frozen spec and one StepRun per step, then wake the scheduler. The audit
    log gets job.submit (job.rerun for a rerun) by `user`, or by `actor_label` (an endpoint key)."""
    fields = {
        "display_name": spec.display_name,
        "experiment_name": spec.experiment_name or "Default",
        "description": spec.description,
        "tags": dict(spec.tags),
        "spec": spec.model_dump(mode="json"),
        "source": source,
        "rerun_of": rerun_of,
        "created_by": user if getattr(user, "is_authenticated", False) else None,
        "status": JobStatus.QUEUED,
        "priority": priority,  # queued steps start in priority, then submission order
    }
    job = PipelineJob.objects.create(name=name, **fields) if name else PipelineJob.objects.create(**fields)
    computes = {c.name: c for c in Compute.objects.filter(name__in={s.compute for s in spec.steps.values()})}
    environments = {
        e.pk: e
        for e in Environment.objects.filter(pk__in={s.component.environment_id for s in spec.steps.values()})
    }
    StepRun.objects.bulk_create(
        StepRun(
            job=job,
            name=step_name,
            display_name=step.display_name or step.component.spec.get("display_name") or step_name,
            compute=computes.get(step.compute),
            environment=environments.get(step.component.environment_id),
            max_retries=step.retry_settings.max_retries,
        )
        for step_name, step in spec.steps.items()
    )
    audit.record(
        user,
        "job.rerun" if rerun_of is not None else "job.submit",
        job,
        actor_label=actor_label,
        source=audit_source,
        via=source,
        rerun_of=rerun_of.name if rerun_of is not None else None,
        endpoint=spec.tags.get("endpoint") if source == "endpoint" else None,
    )
    recording.job_changed(job)  # live event: the job is Queued (steps are in the snapshot)
    transaction.on_commit(partial(messages.advance_job, job.pk))
    return job


@transaction.atomic
def request_cancel(
    job: PipelineJob,
    *,
    reason: str = "canceled by request",
    user=None,
    actor_label: str = "",
    audit_source: str = "",
) -> bool:
    """Ask a job to stop: the steps that have not started are canceled now (a few queries however
    many there are), running ones are stopped by their step threads, and the scheduler ends the
    job. False when it had ended. The audit log gets job.cancel by `user` (or `actor_label`)."""
    from runner.scheduler import cancel_waiting_steps

    moved = job.transition(
        tuple(s for s in JOB_ACTIVE if s != JobStatus.CANCEL_REQUESTED),
        JobStatus.CANCEL_REQUESTED,
        status_reason=reason,
    )
    if moved:
        cancel_waiting_steps(job)
        audit.record(user, "job.cancel", job, actor_label=actor_label, source=audit_source)
        transaction.on_commit(partial(messages.advance_job, job.pk))
    return moved or job.status == JobStatus.CANCEL_REQUESTED


def rerun(job: PipelineJob, *, user=None) -> PipelineJob:
    """Submit the same frozen spec again (steps may be reused)."""
    return submit_pipeline(PipelineSpec.model_validate(job.spec), user=user, source="rerun", rerun_of=job)
