"""What the "Try it" form of an endpoint version needs: its parameters and the data assets its data
parameters may take. The form itself is frontend/src/endpoints/try-it.tsx; it calls the REST API
(`POST /api/v1/endpoints/<name>/runs`) with the session, so it behaves exactly as a client.
"""

from __future__ import annotations

from typing import Any

from studio.models import DataAsset


def data_choices(parameters: list[dict[str, Any]]) -> dict[str, dict[str, list[str]]]:
    """For each data parameter's type: the data asset names of that type and their versions, newest
    first."""
    wanted = {p["type"] for p in parameters if p.get("kind") == "data"}
    if not wanted:
        return {}
    by_type: dict[str, dict[str, list[str]]] = {kind: {} for kind in wanted}
    rows = (
        DataAsset.objects.visible()
        .filter(data_type__in=wanted)
        .order_by("name", "-created_at", "-pk")
        .values_list("data_type", "name", "version")
    )
    for kind, name, version in rows:
        by_type[kind].setdefault(name, []).append(version)
    return by_type
