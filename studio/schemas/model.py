"""The Azure ML v2 model asset schema (`custom_model` / `mlflow_model`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from studio.schemas.common import ASSET_NAME, StrictModel, Tags, Version, check_name, check_version
from studio.schemas.data import DATASTORE_PATH, REMOTE_STORAGE

MODEL_TYPES = ("custom_model", "mlflow_model")
MLMODEL_FILE = "MLmodel"


class ModelDocument(StrictModel):
    """An Azure ML v2 model."""

    schema_: str | None = Field(default=None, alias="$schema")
    name: str
    version: Version | None = None
    type: str = "custom_model"
    path: str
    description: str | None = None
    tags: Tags = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    stage: str | None = None
    flavors: dict[str, Any] | None = None
    datastore: str | None = None


def model_problems(model: ModelDocument) -> list[tuple[tuple, str]]:
    """Everything wrong with a model asset beyond the field types."""
    problems: list[tuple[tuple, str]] = []
    name_problem = check_name(model.name, pattern=ASSET_NAME, what="model")
    if name_problem:
        problems.append((("name",), name_problem))
    version_problem = check_version(model.version)
    if version_problem:
        problems.append((("version",), version_problem))
    if model.type == "triton_model":
        problems.append(
            (
                ("type",),
                "triton_model is not supported: Studio has no Triton inference server to serve it; "
                "register the folder as custom_model",
            )
        )
    elif model.type not in MODEL_TYPES:
        problems.append((("type",), f"must be custom_model or mlflow_model, got {model.type!r}"))
    if not model.path.strip():
        problems.append((("path",), "is empty"))
    elif model.path.startswith(("http://", "https://")):
        problems.append((("path",), "models are stored in Studio: download the files, give the local path"))
    elif REMOTE_STORAGE.match(model.path) and not DATASTORE_PATH.match(model.path):
        problems.append(
            (
                ("path",),
                "cloud storage is not reachable from Studio; download the model and give the local path",
            )
        )
    return problems


def model_warnings(model: ModelDocument) -> list[tuple[tuple, str]]:
    """The fields Studio keeps but that change nothing here."""
    warnings: list[tuple[tuple, str]] = []
    if model.flavors is not None:
        warnings.append(
            (
                ("flavors",),
                "is kept but has no effect here: an mlflow_model's flavors are read from its MLmodel file",
            )
        )
    if model.datastore is not None:
        warnings.append(
            (("datastore",), "has no effect here: Studio stores model files in its own artifact store")
        )
    return warnings
