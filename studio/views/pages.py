"""Server-rendered pages of the studio app: the dashboard (asset pages: assets.py, computes.py)."""

from __future__ import annotations

from django.shortcuts import render

from studio.models import Component, Compute, DataAsset, Environment


def dashboard(request):
    """Asset counts, computes and their state, and recent jobs."""
    from django.apps import apps

    counts = [
        ("Environments", Environment.objects.visible().count(), "studio:environments"),
        ("Components", Component.objects.visible().count(), "studio:components"),
        ("Data assets", DataAsset.objects.visible().count(), "studio:data"),
        ("Computes", Compute.objects.count(), "studio:computes"),
    ]
    recent_jobs = apps.get_app_config("runner").recent_jobs(limit=10)
    return render(
        request,
        "studio/dashboard.html",
        {"counts": counts, "computes": Compute.objects.all(), "recent_jobs": recent_jobs},
    )
