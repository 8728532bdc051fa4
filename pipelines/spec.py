"""PipelineSpec: the one validated, frozen form every front door compiles a pipeline to.

The designer graph, pipeline YAML, the REST API and endpoint invocations all produce a
PipelineSpec; the runner executes only that. A spec names exact component versions and holds
every parameter value, so a job that stores its spec is reproducible and can be cloned.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipelines.document import Limits, RetrySettings, fold_flat_names
from pipelines.rules import port_types_compatible as port_types_compatible  # validation imports it here


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
    limits: Limits = Field(default_factory=Limits)
    retry_settings: RetrySettings = Field(default_factory=RetrySettings)
    force_rerun: bool = False
    environment_variables: dict[str, str] = Field(
        default_factory=dict, description="set in the step's container on top of its environment's"
    )
    resources: dict[str, Any] = Field(
        default_factory=dict, description="the step's own resources, on top of its component's"
    )
    output_assets: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="output port -> {name, version}: the data or model asset it is registered as once "
        "the step succeeds (version None: the next number)",
    )
    output_destinations: dict[str, str] = Field(
        default_factory=dict,
        description="output port -> the datastore URI it is also written to once the step succeeds "
        "(${{name}} and ${{output_name}} are filled in then)",
    )
    group: str = Field(
        default="",
        description="the qualified name of the innermost pipeline-component step holding this step "
        "('middle.inner'), '' at the top level; the step's own name is then '<group>.<name>'",
    )

    @model_validator(mode="before")
    @classmethod
    def _older_names(cls, data: Any) -> Any:
        """Specs frozen before the run settings took Azure ML's names still read."""
        return fold_flat_names(data)

    def effective_resources(self) -> dict[str, Any]:
        """The component's resources with the step's own on top."""
        return {**(self.component.spec.get("resources") or {}), **self.resources}

    def upstream(self) -> set[str]:
        """Steps whose outputs this step reads."""
        return {b.step for b in self.inputs.values() if isinstance(b, StepOutputBinding)}


class GroupOutput(SpecModel):
    """Which step output an output of a pipeline-component step is."""

    step: str
    output: str


class GroupSpec(SpecModel):
    """A step whose component is a pipeline component (`type: pipeline`): its inner steps are
    steps of the job named `<qualified name>.<inner name>`; the group only gathers them."""

    name: str = Field(description="the step's own name in its parent pipeline ('inner')")
    parent: str = Field(default="", description="the qualified name of the enclosing group, '' at the top")
    display_name: str = ""
    component: dict[str, Any] = Field(
        description="{id, name, version, display_name} of the pipeline component version it ran"
    )
    inputs: dict[str, Binding] = Field(default_factory=dict, description="as its parent bound them")
    input_sources: dict[str, str] = Field(
        default_factory=dict, description="input -> the job's input its value comes from"
    )
    outputs: dict[str, GroupOutput] = Field(default_factory=dict)


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
    groups: dict[str, GroupSpec] = Field(
        default_factory=dict,
        description="pipeline-component steps by qualified name ('middle', 'middle.inner'); the "
        "steps they hold are in `steps`",
    )
    warnings: list[dict[str, Any]] = Field(
        default_factory=list,
        description="fields Azure ML accepts that have no effect here: {file, field, line, message}",
    )

    def order(self) -> list[str]:
        """Step names in an order where every step comes after the steps it reads from."""
        return list(self._order)

    @cached_property
    def _order(self) -> tuple[str, ...]:
        # Round by round, as if every step that can start started at once; names sorted within
        # a round.
        found = rounds({name: step.upstream() for name, step in self.steps.items()})
        return tuple(sorted(found, key=lambda name: (found[name], name)))


def rounds(upstream: dict[str, set[str]], *, break_cycles: bool = False) -> dict[str, int]:
    """Each name's round: 0 when it depends on nothing, else one more than its latest dependency's
    (the longest path to it). `upstream`: name -> the names it depends on. Linear: each name and
    each dependency is looked at once (Kahn's algorithm).

    Names in a cycle, or depending on a name that is not a key, never get a round: ValueError
    naming them; with `break_cycles`, the first of them (in key order) is given one from the
    dependencies that have one, and the walk goes on from there.
    """
    waiting = {name: len(needs) for name, needs in upstream.items()}
    dependents: dict[str, list[str]] = {}
    for name, needs in upstream.items():
        for need in needs:
            dependents.setdefault(need, []).append(name)
    found: dict[str, int] = {}
    queue = [name for name, count in waiting.items() if count == 0]
    head = 0
    names = iter(upstream)  # where to look for the next name to break a cycle at
    while True:
        while head < len(queue):
            name = queue[head]
            head += 1
            found[name] = max((found[need] + 1 for need in upstream[name] if need in found), default=0)
            for dependent in dependents.get(name, ()):
                waiting[dependent] -= 1
                if waiting[dependent] == 0:
                    queue.append(dependent)
        if len(found) == len(upstream):
            return found
        if not break_cycles:
            raise ValueError(f"cycle among steps {', '.join(sorted(set(upstream) - set(found)))}")
        forced = next(name for name in names if name not in found)
        waiting[forced] = 0  # later decrements take it below 0: it is never queued twice
        queue.append(forced)


def find_cycle(steps: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the step graph (`step -> upstream steps`), in order, or None.

    A depth-first walk with its own stack (a chain of 10,000 steps is deeper than Python's
    recursion limit), visiting names and upstream names in sorted order.
    """
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(steps):
        if start in state:
            continue
        path = [start]
        pending = [iter(sorted(steps[start]))]
        state[start] = 1
        while pending:
            upstream = next(pending[-1], None)
            if upstream is None:
                state[path.pop()] = 2
                pending.pop()
            elif upstream not in steps or state.get(upstream) == 2:
                continue
            elif state.get(upstream) == 1:
                return [*path[path.index(upstream) :], upstream]
            else:
                state[upstream] = 1
                path.append(upstream)
                pending.append(iter(sorted(steps[upstream])))
    return None
