"""The oracle: azure-ai-ml (a test-only dependency) reads the compatibility corpus offline.

`load(path, kind)` reads one corpus file with azure-ai-ml's loader for its kind, as `az ml` would
before sending it anywhere: no workspace, no credentials, no network. `azure_reading(path)` turns a
loaded job into plain data (steps, input values and bindings, output types/modes/paths, each
step's environment image and conda file) that Studio's own reading of the same file can be
compared with. azure-ai-ml takes seconds to import, so it is imported once, on first use.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = CORPUS / "manifest.yaml"
# Files the jobs read (scripts, data, model folders): payload, not documents of the corpus.
PAYLOAD = ("data/", "src/")
KINDS = ("job", "component", "environment", "data", "datastore", "model", "conda")
EXPECTS = ("runs", "warns", "registers", "used", "refused")


def corpus_files() -> list[str]:
    """Every YAML document of the corpus, relative to it, manifest and payload left out."""
    found = []
    for path in sorted(CORPUS.rglob("*")):
        relative = path.relative_to(CORPUS).as_posix()
        if (
            path.suffix in (".yml", ".yaml")
            and relative != "manifest.yaml"
            and not relative.startswith(PAYLOAD)
        ):
            found.append(relative)
    return found


@functools.cache
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text())


@functools.cache
def _loaders() -> dict[str, Any]:
    # azure-ai-ml logs a line per experimental class it defines; they say nothing about the corpus.
    logging.getLogger("azure").setLevel(logging.ERROR)
    from azure.ai.ml import (
        load_component,
        load_data,
        load_datastore,
        load_environment,
        load_job,
        load_model,
    )

    return {
        "job": load_job,
        "component": load_component,
        "environment": load_environment,
        "data": load_data,
        "datastore": load_datastore,
        "model": load_model,
    }


def load(relative: str, kind: str) -> Any:
    """The corpus file read by azure-ai-ml's loader for `kind` (a conda file: its mapping, checked)."""
    path = CORPUS / relative
    if kind == "conda":
        conda = yaml.safe_load(path.read_text())
        if not isinstance(conda, dict) or not isinstance(conda.get("dependencies"), list):
            raise ValueError(f"{relative}: a conda file is a mapping with a `dependencies` list")
        return conda
    return _loaders()[kind](path)


# --- Azure's reading of a job, as plain data ------------------------------------------------------


def _plain(value: Any) -> Any:
    """An azure-ai-ml input/output/binding value as plain data."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "_data"):  # a step's NodeInput / NodeOutput wraps a value, a binding or an Input
        return _plain(value._data)
    fields = {}
    for name in ("type", "path", "mode", "name", "version", "default", "optional"):
        try:
            item = getattr(value, name, None)
        except Exception:  # an unset `path` raises in azure-ai-ml
            item = None
        if item is not None:
            fields[name] = item
    return fields or str(value)


def _environment(environment: Any) -> Any:
    if environment is None or isinstance(environment, str):
        return environment
    return {
        "image": getattr(environment, "image", None),
        "conda_file": getattr(environment, "conda_file", None),
    }


def _node(node: Any) -> dict[str, Any]:
    component = getattr(node, "component", None)
    reading: dict[str, Any] = {
        "type": getattr(node, "type", None),
        "inputs": {name: _plain(value) for name, value in (getattr(node, "inputs", None) or {}).items()},
        "outputs": {name: _plain(value) for name, value in (getattr(node, "outputs", None) or {}).items()},
    }
    if isinstance(component, str):
        reading["component"] = component
    elif component is not None:
        reading["component"] = {
            "name": getattr(component, "name", None),
            "version": getattr(component, "version", None),
            "type": getattr(component, "type", None),
        }
        if getattr(component, "jobs", None):
            reading["jobs"] = {name: _node(child) for name, child in component.jobs.items()}
        else:
            reading["environment"] = _environment(getattr(component, "environment", None))
            reading["command"] = getattr(component, "command", None)
    if getattr(node, "environment", None) is not None:
        reading["environment"] = _environment(node.environment)
    return reading


def azure_reading(relative: str) -> dict[str, Any]:
    """How azure-ai-ml reads a job file: its steps (a command job is one), their inputs (values,
    data and `${{parent...}}` bindings), outputs (type, mode, path, name, version) and environment."""
    job = load(relative, "job")
    if getattr(job, "type", None) == "pipeline":
        return {
            "type": "pipeline",
            "inputs": {name: _plain(value) for name, value in (job.inputs or {}).items()},
            "outputs": {name: _plain(value) for name, value in (job.outputs or {}).items()},
            "jobs": {name: _node(node) for name, node in job.jobs.items()},
        }
    return {
        "type": job.type,
        "command": job.command,
        "environment": _environment(job.environment),
        "inputs": {name: _plain(value) for name, value in (job.inputs or {}).items()},
        "outputs": {name: _plain(value) for name, value in (job.outputs or {}).items()},
    }
