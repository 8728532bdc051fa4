"""Business actions on drafts, shared by the REST API and the pages.

Saving is a conditional UPDATE on `revision`: of two saves made from the same revision exactly one
succeeds and the other gets StaleRevision, never a silent overwrite.

Dependencies point runner -> designer -> studio, so nothing here imports the runner at module
level. Submitting a draft and cloning a job need it; those functions import it where they run
(the project layer is allowed to wire the two apps together that way).
"""

from __future__ import annotations

import copy
from pathlib import Path, PurePosixPath
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from pydantic import ValidationError

from designer.models import PipelineDraft, empty_graph
from pipelines.graph.compiling import compile_graph, resolve_graph
from pipelines.graph.from_document import document_to_graph
from pipelines.graph.from_spec import spec_to_graph
from pipelines.graph.layout import layout
from pipelines.graph.problems import GraphError, graph_problem
from pipelines.graph.shape import validate_graph
from studio import audit
from studio.errors import StudioError
from studio.registry.components import ANONYMOUS_COMPONENT
from studio.schemas.loading import DefinitionError, LineIndex, Problem, format_path, load_document

MAX_NAME = 255


class StaleRevision(StudioError):
    """Raised when the draft was saved elsewhere since the revision the caller had (409)."""

    status = 409

    def __init__(self, current: int, *, sent: int | None = None) -> None:
        self.current = current
        self.sent = sent
        super().__init__(
            f"This draft was changed elsewhere (revision {current}); reload to see it", field="revision"
        )

    def errors_by_field(self) -> dict[str, list[str]]:
        return {"revision": [f"is {self.sent}, but the draft is at revision {self.current} now"]}

    def extra(self) -> dict[str, Any]:
        return {"current_revision": self.current}


def _split_viewport(graph: dict) -> tuple[dict, dict | None]:
    """A validated graph without its viewport, and the viewport (None when it has none)."""
    graph = dict(graph)
    return graph, graph.pop("viewport", None)


def create_draft(*, name: str, description: str = "", graph: dict | None = None, user=None) -> PipelineDraft:
    """A new draft at revision 1; `graph` is validated (GraphShapeError) and normalised, and its
    viewport, when it has one, kept beside it."""
    graph, viewport = _split_viewport(validate_graph(graph)) if graph is not None else (empty_graph(), None)
    return PipelineDraft.objects.create(
        name=name[:MAX_NAME],
        description=description,
        graph=graph,
        viewport=viewport,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


def save_draft(draft_id: int, *, revision: int | None, **changes: Any) -> PipelineDraft:
    """Change name, description and/or graph (already validated) and move to the next revision.

    With `revision`, the change applies only if the draft is still at that revision (one UPDATE …
    WHERE revision = %s, so concurrent saves cannot both win); otherwise StaleRevision. A graph
    with a viewport saves that viewport too; one without leaves the saved viewport as it is.
    Raises PipelineDraft.DoesNotExist when the draft is gone (or deleted).
    """
    fields = {key: changes[key] for key in ("name", "description", "graph") if key in changes}
    if "graph" in fields:
        fields["graph"], viewport = _split_viewport(fields["graph"])
        if viewport is not None:
            fields["viewport"] = viewport
    queryset = PipelineDraft.objects.alive().filter(pk=draft_id)
    if revision is not None:
        queryset = queryset.filter(revision=revision)
    updated = (
        queryset.update(**fields, revision=F("revision") + 1, updated_at=timezone.now())
        if fields
        else queryset.count()
    )
    if not updated:
        current = PipelineDraft.objects.alive().filter(pk=draft_id).values_list("revision", flat=True).first()
        if current is None:
            raise PipelineDraft.DoesNotExist(f"no draft {draft_id}")
        raise StaleRevision(current, sent=revision)
    return PipelineDraft.objects.select_related("created_by").get(pk=draft_id)


def save_draft_viewport(draft_id: int, viewport: dict) -> None:
    """Keep where the draft's canvas looks (already validated). Not an edit: no revision check,
    no new revision and no new `updated_at`, so panning in one tab never makes another tab's next
    save conflict. Raises PipelineDraft.DoesNotExist when the draft is gone (or deleted)."""
    if not PipelineDraft.objects.alive().filter(pk=draft_id).update(viewport=viewport):
        raise PipelineDraft.DoesNotExist(f"no draft {draft_id}")


def delete_draft(draft: PipelineDraft, *, user=None) -> None:
    """Soft delete: the draft disappears from lists and the API; the row stays (audit: draft.delete)."""
    now = timezone.now()
    with transaction.atomic():
        if PipelineDraft.objects.filter(pk=draft.pk, deleted_at__isnull=True).update(deleted_at=now):
            audit.record(user, "draft.delete", ("draft", f"{draft.name} (#{draft.pk})"))
    draft.deleted_at = now


def duplicate_draft(draft: PipelineDraft, *, user=None) -> PipelineDraft:
    """A copy named "Copy of …" at revision 1."""
    return create_draft(
        name=f"Copy of {draft.name}",
        description=draft.description,
        graph=copy.deepcopy(draft.graph_with_viewport()),
        user=user,
    )


def check_draft(draft: PipelineDraft, *, graph: dict | None = None, user=None) -> list[Problem]:
    """Every problem of the draft's graph (or of `graph`, an unsaved version of it); [] when it compiles."""
    try:
        resolve_graph(draft.graph if graph is None else graph, user=user, name=draft.name)
    except GraphError as error:
        return error.problems
    return []


@transaction.atomic
def submit_draft(
    draft: PipelineDraft,
    *,
    user=None,
    experiment_name: str | None = None,
    parameters: dict[str, Any] | None = None,
):
    """Compile the draft (with these pipeline input values) and submit it as a job; GraphError when
    it does not compile. Records the job's name on the draft without changing its revision (the
    graph did not change, so an open canvas may keep saving)."""
    # The project layer wires designer to runner here; designer never imports runner at module level.
    from runner.actions import submit_pipeline

    graph = copy.deepcopy(draft.graph)
    problems: list[Problem] = []
    for name, value in (parameters or {}).items():
        declared = graph.setdefault("inputs", {}).get(name)
        if declared is None:
            problems.append(graph_problem(f"parameters.{name}", f"the pipeline has no input named {name!r}"))
        else:
            declared["value"] = value
    if experiment_name:
        graph.setdefault("settings", {})["experiment_name"] = experiment_name
    try:
        spec = compile_graph(graph, user=user, name=draft.name, description=draft.description)
    except GraphError as error:
        raise GraphError([*problems, *error.problems]) from None
    if problems:
        raise GraphError(problems)
    job = submit_pipeline(spec, user=user, source="designer")
    PipelineDraft.objects.filter(pk=draft.pk).update(last_job_name=job.name)
    draft.last_job_name = job.name
    return job


def _unsupported(
    document: dict, index: LineIndex, filename: str, *, local_components: bool = False
) -> list[Problem]:
    """What a draft cannot hold: local or inline components, data that is not a registered asset.
    `local_components`: local component files are allowed (they came with the YAML, in its folder)."""
    problems: list[Problem] = []

    def refuse(path: tuple, message: str) -> None:
        problems.append(Problem(filename, format_path(path), message, index.line_of(path)))

    def check_data(value: Any, path: tuple) -> None:
        if not isinstance(value, dict) or "path" not in value:
            return
        location = value["path"]
        if (
            not isinstance(location, str)
            or not location.strip().startswith("azureml:")
            or location.strip().startswith("azureml://datastores")
        ):
            refuse(
                (*path, "path"),
                "data nodes are registered data assets: register this data (`studio data create`) and "
                "refer to it as azureml:NAME:VERSION",
            )

    inputs = document.get("inputs")
    for name, value in inputs.items() if isinstance(inputs, dict) else ():
        check_data(value, ("inputs", name))
    jobs = document.get("jobs")
    for job, step in jobs.items() if isinstance(jobs, dict) else ():
        if not isinstance(step, dict):
            continue
        component = step.get("component")
        path = ("jobs", job, "component")
        if isinstance(component, dict):
            refuse(
                path,
                "an inline component cannot be placed on the canvas: register it "
                "(`studio component create`) and refer to it as azureml:NAME:VERSION",
            )
        elif (
            not local_components
            and isinstance(component, str)
            and component.strip().endswith((".yml", ".yaml"))
            and not component.strip().startswith("azureml:")
        ):
            refuse(
                path,
                f"{component!r} is a local component file: import the pipeline's folder (or a zip of it) "
                f"with its component files, or register it (`studio component create --file {component}`) "
                "and refer to it as azureml:NAME:VERSION",
            )
        step_inputs = step.get("inputs")
        for port, value in step_inputs.items() if isinstance(step_inputs, dict) else ():
            check_data(value, ("jobs", job, "inputs", port))
    return problems


def import_pipeline(
    text: str | bytes, *, filename: str, name: str | None = None, user=None, base_dir: Path | None = None
) -> PipelineDraft:
    """A draft from pipeline job YAML, laid out left to right. DefinitionError (with lines) when the
    YAML does not compile or holds what a draft cannot (local components, unregistered data).

    `base_dir`: the folder the YAML came in (an uploaded folder or archive, unpacked by
    designer.imports, which keeps every local reference inside it): its local component files are
    registered as anonymous components, as `studio job create` does, and the nodes pinned to them."""
    from pipelines.compiler import compile_pipeline

    document, index = load_document(text, filename=filename)
    problems = _unsupported(document, index, filename, local_components=base_dir is not None)
    if problems:
        raise DefinitionError(problems)
    spec = compile_pipeline(document, index=index, filename=filename, user=user, base_dir=base_dir)
    graph = document_to_graph(document, spec=spec)
    for node in graph["nodes"]:  # a local component is anonymous: its node shows the name it declared
        step = spec.steps.get(node["id"])
        if step is not None and node["type"] == "component" and not node["data"].get("display_name"):
            if step.component.name == ANONYMOUS_COMPONENT:
                node["data"]["display_name"] = step.component.spec.get("display_name") or node["id"]
    graph = layout(graph)
    title = (
        name
        or str(document.get("display_name") or document.get("name") or "")
        or (PurePosixPath(filename).stem if filename.endswith((".yml", ".yaml")) else "")
        or "Imported pipeline"
    )
    return create_draft(
        name=title, description=str(document.get("description") or ""), graph=graph, user=user
    )


def clone_job(job_name: str, *, user=None) -> PipelineDraft | None:
    """A draft built from a job's frozen spec ("Clone of <job>"), or None when there is no such job;
    ValueError when the stored spec is not one this version of Studio can read."""
    # The project layer wires designer to runner here; designer never imports runner at module level.
    from runner.models import PipelineJob

    job = PipelineJob.objects.filter(name=job_name).first()
    if job is None:
        return None
    try:
        graph = layout(spec_to_graph(job.spec))
    except ValidationError as error:
        raise ValueError(
            f"the spec of {job.name} cannot be read as a PipelineSpec ({error.error_count()} errors)"
        ) from None
    return create_draft(name=f"Clone of {job.name}", description=job.description, graph=graph, user=user)
