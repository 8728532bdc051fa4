"""Pages of published pipeline endpoints: the list, one endpoint (versions and their diff, default
version, enable/disable, keys, a "Try it" form with curl and Python snippets, recent runs kept live
by static/js/endpoints.js), and the publish form used by the designer and the job page.

Every change goes through endpoints.actions, like the REST API; the "Try it" form itself calls the
REST API (`POST /api/v1/endpoints/<name>/runs`) with the session, so it behaves exactly as a client.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from endpoints import actions
from endpoints.diff import diff_versions
from endpoints.models import EndpointStatus, PipelineEndpoint
from endpoints.queries import endpoints_with_activity, invocations_listed, versions_listed
from pipelines.graph import GraphError
from studio.schemas.loading import DefinitionError
from studio.views.assets import not_found

KEY_PLACEHOLDER = "<YOUR-KEY>"
RECENT_RUNS = 20
SAMPLE_VALUES = {"integer": 1, "number": 0.5, "boolean": True, "string": "text"}


# --- queries -------------------------------------------------------------------------------------


def _endpoint(name: str) -> PipelineEndpoint | None:
    return endpoints_with_activity().filter(name=name).first()


def _missing(request, name: str, what: str = ""):
    return not_found(
        request,
        f"There is no endpoint {name}{what}.",
        back_url=reverse("endpoints:list"),
        back_label="All endpoints",
    )


def _version_number(raw: Any) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() else None


# --- snippets ------------------------------------------------------------------------------------


def example_body(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    """An invocation body naming every parameter: defaults where there are, samples elsewhere."""
    values: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for parameter in parameters:
        if parameter.get("kind") == "data":
            asset = (parameter.get("default_binding") or {}).get("asset") or ""
            name, _, version = asset.partition(":")
            if name:
                data[parameter["name"]] = {"DataAssetName": name, **({"Version": version} if version else {})}
            continue
        value = parameter.get("default")
        if value is None:
            if parameter.get("optional"):
                continue
            if parameter.get("enum"):
                value = parameter["enum"][0]
            elif parameter.get("min") is not None:
                value = parameter["min"]
            else:
                value = SAMPLE_VALUES.get(parameter.get("type"), "text")
        values[parameter["name"]] = value
    body: dict[str, Any] = {}
    if values:
        body["ParameterAssignments"] = values
    if data:
        body["DataPathAssignments"] = data
    return body


def python_literal(value: Any, indent: int = 0) -> str:
    """A JSON value written as Python source (True/False/None), dicts one key a line."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}    {json.dumps(str(k))}: {python_literal(v, indent + 4)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(item, indent) for item in value) + "]"
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    return json.dumps(value, ensure_ascii=False)


def snippets(url: str, body: dict[str, Any]) -> dict[str, str]:
    """curl and Python (requests) calls of `url` with `body`, the key left as a placeholder.

    static/js/endpoints.js writes the same text when the "Try it" values change; keep them alike.
    """
    data = json.dumps(body, indent=2, ensure_ascii=False).replace("'", "'\\''")
    curl = (
        f"curl -X POST '{url}' \\\n"
        f"  -H 'Authorization: Bearer {KEY_PLACEHOLDER}' \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        f"  -d '{data}'"
    )
    python = (
        "import requests\n\n"
        "response = requests.post(\n"
        f"    {json.dumps(url)},\n"
        f'    headers={{"Authorization": "Bearer {KEY_PLACEHOLDER}"}},\n'
        f"    json={python_literal(body, 4)},\n"
        "    timeout=30,\n"
        ")\n"
        "response.raise_for_status()\n"
        "run = response.json()\n"
        'print(run["Id"], run["Status"], run["StatusUrl"])'
    )
    return {"curl": curl, "python": python}


# --- the "Try it" form ---------------------------------------------------------------------------


def _data_choices(parameters: list[dict[str, Any]]) -> dict[str, dict[str, list[str]]]:
    """For each data parameter: the data asset names of its type and their versions, newest first."""
    from studio.models import DataAsset

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


def _form_fields(parameters: list[dict[str, Any]], choices: dict[str, dict[str, list[str]]]) -> list[dict]:
    """The "Try it" inputs for a version's parameters, typed for the template (`choices`: the data
    assets a data parameter may take, from _data_choices)."""
    fields = []
    for parameter in parameters:
        name = parameter["name"]
        field: dict[str, Any] = {
            "name": name,
            "id": "try-" + re.sub(r"[^A-Za-z0-9_-]", "-", name),
            "parameter": parameter,
            "type": parameter.get("type"),
            "description": parameter.get("description", ""),
            "optional": bool(parameter.get("optional")),
            "required": bool(parameter.get("required")),
        }
        if parameter.get("kind") == "data":
            assets = choices.get(parameter["type"], {})
            default = (parameter.get("default_binding") or {}).get("asset") or ""
            default_name = default.partition(":")[0]
            field.update(
                widget="data",
                error_key=f"DataPathAssignments.{name}",
                default_text=parameter.get("default") or "",
                assets=sorted(assets),
                versions=assets.get(default_name, []),
            )
        else:
            default = parameter.get("default")
            field["error_key"] = f"ParameterAssignments.{name}"
            field["default"] = default
            if parameter.get("enum"):
                field.update(
                    widget="select",
                    options=[(json.dumps(choice), str(choice)) for choice in parameter["enum"]],
                )
                field["value"] = json.dumps(default) if default is not None else ""
            elif parameter.get("type") == "boolean":
                field.update(widget="checkbox", checked=bool(default))
            elif parameter.get("type") in ("integer", "number"):
                field.update(
                    widget="number",
                    min=parameter.get("min"),
                    max=parameter.get("max"),
                    step="1" if parameter["type"] == "integer" else "any",
                    value="" if default is None else default,
                )
            else:
                field.update(widget="text", value="" if default is None else str(default))
        fields.append(field)
    return fields


# --- list ----------------------------------------------------------------------------------------


def endpoint_list(request):
    """Published endpoints with status, default version, last run and runs today."""
    return render(request, "endpoints/list.html", {"endpoints": endpoints_with_activity()})


# --- detail --------------------------------------------------------------------------------------


def _detail(request, endpoint: PipelineEndpoint, *, status: int = 200, **extra):
    versions = list(versions_listed(endpoint))
    by_number = {version.number: version for version in versions}
    wanted = _version_number(request.GET.get("version"))
    chosen = by_number.get(wanted) or by_number.get(endpoint.default_version) or next(iter(versions), None)
    invoke_url = request.build_absolute_uri(f"/api/v1/endpoints/{endpoint.name}/runs")
    if chosen is not None and chosen.number != endpoint.default_version:
        invoke_url += f"?version={chosen.number}"
    body = example_body(chosen.parameters) if chosen else {}
    choices = _data_choices(chosen.parameters) if chosen else {}
    invocations = list(invocations_listed(endpoint)[:RECENT_RUNS])
    for row in invocations:  # as static/js/endpoints.js shows them: text as is, the rest as JSON
        # A refused call records what it was sent, which need not be an object.
        sent = row.parameters if isinstance(row.parameters, dict) else {}
        row.shown_parameters = [
            (name, value if isinstance(value, str) else json.dumps(value)) for name, value in sent.items()
        ]
    older, newer = (versions[1], versions[0]) if len(versions) > 1 else (chosen, chosen)
    context = {
        "endpoint": endpoint,
        "versions": versions,
        "chosen": chosen,
        "fields": _form_fields(chosen.parameters, choices) if chosen else [],
        "data_choices": choices,
        "invoke_url": invoke_url,
        "openapi_url": request.build_absolute_uri(f"/api/v1/endpoints/{endpoint.name}/openapi.json")
        + (f"?version={chosen.number}" if chosen and chosen.number != endpoint.default_version else ""),
        "snippets": snippets(invoke_url, body),
        "keys": list(endpoint.keys.select_related("created_by")),
        "invocations": invocations,
        "diff_a": older,
        "diff_b": newer,
        "key_name": "",
        **extra,
    }
    return render(request, "endpoints/detail.html", context, status=status)


def endpoint_detail(request, name: str):
    """One endpoint: versions, keys, "Try it" with snippets, recent runs (`?version=N` for another
    version's form)."""
    endpoint = _endpoint(name)
    if endpoint is None:
        return _missing(request, name)
    wanted = request.GET.get("version")
    if wanted and not endpoint.versions.filter(number=_version_number(wanted) or 0).exists():
        return _missing(request, name, f" version {wanted}")
    return _detail(request, endpoint)


def endpoint_diff(request, name: str):
    """What changed between two versions (`?a=N&b=M`): parameters and steps."""
    endpoint = _endpoint(name)
    if endpoint is None:
        return _missing(request, name)
    versions = list(versions_listed(endpoint))
    if not versions:
        return _missing(request, name, " version")
    by_number = {version.number: version for version in versions}
    default_b = versions[0]
    default_a = versions[1] if len(versions) > 1 else versions[0]
    picked = []
    for key, fallback in (("a", default_a), ("b", default_b)):
        raw = request.GET.get(key)
        if raw in (None, ""):
            picked.append(fallback)
        elif _version_number(raw) in by_number:
            picked.append(by_number[_version_number(raw)])
        else:
            return _missing(request, name, f" version {raw}")
    a, b = picked
    diff = diff_versions(a, b)
    return render(
        request,
        "endpoints/diff.html",
        {"endpoint": endpoint, "versions": versions, "a": a, "b": b, "diff": diff, "counts": diff.counts()},
    )


def _change(request, name: str, change) -> Any:
    endpoint = PipelineEndpoint.objects.filter(name=name).first()
    if endpoint is None:
        return _missing(request, name)
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
        number = _version_number(request.POST.get("version"))
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


@require_POST
def create_key(request, name: str):
    """A new key; its secret is in this one response and never again."""
    endpoint = _endpoint(name)
    if endpoint is None:
        return _missing(request, name)
    key_name = request.POST.get("name", "")
    try:
        key, secret = actions.create_key(endpoint, key_name, user=request.user)
    except actions.EndpointError as error:
        return _detail(request, endpoint, status=400, key_error=str(error), key_name=key_name[:100])
    return _detail(request, endpoint, new_key=key, new_secret=secret)


@require_POST
def revoke_key(request, name: str, key_id: int):
    endpoint = PipelineEndpoint.objects.filter(name=name).first()
    key = endpoint.keys.filter(pk=key_id).first() if endpoint else None
    if key is None:
        return _missing(request, name, f" key {key_id}")
    key.revoke()
    messages.success(request, f"Key “{key.name}” ({key.prefix}…) revoked: calls with it now get 401.")
    return redirect("endpoints:detail", name=endpoint.name)


# --- publish -------------------------------------------------------------------------------------


def suggested_name(text: str) -> str:
    """An endpoint name made from a draft or job name ("Split iris" -> "split-iris")."""
    name = re.sub(r"[^a-z0-9-]+", "-", slugify(text).replace("_", "-"))
    return re.sub(r"-{2,}", "-", name)[:100].strip("-")


def _publish_source(request):
    """(kind, object, label) of what ?draft= or ?job= names; object None when it does not exist;
    kind "" when neither or both are given."""
    draft_id, job_name = request.GET.get("draft", "").strip(), request.GET.get("job", "").strip()
    if bool(draft_id) == bool(job_name):
        return "", None, ""
    if draft_id:
        from designer.models import PipelineDraft

        draft = PipelineDraft.objects.alive().filter(pk=draft_id).first() if draft_id.isdigit() else None
        return "draft", draft, draft_id
    from runner.models import PipelineJob

    return "job", PipelineJob.objects.filter(name=job_name).first(), job_name


@require_http_methods(["GET", "POST"])
def publish(request):
    """Publish a draft (`?draft=ID`) or a job's pipeline (`?job=NAME`) as the next version of an
    endpoint; errors are shown at their field, a draft that does not compile lists its problems."""
    kind, source, label = _publish_source(request)
    if kind and source is None:
        back = ("designer:drafts", "All drafts") if kind == "draft" else ("runner:jobs", "All jobs")
        return not_found(
            request, f"There is no {kind} {label} to publish.", back_url=reverse(back[0]), back_label=back[1]
        )
    context: dict[str, Any] = {
        "kind": kind,
        "source": source,
        "existing": PipelineEndpoint.objects.order_by("name").values_list("name", flat=True),
        "errors": {},
        "problems": [],
    }
    if not kind:
        return render(request, "endpoints/publish.html", context, status=400 if request.GET else 200)
    source_name = source.name if kind == "draft" else (source.display_name or source.name)
    values = {
        "name": suggested_name(source_name),
        "description": source.description or "",
        "make_default": False,
    }
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", "").strip(),
            "description": request.POST.get("description", ""),
            "make_default": request.POST.get("make_default") in ("on", "true", "1"),
        }
        options = {**values, "user": request.user}
        try:
            actions.check_name(values["name"])
            if kind == "draft":
                version = actions.publish_draft(source, **options)
            else:
                version = actions.publish_job(source, **options)
        except actions.EndpointError as error:
            context["errors"] = {error.field or "form": [str(error)]}
        except GraphError as error:
            context["problems"] = [problem.as_dict() for problem in error.problems]
        except DefinitionError as error:
            context["problems"] = [{**problem.as_dict(), "node": None} for problem in error.problems]
        else:
            endpoint = version.endpoint
            endpoint.refresh_from_db()
            if endpoint.default_version == version.number:
                note = "it is the default version"
            else:
                note = f"the default is still version {endpoint.default_version}"
            messages.success(request, f"Published {endpoint.name} version {version.number}: {note}.")
            return redirect("endpoints:detail", name=endpoint.name)
    context["values"] = values
    failed = bool(context["errors"] or context["problems"])
    return render(request, "endpoints/publish.html", context, status=400 if failed else 200)
