"""The rows of job lists (the jobs page, `/api/v1/jobs/` and its summaries), cheap at any size.

A row shows a job's status, who, when, how long, where and how many steps in which status. It
never loads what it does not show: not the job's spec (about 1 KB a step, so megabytes for a big
job) and not its steps one by one (a job may have 10,000): the steps are counted by the database,
a constant number of queries for a whole page of jobs.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count
from django.utils import timezone

from runner.models import PipelineJob, StepRun


def row_queryset(queryset=None):
    """Jobs loaded as their rows need them: creator joined, spec left in the database."""
    queryset = PipelineJob.objects.all() if queryset is None else queryset
    return queryset.select_related("created_by").defer("spec")


def job_duration(job: PipelineJob, now=None) -> float | None:
    """Seconds the job ran (so far, while running); None before it started."""
    if job.started_at is None:
        return None
    end = job.finished_at or now or timezone.now()
    return max(0.0, (end - job.started_at).total_seconds())


def job_rows(jobs, now=None, *, detail: bool = False) -> list[dict]:
    """One row per job of `jobs` (loaded with `row_queryset`), in their order.

    `detail` adds the description, tags and source (the REST list's fields beyond the page's).
    """
    jobs = list(jobs)
    ids = [job.pk for job in jobs]
    statuses: dict[int, dict[str, int]] = defaultdict(dict)
    counted = (
        StepRun.objects.filter(job_id__in=ids)
        .order_by()
        .values("job_id", "status")
        .annotate(count=Count("pk"))
        .values_list("job_id", "status", "count")
    )
    for job_id, status, count in counted:
        statuses[job_id][status] = count
    computes: dict[int, set[str]] = defaultdict(set)
    used = (
        StepRun.objects.filter(job_id__in=ids, compute__isnull=False)
        .order_by()
        .values_list("job_id", "compute__name")
        .distinct()
    )
    for job_id, compute in used:
        computes[job_id].add(compute)
    now = now or timezone.now()
    rows = []
    for job in jobs:
        row = _row(job, statuses[job.pk], sorted(computes[job.pk]), now)
        if detail:
            row.update(description=job.description, tags=job.tags, source=job.source)
        rows.append(row)
    return rows


def _row(job: PipelineJob, statuses: dict[str, int], computes: list[str], now) -> dict:
    return {
        "id": job.name,
        "name": job.name,
        "display_name": job.display_name,
        "experiment_name": job.experiment_name,
        "status": job.status,
        "status_reason": job.status_reason[:300],
        "created_by": job.created_by.username if job.created_by_id and job.created_by else None,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "duration": job_duration(job, now),
        "computes": computes,
        "steps": sum(statuses.values()),
        "step_statuses": statuses,
        "url": job.get_absolute_url(),
    }
