"""Server-rendered pages of the studio app: the dashboard and the asset browsers."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from studio.models import Component, Compute, DataAsset, Environment

PAGE_SIZE = 50


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


def _asset_list(request, model, *, title: str, kind: str, cli_noun: str):
    """A searchable, paginated table of one asset type."""
    query = request.GET.get("q", "").strip()
    show_archived = request.GET.get("archived") == "1"
    assets = model.objects.select_related("created_by")
    if not show_archived:
        assets = assets.visible()
    if query:
        assets = assets.filter(name__icontains=query)
    page = Paginator(assets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "studio/asset_list.html",
        {
            "title": title,
            "kind": kind,
            "cli_noun": cli_noun,
            "page": page,
            "query": query,
            "show_archived": show_archived,
        },
    )


def environments(request):
    """Browse environment versions."""
    return _asset_list(request, Environment, title="Environments", kind="environment", cli_noun="environment")


def components(request):
    """Browse component versions."""
    return _asset_list(request, Component, title="Components", kind="component", cli_noun="component")


def data_assets(request):
    """Browse data asset versions."""
    return _asset_list(request, DataAsset, title="Data", kind="data asset", cli_noun="data")


def computes(request):
    """Registered computes with capacity and state."""
    return render(request, "studio/computes.html", {"computes": Compute.objects.all()})
