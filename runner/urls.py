"""Routes of the runner pages."""

from __future__ import annotations

from django.urls import path

from runner import compare_views, views

app_name = "runner"

urlpatterns = [
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/compare/", compare_views.compare_jobs, name="compare-jobs"),
    path("jobs/<slug:name>/", views.job_detail, name="job"),
    path("jobs/<slug:name>/cancel/", views.cancel_job, name="cancel-job"),
    path("jobs/<slug:name>/rerun/", views.rerun_job, name="rerun-job"),
]
