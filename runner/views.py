"""Pages of the runner: jobs (list and detail) and endpoints."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from runner.actions import request_cancel, rerun
from runner.choices import JobStatus
from runner.logs import tail
from runner.models import PipelineJob

PAGE_SIZE = 50
LOG_TAIL_LINES = 200


def jobs(request):
    """Pipeline jobs, newest first, filterable by status and experiment."""
    status = request.GET.get("status", "")
    experiment = request.GET.get("experiment", "")
    queryset = PipelineJob.objects.select_related("created_by").prefetch_related("steps")
    if status in JobStatus.values:
        queryset = queryset.filter(status=status)
    if experiment:
        queryset = queryset.filter(experiment_name=experiment)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    experiments = PipelineJob.objects.order_by().values_list("experiment_name", flat=True).distinct()
    return render(
        request,
        "runner/jobs.html",
        {
            "page": page,
            "status": status,
            "experiment": experiment,
            "statuses": JobStatus.values,
            "experiments": sorted(set(experiments)),
        },
    )


def job_detail(request, name: str):
    """One job: its steps with status, reuse and outputs, and the end of each step's log."""
    job = get_object_or_404(PipelineJob.objects.select_related("created_by"), name=name)
    steps = list(job.steps.select_related("compute", "environment", "reused_from__job"))
    for step in steps:
        step.log_tail = tail(job.name, step.name, LOG_TAIL_LINES)
        step.component_ref = "{name}:{version}".format(**job.spec["steps"][step.name]["component"])
    return render(request, "runner/job_detail.html", {"job": job, "steps": steps})


@require_POST
def cancel_job(request, name: str):
    """Cancel a job from its page."""
    job = get_object_or_404(PipelineJob, name=name)
    if request_cancel(job):
        messages.success(request, f"Canceling {job.name}: running steps are being stopped.")
    else:
        messages.info(request, f"{job.name} already ended ({job.status}).")
    return redirect("runner:job", name=job.name)


@require_POST
def rerun_job(request, name: str):
    """Submit the same frozen spec again from the job's page."""
    job = rerun(get_object_or_404(PipelineJob, name=name), user=request.user)
    messages.success(request, f"Submitted {job.name}; unchanged steps are reused.")
    return redirect("runner:job", name=job.name)


def endpoints(request):
    """Published pipeline endpoints."""
    return render(request, "runner/endpoints.html")
