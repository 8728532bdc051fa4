"""Reading: the stored events of a job, replay after a seq, snapshots, and pruning."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from runner.choices import JOB_TERMINAL
from runner.events.payloads import job_payload, step_payload
from runner.logs import last_seq, log_path
from runner.models import JobEvent, PipelineJob


def current_seq(job_id: int) -> int:
    """The newest event's seq of a job (0 when none, or when the job is gone)."""
    return PipelineJob.objects.filter(pk=job_id).values_list("event_seq", flat=True).first() or 0


def events_after(job_id: int, after: int, limit: int = 1000) -> list[dict]:
    """Frames of the events with seq greater than `after`, oldest first, at most `limit`."""
    rows = JobEvent.objects.filter(job_id=job_id, seq__gt=after).order_by("seq")[:limit]
    return [row.frame() for row in rows]


def replayable(job_id: int, after: int) -> bool:
    """Whether every event after `after` is still stored (else a client needs a snapshot)."""
    newest = current_seq(job_id)
    if after > newest:
        return False  # a seq this job never had
    if after == newest:
        return True
    first = (
        JobEvent.objects.filter(job_id=job_id, seq__gt=after).order_by("seq").values_list("seq", flat=True)
    ).first()
    return first == after + 1


def prune_events(*, days: int) -> int:
    """Delete the events of jobs that ended more than `days` ago; the number deleted.

    Their logs are in the log files and their states in the job and step rows: a browser opening
    such a job gets a snapshot. The job's seq counter stays, so a seq is never used twice.
    """
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    ended = PipelineJob.objects.filter(status__in=JOB_TERMINAL, finished_at__lt=cutoff)
    deleted, _ = JobEvent.objects.filter(job__in=ended.values("pk")).delete()
    return deleted


def snapshot(job_id: int) -> dict | None:
    """The job and its steps now, with the seq of the newest event whose effect they include."""
    # The seq first: a change is committed before its event is, so the state read next
    # includes at least everything up to this seq.
    seq = current_seq(job_id)
    job = PipelineJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    steps = []
    for step in job.steps.select_related("compute", "reused_from__job").order_by("pk"):
        payload = step_payload(step)
        last_log = (
            JobEvent.objects.filter(job_id=job_id, kind=JobEvent.Kind.LOG, step=step.name, seq__lte=seq)
            .order_by("-seq")
            .values_list("payload", flat=True)
            .first()
        )
        payload["log_seq"] = last_log["lines"][-1]["seq"] if last_log and last_log.get("lines") else 0
        if not last_log and job.is_terminal:
            # Its events were pruned (or it never printed): every line in its log was published.
            payload["log_seq"] = last_seq(log_path(job.name, step.name))
        steps.append(payload)
    return {"type": "snapshot", "seq": seq, "job": job_payload(job), "steps": steps}
