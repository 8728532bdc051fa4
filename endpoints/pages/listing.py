"""The list of published endpoints."""

from __future__ import annotations

from django.shortcuts import render

from endpoints.queries import endpoints_with_activity


def endpoint_list(request):
    """Published endpoints with status, default version, last run and runs today."""
    return render(request, "endpoints/list.html", {"endpoints": endpoints_with_activity()})
