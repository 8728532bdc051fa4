"""The Azure ML v2 pipeline component schema (`type: pipeline`): inputs, outputs and jobs.

Only the component's own fields are checked here; its jobs are a pipeline's jobs, checked by the
pipeline compiler when it is registered (pipelines/pipeline_components.py).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from studio.schemas.common import StrictModel, Tags, Version
from studio.schemas.component import (
    TOLERATED_COMPONENT_FIELDS,
    AutoDeleteSetting,
    InputPort,
    OutputPort,
    identity_and_port_problems,
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
    problems = identity_and_port_problems(component)
    if not component.jobs:
        problems.append((("jobs",), "a pipeline component needs at least one job under `jobs:`"))
    return problems
