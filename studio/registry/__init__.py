"""Registering assets from Azure ML definitions, and exporting them back.

Each kind has its `register_*` verb (atomic, idempotent by content hash) and `export_*`, whose
output registers back to the same content hash.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from studio.registry.attachments import Attachments, LocalAttachments, UploadedAttachments
from studio.registry.components import export_component, register_component
from studio.registry.data import export_data, register_data
from studio.registry.datastores import export_datastore, register_datastore
from studio.registry.environments import export_environment, register_environment
from studio.registry.model_assets import export_model, register_model
from studio.registry.pipeline_components import (
    export_pipeline_component,
    is_pipeline_component,
    register_pipeline_component,
)
from studio.registry.plan import RegistrationPlan
from studio.schemas.loading import DefinitionError, LineIndex, Problem, load_document

REGISTER = {
    "environment": register_environment,
    "component": register_component,
    "data": register_data,
    "model": register_model,
    "datastore": register_datastore,
}

EXPORT = {
    "environment": export_environment,
    "component": export_component,
    "data": export_data,
    "model": export_model,
    "datastore": export_datastore,
}

KIND_OF_MODEL = {
    "environment": "environment",
    "component": "component",
    "dataasset": "data",
    "modelasset": "model",
    "datastore": "datastore",
}
DATASTORE_SCHEMA_NAMES = ("azureblob.schema", "azurefile.schema", "azuredatalakegen1", "azuredatalakegen2")


def guess_kind(document: dict[str, Any]) -> str:
    """Which kind of asset a definition describes, from its `$schema` or its fields."""
    schema = str(document.get("$schema", "")).lower()
    if "component" in schema or "command" in document or is_pipeline_component(document):
        return "component"
    if "model.schema" in schema:
        return "model"
    if any(name in schema for name in DATASTORE_SCHEMA_NAMES) or str(document.get("type", "")).startswith(
        "azure_"
    ):
        return "datastore"
    if "data.schema" in schema or ("path" in document and "image" not in document):
        return "data"
    return "environment"


def register_text(
    text: str | bytes,
    *,
    kind: str | None,
    filename: str,
    attachments: Attachments,
    user=None,
    plan: RegistrationPlan | None = None,
    anonymous: bool = False,
) -> tuple[Any, bool]:
    """Parse and register one definition; DefinitionError lists every problem with its line. With a
    `plan`, nothing is written (see studio.registry.plan); `anonymous` registers a component as a
    job's own (studio.registry.components.ANONYMOUS_COMPONENT)."""
    document, index = load_document(text, filename=filename)
    kind = kind or guess_kind(document)
    if kind not in REGISTER:
        raise DefinitionError.single(filename, "", f"unknown asset kind {kind!r}")
    try:
        options = {"anonymous": True} if anonymous and kind == "component" else {}
        register = REGISTER[kind]
        if kind == "component" and is_pipeline_component(document):
            register = register_pipeline_component
        return register(
            document, index=index, filename=filename, attachments=attachments, user=user, plan=plan, **options
        )
    except DefinitionError as error:
        raise DefinitionError([with_line(problem, index, filename) for problem in error.problems]) from None


def with_line(problem: Problem, index: LineIndex, filename: str) -> Problem:
    """The problem with the line of its field filled in, when it is about this file and had none."""
    if problem.line is not None or problem.file != filename or not problem.field:
        return problem
    path = tuple(
        int(part) if part.isdigit() else part for part in re.split(r"\.|\[|\]", problem.field) if part
    )
    return Problem(problem.file, problem.field, problem.message, index.line_of(path))


def register_file(
    path: Path,
    *,
    kind: str | None = None,
    user=None,
    plan: RegistrationPlan | None = None,
    anonymous: bool = False,
) -> tuple[Any, bool]:
    """Register a definition file from disk, its local paths relative to its folder."""
    attachments = LocalAttachments(path.parent, filename=str(path))
    return register_text(
        path.read_bytes(),
        kind=kind,
        filename=str(path),
        attachments=attachments,
        user=user,
        plan=plan,
        anonymous=anonymous,
    )


def export_asset(asset) -> str:
    """The text of an asset's definition (YAML, or JSON for v1-only environments)."""
    if is_pipeline_component(getattr(asset, "spec", None)):
        return export_pipeline_component(asset)
    return EXPORT[KIND_OF_MODEL[asset._meta.model_name]](asset)


__all__ = [
    "REGISTER",
    "DefinitionError",
    "LocalAttachments",
    "UploadedAttachments",
    "export_asset",
    "register_file",
    "register_text",
]
