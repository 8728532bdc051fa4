"""Pages that register assets from the browser: a data upload, an environment form, component YAML.

Each page is a form island (frontend/src/assets/) that posts to the same REST route the CLI uses
(`POST /api/v1/<kind>/`), so validation and its messages are the registry's own. The pages only
say who may use them: a Viewer may not register anything.
"""

from __future__ import annotations

import json

from django.shortcuts import render
from django.urls import reverse

from studio.roles import check_can_write
from studio.views.assets import COMPONENTS, DATA, ENVIRONMENTS, AssetKind

INTRO = {
    "data": "Upload a file (a CSV, say) or a whole folder. It is stored content-addressed as a new "
    "version, and shows up in the designer's palette under Datasets.",
    "environment": "A base image with conda and pip packages and environment variables, or a Dockerfile. "
    "The image is built the first time a step needs it, and reused by every step after that.",
    "component": "An Azure ML v2 command component (type: command), written here or loaded from a file, "
    "with its code folder when it has code: ./src. Problems name the line and the field.",
}


def _new_asset_page(request, kind: AssetKind, island_kind: str):
    check_can_write(request.user, f"register a {kind.noun}")
    list_url = reverse(kind.list_url)
    props = {"kind": island_kind, "detailBase": list_url}
    return render(
        request,
        "studio/asset_new.html",
        {
            "kind": kind,
            "title": f"New {kind.noun}",
            "intro": INTRO[island_kind],
            "list_url": list_url,
            "props": json.dumps(props),
        },
    )


def new_data_asset(request):
    """Upload a file or folder as a data asset."""
    return _new_asset_page(request, DATA, "data")


def new_environment(request):
    """Register an environment from a form or a Dockerfile."""
    return _new_asset_page(request, ENVIRONMENTS, "environment")


def new_component(request):
    """Register a component from YAML written or uploaded in the browser."""
    return _new_asset_page(request, COMPONENTS, "component")
