"""Finding what a page names: an endpoint (with its activity), a version number; the friendly 404."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from endpoints.models import PipelineEndpoint
from endpoints.queries import endpoints_with_activity
from studio.views.assets import not_found


def find_endpoint(name: str) -> PipelineEndpoint | None:
    """The endpoint called `name` with its activity (last run, runs today), or None."""
    return endpoints_with_activity().filter(name=name).first()


def missing(request, name: str, what: str = ""):
    """The 404 page of an endpoint (or of `what` of it) that does not exist."""
    return not_found(
        request,
        f"There is no endpoint {name}{what}.",
        back_url=reverse("endpoints:list"),
        back_label="All endpoints",
    )


def version_number(raw: Any) -> int | None:
    """A version number from a query or form value; None when it is not one."""
    text = str(raw or "").strip()
    return int(text) if text.isdigit() else None
