"""Routes of the runner API under /api/v1/."""

from __future__ import annotations

from django.urls import path, register_converter
from rest_framework.routers import SimpleRouter

from runner.api.artifacts import step_artifact_file, step_artifacts
from runner.api.computes import ComputeViewSet
from runner.api.jobs import JobViewSet
from runner.api.metric_names import metric_names
from runner.api.metrics import job_metrics
from runner.api.snapshots import upload_snapshot
from runner.api.tables import step_output_table


class StepNameConverter:
    """A step's name: letters, digits and '_', qualified with '.' inside pipeline components."""

    regex = r"[A-Za-z0-9_.]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(StepNameConverter, "step")

router = SimpleRouter(trailing_slash=True)
router.register("computes", ComputeViewSet, basename="compute")
router.register("jobs", JobViewSet, basename="job")

urlpatterns = [
    path("snapshots/", upload_snapshot, name="snapshot-upload"),
    path("jobs/metric-names/", metric_names, name="job-metric-names"),  # before the router's jobs/<name>/
    path("jobs/<slug:name>/metrics/", job_metrics, name="job-metrics"),
    # A file path, so no trailing slash (the router's routes all have one).
    path(
        "jobs/<slug:name>/steps/<step:step>/outputs/<slug:output>/<path:path>",
        JobViewSet.as_view({"get": "download"}),
        name="job-output-file",
    ),
    path("jobs/<slug:name>/steps/<step:step>/table/", step_output_table, name="job-step-table"),
    path("jobs/<slug:name>/steps/<step:step>/artifacts/", step_artifacts, name="job-step-artifacts"),
    path(
        "jobs/<slug:name>/steps/<step:step>/artifacts/<path:path>",
        step_artifact_file,
        name="job-step-artifact-file",
    ),
    *router.urls,
]
