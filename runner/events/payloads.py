"""Payloads: what a UI shows of a job and of a step, as event frames carry it."""

from __future__ import annotations

from runner.models import PipelineJob, StepRun


def _time(value) -> str | None:
    return value.isoformat() if value else None


def job_payload(job: PipelineJob) -> dict:
    """What a UI shows of a job."""
    return {
        "job": job.name,
        "display_name": job.display_name,
        "status": job.status,
        "status_reason": job.status_reason,
        "created_at": _time(job.created_at),
        "started_at": _time(job.started_at),
        "finished_at": _time(job.finished_at),
    }


def step_state(step: StepRun) -> dict:
    """A step's fields as they are now, without queries (names are resolved by `resolve_step_state`)."""
    compute = step.compute.name if StepRun.compute.is_cached(step) and step.compute else None
    reused_from = None
    original = step.reused_from if StepRun.reused_from.is_cached(step) else None
    if original is not None and StepRun.job.is_cached(original):
        reused_from = f"{original.job.name}/{original.name}"
    return {
        "step": step.name,
        "display_name": step.display_name,
        "status": step.status,
        "status_reason": step.status_reason,
        "attempt": step.attempt,
        "max_retries": step.max_retries,
        "exit_code": step.exit_code,
        "compute": compute,
        "compute_id": step.compute_id,
        "reused_from": reused_from,
        "reused_from_id": step.reused_from_id,
        "reuse_note": step.reuse_note,
        "outputs": {
            name: {key: info.get(key) for key in ("type", "hash", "size")}
            for name, info in (step.outputs or {}).items()
            if isinstance(info, dict)
        },
        "queued_at": _time(step.queued_at),
        "started_at": _time(step.started_at),
        "finished_at": _time(step.finished_at),
        "next_attempt_at": _time(step.next_attempt_at),
    }


def resolve_step_state(state: dict) -> dict:
    from studio.models import Compute

    payload = dict(state)
    compute_id = payload.pop("compute_id")
    if payload["compute"] is None and compute_id:
        payload["compute"] = Compute.objects.filter(pk=compute_id).values_list("name", flat=True).first()
    reused_from_id = payload.pop("reused_from_id")
    if payload["reused_from"] is None and reused_from_id:
        original = StepRun.objects.filter(pk=reused_from_id).values_list("job__name", "name").first()
        payload["reused_from"] = f"{original[0]}/{original[1]}" if original else None
    return payload


def step_payload(step: StepRun) -> dict:
    """What a UI shows of a step."""
    return resolve_step_state(step_state(step))
