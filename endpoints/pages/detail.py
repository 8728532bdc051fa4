"""One endpoint's page: versions and their diff, default version, enable/disable, keys, and the
props of its island (frontend/src/endpoints/): "Try it" with snippets, and the recent runs."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from endpoints import actions
from endpoints.api.serializers import invocation_data
from endpoints.diff import diff_versions
from endpoints.models import EndpointStatus, EndpointVersion, PipelineEndpoint
from endpoints.pages.lookup import find_endpoint, missing, version_number
from endpoints.pages.try_it import data_choices
from endpoints.queries import invocations_listed, versions_listed
from studio.roles import can_change, check_can_change

RECENT_RUNS = 20


def island_props(request, endpoint: PipelineEndpoint, versions: list, chosen: EndpointVersion | None) -> dict:
    """What the endpoint island shows: the chosen version's "Try it" form and the recent runs."""
    pinned = f"?version={chosen.number}" if chosen and chosen.number != endpoint.default_version else ""
    api = request.build_absolute_uri(f"/api/v1/endpoints/{endpoint.name}")
    return {
        "view": "detail",
        "endpoint": endpoint.name,
        "active": endpoint.is_active,
        "defaultVersion": endpoint.default_version,
        "versions": [version.number for version in versions],
        "chosen": {
            "number": chosen.number,
            "parameters": chosen.parameters,
            "experimentName": chosen.experiment_name or "",
            "dataChoices": data_choices(chosen.parameters),
        }
        if chosen is not None
        else None,
        "invokeUrl": f"{api}/runs{pinned}",
        "openapiUrl": f"{api}/openapi.json{pinned}",
        "runsUrl": f"/api/v1/endpoints/{endpoint.name}/invocations/?limit={RECENT_RUNS}",
        "runs": [invocation_data(row, request) for row in invocations_listed(endpoint)[:RECENT_RUNS]],
    }


def _detail(request, endpoint: PipelineEndpoint, *, status: int = 200, **extra):
    versions = list(versions_listed(endpoint))
    by_number = {version.number: version for version in versions}
    wanted = version_number(request.GET.get("version"))
    chosen = by_number.get(wanted) or by_number.get(endpoint.default_version) or next(iter(versions), None)
    older, newer = (versions[1], versions[0]) if len(versions) > 1 else (chosen, chosen)
    pinned = f"?version={chosen.number}" if chosen and chosen.number != endpoint.default_version else ""
    context = {
        "endpoint": endpoint,
        "versions": versions,
        "chosen": chosen,
        "invoke_url": request.build_absolute_uri(f"/api/v1/endpoints/{endpoint.name}/runs") + pinned,
        "openapi_url": request.build_absolute_uri(f"/api/v1/endpoints/{endpoint.name}/openapi.json") + pinned,
        # A key created by this request goes into the snippets, so they run as shown.
        "props": json.dumps(
            {**island_props(request, endpoint, versions, chosen), "apiKey": extra.get("new_secret")}
        ),
        "keys": list(endpoint.keys.select_related("created_by")),
        "diff_a": older,
        "diff_b": newer,
        "key_name": "",
        "may_manage": can_change(request.user, endpoint),
        **extra,
    }
    return render(request, "endpoints/detail.html", context, status=status)


def endpoint_detail(request, name: str):
    """One endpoint: versions, keys, "Try it" with snippets, recent runs (`?version=N` for another
    version's form)."""
    endpoint = find_endpoint(name)
    if endpoint is None:
        return missing(request, name)
    wanted = request.GET.get("version")
    if wanted and not endpoint.versions.filter(number=version_number(wanted) or 0).exists():
        return missing(request, name, f" version {wanted}")
    return _detail(request, endpoint)


def endpoint_diff(request, name: str):
    """What changed between two versions (`?a=N&b=M`): parameters and steps."""
    endpoint = find_endpoint(name)
    if endpoint is None:
        return missing(request, name)
    versions = list(versions_listed(endpoint))
    if not versions:
        return missing(request, name, " version")
    by_number = {version.number: version for version in versions}
    default_b = versions[0]
    default_a = versions[1] if len(versions) > 1 else versions[0]
    picked = []
    for key, fallback in (("a", default_a), ("b", default_b)):
        raw = request.GET.get(key)
        if raw in (None, ""):
            picked.append(fallback)
        elif version_number(raw) in by_number:
            picked.append(by_number[version_number(raw)])
        else:
            return missing(request, name, f" version {raw}")
    a, b = picked
    diff = diff_versions(a, b)
    return render(
        request,
        "endpoints/diff.html",
        {"endpoint": endpoint, "versions": versions, "a": a, "b": b, "diff": diff, "counts": diff.counts()},
    )


# --- changes -------------------------------------------------------------------------------------


def _change(request, name: str, change) -> Any:
    endpoint = PipelineEndpoint.objects.filter(name=name).first()
    if endpoint is None:
        return missing(request, name)
    try:
        text = change(endpoint)
    except actions.EndpointError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, text)
    return redirect("endpoints:detail", name=endpoint.name)


@require_POST
def set_default(request, name: str):
    """Make another version the one that runs."""

    def change(endpoint):
        number = version_number(request.POST.get("version"))
        actions.set_default(endpoint, number, user=request.user)
        return f"Version {number} of {endpoint.name} is now the default: invocations without ?version run it."

    return _change(request, name, change)


@require_POST
def disable(request, name: str):
    """Refuse invocations (409) until enabled again."""

    def change(endpoint):
        actions.set_status(endpoint, EndpointStatus.DISABLED, user=request.user)
        return f"{endpoint.name} is disabled: invocations get 409 until you enable it."

    return _change(request, name, change)


@require_POST
def enable(request, name: str):
    """Take invocations again."""

    def change(endpoint):
        actions.set_status(endpoint, EndpointStatus.ACTIVE, user=request.user)
        return f"{endpoint.name} is enabled and takes invocations."

    return _change(request, name, change)


# --- keys ----------------------------------------------------------------------------------------


@require_POST
def create_key(request, name: str):
    """A new key; its secret is in this one response and never again."""
    endpoint = find_endpoint(name)
    if endpoint is None:
        return missing(request, name)
    key_name = request.POST.get("name", "")
    try:
        key, secret = actions.create_key(endpoint, key_name, user=request.user)
    except actions.EndpointError as error:
        return _detail(request, endpoint, status=400, key_error=str(error), key_name=key_name[:100])
    return _detail(request, endpoint, new_key=key, new_secret=secret)


@require_POST
def revoke_key(request, name: str, key_id: int):
    """Revoke a key of this endpoint: calls with it get 401 from now on."""
    endpoint = PipelineEndpoint.objects.filter(name=name).first()
    key = endpoint.keys.filter(pk=key_id).first() if endpoint else None
    if key is None:
        return missing(request, name, f" key {key_id}")
    if not can_change(request.user, key):  # its creator, the endpoint's owner or an Admin
        check_can_change(request.user, endpoint, f"revoke key {key.name} of endpoint {endpoint.name}")
    actions.revoke_key(key, user=request.user)
    messages.success(request, f"Key “{key.name}” ({key.prefix}…) revoked: calls with it now get 401.")
    return redirect("endpoints:detail", name=endpoint.name)
