"""The Azure ML v2 pipeline component schema (`type: pipeline`): inputs, outputs and jobs.

Only the component's own fields are checked here; its jobs are a pipeline's jobs, checked by the
pipeline compiler when it is registered (pipelines/pipeline_components.py).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from studio.schemas.common import COMPONENT_NAME, StrictModel, Tags, Version, check_name, check_version
from studio.schemas.component import (
    OUTPUT_MODES,
    TOLERATED_COMPONENT_FIELDS,
    AutoDeleteSetting,
    InputPort,
    OutputPort,
    _input_problems,
    _port_name_problems,
)

PIPELINE_COMPONENT_SCHEMA = "https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json"


class PipelineComponentDocument(StrictModel):
    """An Azure ML v2 pipeline component."""

    schema_: str | None = Field(default=None, alias="$schema")
    type: Literal["pipeline"] = "pipeline"
    name: str
    version: Version | None = None
    display_name: str | None = None
    description: str | None = None
    tags: Tags = Field(default_factory=dict)
    is_deterministic: bool = True
    inputs: dict[str, InputPort] = Field(default_factory=dict)
    outputs: dict[str, OutputPort] = Field(default_factory=dict)
    jobs: dict[str, Any]
    properties: dict[str, Any] | None = None
    auto_delete_setting: AutoDeleteSetting | None = None


# Accepted with a warning, in the same words as a command component's (TOLERATED_COMPONENT_FIELDS):
# Azure ML takes them on a pipeline component (azure-ai-ml's schema lists `auto_delete_setting`; its
# PipelineComponent keeps `properties`) and they change nothing here, so they are not kept. Every
# other field Studio does not model (`id`, written by the service; `queue_settings`, which belongs
# to a job) is refused at its line.
TOLERATED_PIPELINE_COMPONENT_FIELDS = {
    field: TOLERATED_COMPONENT_FIELDS[field] for field in ("properties", "auto_delete_setting")
}
# A step is reused or not by its own component's `is_deterministic` (runner/reuse.py), so `false` on
# the pipeline component around it changes nothing: kept in its definition, and warned.
NOT_DETERMINISTIC = (
    "is_deterministic: false has no effect on a pipeline component here; each step is reused or not "
    "by its own component's is_deterministic (or use force_rerun)"
)


def pipeline_component_warnings(component: PipelineComponentDocument) -> list[tuple[tuple, str]]:
    """The fields Azure ML accepts that have no effect here, each with why (a warning, not a problem)."""
    warnings: list[tuple[tuple, str]] = [
        ((field,), reason)
        for field, reason in TOLERATED_PIPELINE_COMPONENT_FIELDS.items()
        if getattr(component, field) is not None
    ]
    if not component.is_deterministic:
        warnings.append((("is_deterministic",), NOT_DETERMINISTIC))
    return warnings


def pipeline_component_problems(component: PipelineComponentDocument) -> list[tuple[tuple, str]]:
    """Everything wrong with a pipeline component's own fields beyond their types."""
    problems: list[tuple[tuple, str]] = []
    name_problem = check_name(component.name, pattern=COMPONENT_NAME, what="component")
    if name_problem:
        problems.append((("name",), name_problem))
    version_problem = check_version(component.version)
    if version_problem:
        problems.append((("version",), version_problem))
    seen: dict[str, str] = {}
    for kind, ports in (("inputs", component.inputs), ("outputs", component.outputs)):
        for name in ports:
            problem = _port_name_problems(kind, name)
            if problem:
                problems.append(((kind, name), problem))
            folded = name.lower()
            if folded in seen:
                problems.append(
                    ((kind, name), f"{name!r} clashes with {seen[folded]} (port names ignore case)")
                )
            seen[folded] = f"{kind}.{name}"
    for name, port in component.inputs.items():
        problems += _input_problems(name, port)
    for name, port in component.outputs.items():
        if port.mode is not None and port.mode not in OUTPUT_MODES:
            message = f"output mode {port.mode!r} is not supported; use one of {', '.join(OUTPUT_MODES)}"
            problems.append((("outputs", name, "mode"), message))
    if not component.jobs:
        problems.append((("jobs",), "a pipeline component needs at least one job under `jobs:`"))
    return problems
