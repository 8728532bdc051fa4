"""The publish form: a draft (`?draft=ID`) or a job's pipeline (`?job=NAME`) as the next version of
an endpoint. The job page links here; the designer publishes from its toolbar through the REST API
(frontend/src/designer/publish-dialog.tsx)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods

from endpoints import actions
from endpoints.models import PipelineEndpoint
from pipelines.graph.problems import GraphError
from studio.roles import check_can_write
from studio.schemas.loading import DefinitionError
from studio.views.assets import not_found


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
    endpoint; errors are shown at their field, a draft that does not compile lists its problems.
    A Viewer is refused the form itself (403), not only its submission."""
    check_can_write(request.user, "publish an endpoint")
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
