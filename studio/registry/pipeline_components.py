"""Where the registry finds how to register a pipeline component (`type: pipeline`).

Checking a pipeline component means compiling its jobs, which is the pipeline compiler's work, a
layer above the registry: the compiler installs its registrar here when Django starts (see
runner/apps.py), and `register_text` hands every pipeline component to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from studio.schemas.loading import DefinitionError
from studio.schemas.pipeline_component import PIPELINE_COMPONENT_SCHEMA

Registrar = Callable[..., tuple[Any, bool]]
_registrar: Registrar | None = None


def install(registrar: Registrar) -> None:
    """Register pipeline components with `registrar` (same arguments as register_component)."""
    global _registrar
    _registrar = registrar


def register_pipeline_component(
    document: dict[str, Any], *, filename: str, **options: Any
) -> tuple[Any, bool]:
    """Register a pipeline component through the installed registrar."""
    if _registrar is None:
        raise DefinitionError.single(filename, "type", "pipeline components cannot be registered here")
    return _registrar(document, filename=filename, **options)


def is_pipeline_component(document: Any) -> bool:
    """Whether a component definition is a pipeline component."""
    return isinstance(document, dict) and document.get("type") == "pipeline"


def export_pipeline_component(component) -> str:
    """A registered pipeline component as YAML that registers back to the same content (its jobs
    name the component versions they were pinned to)."""
    spec = component.spec
    document: dict[str, Any] = {"$schema": PIPELINE_COMPONENT_SCHEMA, "type": "pipeline"}
    document.update(name=spec["name"], version=component.version)
    for key in ("display_name", "description", "tags", "inputs", "outputs"):
        if spec.get(key):
            document[key] = spec[key]
    document["is_deterministic"] = spec.get("is_deterministic", True)
    document["jobs"] = spec["jobs"]
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
