"""Pages of the runner: jobs (list and detail)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from runner.actions import request_cancel, rerun
from runner.api.jobs import search_jobs
from runner.choices import JobStatus
from runner.job_graph import component_label, job_graph, job_parameters
from runner.job_rows import job_rows, row_queryset
from runner.logs import tail
from runner.models import PipelineJob
from runner.rerun_parameters import rerun_parameters
from studio.roles import ADMIN, MEMBER, can_change, check_can_change, check_can_write, role_of

PAGE_SIZE = 50
LOG_TAIL_LINES = 200


def jobs(request):
    """Pipeline jobs, newest first, filterable by status, experiment and words; live in the browser.

    The table rendered here is what a browser without JavaScript sees; the `jobs` island
    (view "list") replaces it and keeps the statuses current (`/api/v1/jobs/summaries/`).
    """
    status = request.GET.get("status", "")
    experiment = request.GET.get("experiment", "")
    search = request.GET.get("q", "").strip()[:200]
    queryset = row_queryset()
    statuses = [part for part in status.split(",") if part in JobStatus.values]
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    if experiment:
        queryset = queryset.filter(experiment_name=experiment)
    if search:
        queryset = search_jobs(queryset, search)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    experiments = sorted(
        set(PipelineJob.objects.order_by().values_list("experiment_name", flat=True).distinct())
    )
    now = timezone.now()
    rows = job_rows(page.object_list, now)
    props = {
        "view": "list",
        "filters": {"status": status, "experiment": experiment, "q": search, "page": page.number},
        "statuses": JobStatus.values,
        "experiments": experiments,
        "pageSize": PAGE_SIZE,
        "initial": {
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "results": rows,
            "now": now.isoformat(),
        },
    }
    return render(
        request,
        "runner/jobs.html",
        {
            "page": page,
            "rows": list(zip(page.object_list, rows, strict=True)),
            "status": status,
            "experiment": experiment,
            "q": search,
            "query": search,
            "statuses": JobStatus.values,
            "experiments": experiments,
            "props": json.dumps(props),
        },
    )


def job_detail(request, name: str):
    """One job: the live graph, logs and outputs (the `jobs` island, view "run").

    The steps with status, reuse, outputs and the end of each log are also rendered here, for a
    browser without JavaScript; the island replaces them.
    """
    job = get_object_or_404(PipelineJob.objects.select_related("created_by"), name=name)
    steps = list(job.steps.select_related("compute", "environment", "reused_from__job"))
    for step in steps:
        step.log_tail = tail(job.name, step.name, LOG_TAIL_LINES)
        step.component_ref = component_label(job.spec["steps"][step.name]["component"])
    props = {
        "view": "run",
        "job": job.name,
        "displayName": job.display_name,
        "experiment": job.experiment_name,
        "description": job.description,
        "createdBy": job.created_by.username if job.created_by else None,
        "source": job.source,
        "rerunOf": job.rerun_of.name if job.rerun_of_id and job.rerun_of else None,
        "graph": job_graph(job.spec),
        "parameters": job_parameters(job.spec),
        "rerunParameters": rerun_parameters(job.spec),
        "warnings": job.spec.get("warnings", []),
        "csrfToken": get_token(request),
        "urls": {
            "jobs": reverse("runner:jobs"),
            "cancel": f"/api/v1/jobs/{job.name}/cancel/",
            "rerun": reverse("runner:rerun-job", args=[job.name]),
            "rerunApi": f"/api/v1/jobs/{job.name}/rerun/",
            "clone": reverse("designer:clone-job", args=[job.name]),
            "publish": f"/endpoints/publish/?job={job.name}",
            "socket": f"/ws/jobs/{job.name}/",
            "api": f"/api/v1/jobs/{job.name}/",
        },
    }
    # The island shows a button only when its url is there: none a user may not use.
    if not can_change(request.user, job):
        del props["urls"]["cancel"]
    if role_of(request.user) not in (MEMBER, ADMIN):
        for action in ("rerun", "rerunApi", "clone", "publish"):
            del props["urls"][action]
    return render(request, "runner/job_detail.html", {"job": job, "steps": steps, "props": json.dumps(props)})


@require_POST
def cancel_job(request, name: str):
    """Cancel a job from its page."""
    job = get_object_or_404(PipelineJob, name=name)
    check_can_change(request.user, job, f"cancel job {job.name}")
    if request_cancel(job, user=request.user):
        messages.success(request, f"Canceling {job.name}: running steps are being stopped.")
    else:
        messages.info(request, f"{job.name} already ended ({job.status}).")
    return redirect("runner:job", name=job.name)


@require_POST
def rerun_job(request, name: str):
    """Submit the same frozen spec again from the job's page (a new job, the user's own)."""
    check_can_write(request.user, "rerun a job")
    job = rerun(get_object_or_404(PipelineJob, name=name), user=request.user)
    messages.success(request, f"Submitted {job.name}; unchanged steps are reused.")
    return redirect("runner:job", name=job.name)
