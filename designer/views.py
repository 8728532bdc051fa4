"""Pages of the designer: the list of drafts (create, rename, duplicate, delete, import) and the
canvas of one draft. The canvas itself is a React island that talks to /api/v1/drafts/."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from designer import actions, imports
from designer.models import PipelineDraft
from designer.queries import drafts_listed
from studio.roles import check_can_change, check_can_write
from studio.schemas.loading import DefinitionError
from studio.views.assets import not_found

PAGE_SIZE = 50


def _job_statuses(names: list[str]) -> dict[str, str]:
    """The status of each named job (the project layer lets the designer's pages read the runner's
    jobs; designer never imports runner at module level)."""
    if not names:
        return {}
    from runner.models import PipelineJob

    return dict(PipelineJob.objects.filter(name__in=names).values_list("name", "status"))


def _draft(request, draft_id: int) -> PipelineDraft | None:
    return PipelineDraft.objects.alive().select_related("created_by").filter(pk=draft_id).first()


def _missing(request, draft_id: int):
    return not_found(
        request,
        f"There is no draft {draft_id}.",
        back_url=reverse("designer:drafts"),
        back_label="All drafts",
    )


@require_http_methods(["GET", "POST"])
def drafts(request):
    """Pipeline drafts, most recently changed first; POST creates one and opens its canvas."""
    if request.method == "POST":
        check_can_write(request.user, "create a draft")
        name = request.POST.get("name", "").strip() or "Untitled pipeline"
        draft = actions.create_draft(name=name, user=request.user)
        return redirect("designer:canvas", draft_id=draft.pk)
    query = request.GET.get("q", "").strip()
    queryset = drafts_listed()
    if query:
        queryset = queryset.filter(name__icontains=query)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    statuses = _job_statuses([draft.last_job_name for draft in page.object_list if draft.last_job_name])
    for draft in page.object_list:
        draft.last_job_status = statuses.get(draft.last_job_name, "")
    return render(request, "designer/drafts.html", {"page": page, "query": query})


def canvas(request, draft_id: int):
    """The canvas of one draft."""
    draft = _draft(request, draft_id)
    if draft is None:
        return _missing(request, draft_id)
    return render(
        request,
        "designer/canvas.html",
        {"draft": draft, "props": json.dumps({"draftId": draft.pk})},
    )


@require_POST
def rename(request, draft_id: int):
    """Rename a draft from the list."""
    draft = _draft(request, draft_id)
    if draft is None:
        return _missing(request, draft_id)
    check_can_change(request.user, draft, f"rename draft {draft.name}")
    name = request.POST.get("name", "").strip()[:255]
    if not name:
        messages.error(request, "A draft needs a name.")
    elif name != draft.name:
        try:
            actions.save_draft(draft.pk, revision=None, name=name)
        except PipelineDraft.DoesNotExist:
            return _missing(request, draft_id)
        messages.success(request, f"Renamed {draft.name} to {name}.")
    return redirect("designer:drafts")


@require_POST
def duplicate(request, draft_id: int):
    """Copy a draft."""
    draft = _draft(request, draft_id)
    if draft is None:
        return _missing(request, draft_id)
    check_can_write(request.user, "duplicate a draft")
    copy = actions.duplicate_draft(draft, user=request.user)
    messages.success(request, f"Created {copy.name}.")
    return redirect("designer:drafts")


@require_POST
def delete(request, draft_id: int):
    """Delete a draft (soft)."""
    draft = _draft(request, draft_id)
    if draft is None:
        return _missing(request, draft_id)
    check_can_change(request.user, draft, f"delete draft {draft.name}")
    actions.delete_draft(draft, user=request.user)
    messages.success(request, f"Deleted {draft.name}.")
    return redirect("designer:drafts")


@require_POST
def import_yaml(request):
    """A draft from an uploaded pipeline job YAML; its canvas opens."""
    check_can_write(request.user, "import a draft")
    upload, folder = request.FILES.get("file"), request.FILES.getlist("files")
    paths = request.POST.getlist("paths")
    if upload is None and not folder:
        messages.error(request, "Choose a pipeline YAML file, a zip or tar of its folder, or the folder.")
        return redirect("designer:drafts")
    if folder and len(paths) != len(folder):
        messages.error(request, "paths: send one relative path for each file of the folder.")
        return redirect("designer:drafts")
    try:
        if folder:  # the folder's files, with their local components (designer.imports)
            source = paths[0].split("/")[0] if paths else "the folder"
            draft = imports.import_files(zip(paths, folder, strict=True), user=request.user)
        elif imports.is_archive(upload.name):
            source = upload.name
            draft = imports.import_archive(upload, filename=upload.name, user=request.user)
        else:
            source = upload.name
            draft = actions.import_pipeline(upload.read(), filename=upload.name, user=request.user)
    except DefinitionError as error:
        for problem in error.problems[:10]:
            messages.error(request, str(problem))
        return redirect("designer:drafts")
    messages.success(request, f"Imported {source} as {draft.name}.")
    return redirect("designer:canvas", draft_id=draft.pk)


@require_POST
def clone_job(request, name: str):
    """A draft from a job's frozen spec (the job page's "Clone into draft" button); its canvas opens."""
    check_can_write(request.user, "clone a job into a draft")
    try:
        draft = actions.clone_job(name, user=request.user)
    except ValueError as error:
        messages.error(request, str(error))
        return redirect(f"/jobs/{name}/")
    if draft is None:
        return not_found(request, f"There is no job {name}.", back_url="/jobs/", back_label="All jobs")
    messages.success(request, f"Cloned {name} into the draft {draft.name}.")
    return redirect("designer:canvas", draft_id=draft.pk)
