"""The dashboard: asset counts, computes and their state, recent jobs."""

from __future__ import annotations

from django.shortcuts import render

from runner.models import PipelineJob
from studio.models import Component, Compute, DataAsset, Environment


def dashboard(request):
    """Asset counts, computes and their state, and recent jobs."""
    counts = [
        ("Environments", Environment.objects.visible().count(), "studio:environments"),
        ("Components", Component.objects.visible().count(), "studio:components"),
        ("Data assets", DataAsset.objects.visible().count(), "studio:data"),
        ("Computes", Compute.objects.count(), "studio:computes"),
    ]
    recent_jobs = PipelineJob.objects.defer("spec").order_by("-created_at")[:10]  # no megabytes
    return render(
        request,
        "studio/dashboard.html",
        {"counts": counts, "computes": Compute.objects.all(), "recent_jobs": recent_jobs},
    )
