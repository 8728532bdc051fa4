"""Pages of the runner: jobs and endpoints."""

from __future__ import annotations

from django.shortcuts import render


def jobs(request):
    """Pipeline jobs, newest first."""
    return render(request, "runner/jobs.html")


def endpoints(request):
    """Published pipeline endpoints."""
    return render(request, "runner/endpoints.html")
