"""Typed parts of the pipeline job document that every front door shares, under Azure ML's names.

A step's run settings are spelled one way from the canvas to the container: the designer's node
data, the pipeline YAML, the frozen PipelineSpec and the runner all say `limits.timeout`,
`retry_settings.max_retries` and `retry_settings.retry_on_failure`, so a problem the compiler
finds at `jobs.<job>.limits.timeout` is the node's `limits.timeout` without any renaming.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from pipelines.rules import ASSET_TYPES as DATA_TYPES

MAX_RETRIES = 10

# What these settings were called before they took Azure ML's names (drafts and frozen job specs
# saved then still read): old flat key -> (group, key).
FLAT_NAMES = {
    "timeout_seconds": ("limits", "timeout"),
    "max_retries": ("retry_settings", "max_retries"),
    "retry_on_failure": ("retry_settings", "retry_on_failure"),
}


class _Settings(BaseModel):
    """Types only: the compiler checks ranges (a timeout above 0, at most MAX_RETRIES retries) and
    says so at the field's line, so a canvas may hold a value it cannot run yet."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Limits(_Settings):
    """`limits:` of a step: how long one attempt may run, in seconds (None: no limit)."""

    timeout: int | None = None


class RetrySettings(_Settings):
    """`retry_settings:` of a step: how often a failed attempt is tried again, and whether a
    failing command counts (otherwise only infrastructure failures are retried)."""

    max_retries: int = 0
    retry_on_failure: bool = False


def fold_flat_names(data: Any) -> Any:
    """A mapping with the old flat keys (`timeout_seconds`, …) moved under `limits` and
    `retry_settings`; anything else as it is."""
    if not isinstance(data, dict) or not any(key in data for key in FLAT_NAMES):
        return data
    folded = {key: value for key, value in data.items() if key not in FLAT_NAMES}
    for old, (group, key) in FLAT_NAMES.items():
        if old in data:
            folded[group] = {**(folded.get(group) or {}), key: data[old]}
    return folded


# --- the pipeline job document, typed ------------------------------------------------------------
#
# The YAML loader (every front door: CLI, REST, import, publish) and the designer (graph/ writes
# its graph as this document) both reach the compiler through pipelines/parsing.py, which checks
# the document's shape, reports what is wrong at its field path, and returns these typed parts.
# Looking things up (components, computes, data) is the compiler's, not the parser's.

Path = tuple
Report = Callable[[Path, str], None]

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
BINDING = re.compile(r"^\$\{\{\s*parent\.(?P<body>[A-Za-z0-9_.]+)\s*\}\}$")
PIPELINE_FIELDS = {
    "$schema", "type", "name", "display_name", "experiment_name", "description", "tags", "settings",
    "inputs", "outputs", "jobs", "compute",
}  # fmt: skip
SETTINGS_FIELDS = {"default_compute", "default_datastore", "continue_on_step_failure", "force_rerun"}
STEP_FIELDS = {
    "type", "component", "compute", "inputs", "outputs", "display_name", "description", "tags", "limits",
    "retry_settings", "force_rerun", "environment_variables", "resources",
}  # fmt: skip
# A step written inline (`command:` instead of `component:`) also has a component's fields.
INLINE_STEP_FIELDS = {"command", "environment", "code", "is_deterministic"}
# What a standalone command job (`type: command`) has: a job's fields and one inline step's.
COMMAND_JOB_FIELDS = {
    "$schema", "type", "name", "display_name", "experiment_name", "description", "tags", "compute",
    "inputs", "outputs", "environment_variables", "resources", "limits", "code", "command", "environment",
    "is_deterministic",
}  # fmt: skip
# Refused: running without them would give a wrong result, or a job Studio cannot run.
UNSUPPORTED = {
    "on_init": "on_init jobs are not supported",
    "on_finalize": "on_finalize jobs are not supported",
    "distribution": (
        "distributed steps (MPI, PyTorch, TensorFlow) are not supported; a step runs in one container"
    ),
}
# Accepted with a warning: Azure ML takes them, and they change nothing about what runs here.
TOLERATED = {
    "services": "interactive services (Jupyter, SSH, TensorBoard) are not started here",
    "identity": "identities have no effect here; steps run as an unprivileged user",
    "queue_settings": "queue settings have no effect here; Studio's scheduler orders the steps",
    "properties": "properties are not kept",
    "default_datastore": "a pipeline's default datastore is set under settings: (settings.default_datastore)",
}
STEP_NAME_OF_COMMAND_JOB = "main"


@dataclass(frozen=True)
class ParentBinding:
    """`${{parent.<parts>}}`: a pipeline input, a sibling job's output, or a pipeline output."""

    parts: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class DataReference:
    """`{type, path, mode, description}`: data read from a path (its type may be left to the port)."""

    type: str | None
    path: str
    mode: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Value:
    """A literal value (None: unset), and the type written beside it (`{type: integer, value: 3}`)."""

    value: Any
    type: str | None = None


@dataclass(frozen=True)
class Declaration:
    """What a literal pipeline input declares besides its value."""

    type: str | None
    description: str = ""
    optional: bool = False


@dataclass(frozen=True)
class PipelineInput:
    """One entry of the pipeline's `inputs:`."""

    value: Value | DataReference
    declaration: Declaration | None = None


@dataclass(frozen=True)
class Settings:
    """The pipeline's `settings:` (and the top-level `compute:` it may fall back on)."""

    default_compute: str | None = None
    default_compute_path: Path = ("settings", "default_compute")
    default_datastore: Any = None  # a datastore's name (azureml:NAME), None: workspaceblobstore
    continue_on_step_failure: bool = False
    force_rerun: bool = False


StepInput = ParentBinding | DataReference | Value


@dataclass(frozen=True)
class Step:
    """One entry of `jobs:`: a command step running a component."""

    name: str
    component: Any  # a reference or local file (str), or an inline definition (dict)
    compute: Any | None = None  # None: the pipeline's default compute
    inputs: dict[str, StepInput] = field(default_factory=dict)
    outputs: dict[str, str | None] = field(default_factory=dict)  # port -> pipeline output, or None
    display_name: str = ""
    limits: Limits = Limits()
    retry_settings: RetrySettings = RetrySettings()
    force_rerun: bool = False
    environment_variables: dict[str, str] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)  # on top of the component's
    output_types: dict[str, str] = field(default_factory=dict)  # port -> declared type
    output_paths: dict[str, str] = field(default_factory=dict)  # port -> datastore URI it is written to
    output_assets: dict[str, dict] = field(default_factory=dict)  # port -> {name, version} it becomes
    inline: dict[str, Any] | None = None  # command, environment, code of a step written inline
    type: str = "command"  # or "pipeline": its component is a pipeline component


@dataclass(frozen=True)
class PipelineHeader:
    """Everything of a pipeline job document but its inputs and jobs."""

    display_name: str
    experiment_name: str
    description: str
    tags: dict[str, str]
    settings: Settings
    outputs: dict[str, dict]


def parent_binding(value: Any) -> ParentBinding | None:
    """`${{parent.a.b}}` as a ParentBinding, or None when the value is not one."""
    match = BINDING.match(value.strip()) if isinstance(value, str) else None
    return ParentBinding(tuple(match["body"].split(".")), value) if match else None


def literal_problem(port: dict[str, Any], value: Any) -> str | None:
    """What is wrong with a literal value for an input port, or None."""
    kind = port["type"]
    if kind in DATA_TYPES:
        return f"expects {kind} data, not the value {value!r}"
    if value is None:
        return None
    if kind == "boolean":
        if not isinstance(value, bool):
            return f"expects true or false, got {value!r}"
        return None
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"expects a {kind}, got {value!r}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"expects a finite {kind}, got {value!r}"
        if kind == "integer" and isinstance(value, float) and not value.is_integer():
            return f"expects a whole number, got {value!r}"
        if port.get("min") is not None and value < port["min"]:
            return f"{value} is below the minimum {port['min']}"
        if port.get("max") is not None and value > port["max"]:
            return f"{value} is above the maximum {port['max']}"
        return None
    if not isinstance(value, str):
        return f"expects a string, got {value!r}"
    if port.get("enum") and value not in port["enum"]:
        return f"{value!r} is not one of {', '.join(map(str, port['enum']))}"
    return None
