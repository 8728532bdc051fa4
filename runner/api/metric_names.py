"""`GET /api/v1/jobs/metric-names/`: the metric names recent jobs reported, for the jobs list's
metric column picker (`runner.metrics`)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from runner import metrics
from runner.models import PipelineJob, StepRun

DEFAULT_JOBS = 100
MAX_JOBS = 500


@extend_schema(
    operation_id="v1_jobs_metric_names_retrieve",
    parameters=[
        OpenApiParameter("jobs", int, description=f"How many recent jobs to read (at most {MAX_JOBS})")
    ],
    responses={200: OpenApiTypes.OBJECT},
)
@api_view(["GET"])
def metric_names(request):
    """The distinct metric names of the newest jobs' steps: `{"names": [sorted], "counts": {name:
    number of those jobs that reported it}, "jobs": how many jobs were read}`."""
    try:
        limit = min(max(1, int(request.query_params.get("jobs", DEFAULT_JOBS))), MAX_JOBS)
    except ValueError:
        return Response(
            {"detail": "jobs must be a whole number", "errors": {"jobs": ["not a number"]}}, status=400
        )
    recent = list(PipelineJob.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)[:limit])
    seen: dict[str, set[int]] = {}
    for step in metrics.steps_for_metrics(StepRun.objects.filter(job_id__in=recent)):
        for name, values in metrics.metrics_of(step).items():
            if values:
                seen.setdefault(name, set()).add(step.job_id)
    names = sorted(seen)
    return Response(
        {"names": names, "counts": {name: len(seen[name]) for name in names}, "jobs": len(recent)}
    )
