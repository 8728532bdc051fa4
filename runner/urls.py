"""Routes of the runner pages."""

from __future__ import annotations

from django.urls import path

from runner import views

app_name = "runner"

urlpatterns = [
    path("jobs/", views.jobs, name="jobs"),
    path("endpoints/", views.endpoints, name="endpoints"),
]
