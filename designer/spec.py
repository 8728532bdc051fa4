"""PipelineSpec: the one validated, frozen form every front door compiles a pipeline to.

The designer graph, pipeline YAML, the REST API and endpoint invocations all produce a
PipelineSpec; the runner executes only that. A spec names exact component versions and holds
every parameter value, so a job that stores its spec is reproducible and can be cloned.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from studio.schemas.component import ASSET_TYPES

FOLDER_LIKE = ("uri_folder", "mltable", "mlflow_model", "custom_model")


class SpecModel(BaseModel):
    """Frozen, strict parts of a spec."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LiteralBinding(SpecModel):
    """A parameter value."""

    kind: Literal["literal"] = "literal"
    value: str | bool | int | float | None


class DataBinding(SpecModel):
    """Data from outside the job: a stored snapshot (of a data asset or an upload), or a URL."""

    kind: Literal["data"] = "data"
    type: str
    snapshot: str | None = None
    url: str | None = None
    asset: str | None = Field(default=None, description="NAME:VERSION of the data asset, when one")


class StepOutputBinding(SpecModel):
    """An output of another step of the same job."""

    kind: Literal["step_output"] = "step_output"
    step: str
    output: str


Binding = Annotated[LiteralBinding | DataBinding | StepOutputBinding, Field(discriminator="kind")]


class ComponentPin(SpecModel):
    """The exact component version a step runs, with its definition frozen in."""

    id: int
    name: str
    version: str
    content_hash: str
    spec: dict[str, Any]
    environment_id: int
    environment: str
    environment_hash: str


class StepSpec(SpecModel):
    """One node of the pipeline."""

    name: str
    display_name: str = ""
    component: ComponentPin
    compute: str
    inputs: dict[str, Binding] = Field(default_factory=dict)
    outputs: dict[str, str | None] = Field(
        default_factory=dict, description="output port -> the pipeline output it feeds, or None"
    )
    input_sources: dict[str, str] = Field(
        default_factory=dict, description="input port -> the pipeline input its value comes from"
    )
    max_retries: int = 0
    retry_on_failure: bool = False
    timeout_seconds: int | None = None
    force_rerun: bool = False

    def upstream(self) -> set[str]:
        """Steps whose outputs this step reads."""
        return {b.step for b in self.inputs.values() if isinstance(b, StepOutputBinding)}


class PipelineSettings(SpecModel):
    """Job-wide settings."""

    default_compute: str | None = None
    continue_on_step_failure: bool = False
    force_rerun: bool = False


class PipelineOutput(SpecModel):
    """A pipeline-level output: which step output it is."""

    type: str = "uri_folder"
    step: str
    output: str


class InputDeclaration(SpecModel):
    """What the pipeline document said about one of its inputs besides the value."""

    type: str | None = None
    description: str = ""
    optional: bool = False


class PipelineSpec(SpecModel):
    """A whole pipeline, ready to run."""

    display_name: str = ""
    experiment_name: str = "Default"
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    settings: PipelineSettings = Field(default_factory=PipelineSettings)
    inputs: dict[str, Binding] = Field(default_factory=dict)
    input_declarations: dict[str, InputDeclaration] = Field(
        default_factory=dict, description="declared type, description and optional flag per pipeline input"
    )
    outputs: dict[str, PipelineOutput] = Field(default_factory=dict)
    steps: dict[str, StepSpec]

    def order(self) -> list[str]:
        """Step names in an order where every step comes after the steps it reads from."""
        return list(self._order)

    @cached_property
    def _order(self) -> tuple[str, ...]:
        order: list[str] = []
        done: set[str] = set()
        pending = dict(self.steps)
        while pending:
            ready = sorted(name for name, step in pending.items() if step.upstream() <= done)
            if not ready:
                raise ValueError(f"cycle among steps {', '.join(sorted(pending))}")
            for name in ready:
                order.append(name)
                done.add(name)
                del pending[name]
        return tuple(order)


def find_cycle(steps: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the step graph (`step -> upstream steps`), in order, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        stack.append(name)
        for upstream in sorted(steps.get(name, ())):
            if upstream not in steps:
                continue
            if state.get(upstream) == 1:
                return [*stack[stack.index(upstream) :], upstream]
            if state.get(upstream) is None:
                found = visit(upstream)
                if found:
                    return found
        stack.pop()
        state[name] = 2
        return None

    for name in sorted(steps):
        if state.get(name) is None:
            found = visit(name)
            if found:
                return found
    return None


def port_types_compatible(source: str, target: str) -> bool:
    """Whether an output of type `source` may feed an input of type `target`."""
    if source == target:
        return True
    return source in FOLDER_LIKE and target in FOLDER_LIKE


def literal_problem(port: dict[str, Any], value: Any) -> str | None:
    """What is wrong with a literal value for an input port, or None."""
    kind = port["type"]
    if kind in ASSET_TYPES:
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
