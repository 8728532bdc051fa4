"""REST views of step metrics (`runner.metrics`): a job's series, and a metric column for job lists."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from runner import metrics
from runner.events.reading import current_seq
from runner.models import PipelineJob


@extend_schema(
    operation_id="v1_jobs_metrics_retrieve",
    parameters=[OpenApiParameter("step", str, description="Only this step")],
    responses={200: OpenApiTypes.OBJECT},
)
@api_view(["GET"])
def job_metrics(request, name: str):
    """The metric series of every step of a job, and each series' newest value.

    `{"job", "seq", "steps": {step: {"metrics": {name: [{"value", "t", "step"?}]}, "last":
    {name: value}}}}`, series in time order (`t`: unix time of the log line, or of the
    `metrics.json` file). `seq` is the job's newest event when this was read: live `metric` events
    after it are new; ones at or before it may repeat points this answer has.
    """
    job = get_object_or_404(PipelineJob.objects.defer("spec"), name=name)  # polled: never the spec
    seq = current_seq(job.pk)  # first: what is read next includes at least the events up to it
    wanted = request.query_params.get("step")
    steps = metrics.steps_for_metrics(job.steps.order_by("pk"))
    if wanted:
        steps = steps.filter(name=wanted)
        if not steps.exists():
            return Response(
                {"detail": f"job {job.name} has no step {wanted!r}", "errors": {"step": ["not found"]}},
                status=404,
            )
    body = {}
    for step in steps:
        series = metrics.metrics_of(step)
        body[step.name] = {"metrics": series, "last": metrics.last_values(series)}
    return Response({"job": job.name, "seq": seq, "steps": body})


def with_metric_column(request, response: Response) -> Response:
    """Add `"metric": {"name", "value", "step"} | null` to each job of a job-list response when the
    request says `?metric=NAME` (the newest value of that metric in any of the job's steps)."""
    name = request.query_params.get("metric")
    if not name or response.status_code != 200:
        return response
    data = response.data
    rows = data.get("results") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        return response
    names = [row.get("name") or row.get("id") for row in rows if isinstance(row, dict)]
    values = metrics.last_metric(PipelineJob.objects.filter(name__in=names), name)
    for row in rows:
        if not isinstance(row, dict):
            continue
        found = values.get(row.get("name") or row.get("id"))
        row["metric"] = {"name": name, "value": found["value"], "step": found["step"]} if found else None
    return response
