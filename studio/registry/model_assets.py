"""Registering and exporting model assets (custom_model, mlflow_model)."""

from __future__ import annotations

from typing import Any

import yaml

from studio.errors import Problem
from studio.models import ModelAsset
from studio.registry.attachments import Attachments
from studio.registry.plan import RegistrationPlan
from studio.registry.stored_paths import store_path, top_level_file
from studio.registry.versions import register_version
from studio.schemas.common import raise_problems, validate_document
from studio.schemas.loading import LineIndex, format_path
from studio.schemas.model import MLMODEL_FILE, ModelDocument, model_problems, model_warnings
from studio.storage.reading import snapshot_files

MODEL_SCHEMA = "https://azuremlschemas.azureedge.net/latest/model.schema.json"


def register_model(
    document: dict[str, Any],
    *,
    index: LineIndex,
    filename: str,
    attachments: Attachments,
    user=None,
    plan: RegistrationPlan | None = None,
) -> tuple[ModelAsset, bool]:
    """Register a model version: its files are stored as a content-addressed snapshot.

    Fields kept without effect (`flavors`, `datastore`) are on `model.registration_warnings`
    as `Problem`s with file and line.
    """
    model = validate_document(ModelDocument, document, index=index, filename=filename)
    raise_problems(model_problems(model), index=index, filename=filename)
    shape = "folder" if model.type == "mlflow_model" else "any"
    snapshot = store_path(model.path, shape=shape, attachments=attachments, filename=filename)
    files = snapshot_files(snapshot.digest)
    if not files:
        raise_problems([(("path",), f"{model.path!r} holds no files")], index=index, filename=filename)
    if model.type == "mlflow_model" and not top_level_file(files, MLMODEL_FILE):
        raise_problems(
            [
                (
                    ("path",),
                    f"{model.path!r} has no {MLMODEL_FILE} file at its top; an mlflow_model is the folder "
                    "mlflow.save_model writes (with MLmodel), or register it as custom_model",
                )
            ],
            index=index,
            filename=filename,
        )
    warnings = [
        Problem(filename, format_path(path), message, index.line_of(path))
        for path, message in model_warnings(model)
    ]
    spec: dict[str, Any] = {
        "name": model.name,
        "description": model.description or "",
        "tags": dict(model.tags),
        "type": model.type,
        "source": {"snapshot": snapshot.digest},
    }
    for optional in ("properties", "stage", "flavors", "datastore"):
        value = getattr(model, optional)
        if value not in (None, {}, ""):
            spec[optional] = value
    asset, created = register_version(
        ModelAsset,
        name=model.name,
        version=model.version,
        spec=spec,
        filename=filename,
        fields={
            "model_type": model.type,
            "snapshot_digest": snapshot.digest,
            "size_bytes": snapshot.size_bytes,
            "file_count": snapshot.file_count,
            "stage": model.stage or "",
            "warnings": [{"field": problem.field, "message": problem.message} for problem in warnings],
        },
        user=user,
        plan=plan,
    )
    asset.registration_warnings = warnings
    return asset, created


def export_model(asset: ModelAsset) -> str:
    """The model as YAML that registers back to the same content hash."""
    spec = asset.spec
    document: dict[str, Any] = {
        "$schema": MODEL_SCHEMA,
        "name": spec["name"],
        "version": asset.version,
        "type": spec["type"],
        "path": f"studio://snapshots/{spec['source']['snapshot']}",
    }
    if spec.get("description"):
        document["description"] = spec["description"]
    if spec.get("tags"):
        document["tags"] = spec["tags"]
    for optional in ("properties", "stage", "flavors", "datastore"):
        if optional in spec:
            document[optional] = spec[optional]
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
