"""The Azure ML v2 pipeline component schema (`type: pipeline`): inputs, outputs and jobs.

Only the component's own fields are checked here; its jobs are a pipeline's jobs, checked by the
pipeline compiler when it is registered (pipelines/pipeline_components.py).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from studio.schemas.common import COMPONENT_NAME, StrictModel, Tags, Version, check_name, check_version
from studio.schemas.component import InputPort, OutputPort, _input_problems, _port_name_problems

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


def pipeline_component_problems(component: PipelineComponentDocument) -> list[tuple[tuple, str]]:
    """Everything wrong with a pipeline component's own fields beyond their types."""
    problems: list[tuple[tuple, str]] = []
    name_problem = check_name(component.name, pattern=COMPONENT_NAME, what="component")
    if name_problem:
        problems.append((("name",), name_problem))
    version_problem = check_version(component.version)
    if version_problem:
        problems.append((("version",), version_problem))
    for kind, ports in (("inputs", component.inputs), ("outputs", component.outputs)):
        for name in ports:
            problem = _port_name_problems(kind, name)
            if problem:
                problems.append(((kind, name), problem))
    for name, port in component.inputs.items():
        problems += _input_problems(name, port)
    if not component.jobs:
        problems.append((("jobs",), "a pipeline component needs at least one job under `jobs:`"))
    return problems
