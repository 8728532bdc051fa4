"""Compiling the jobs of one pipeline: the job itself, or a pipeline component inside it.

A step whose component is a pipeline component (`type: pipeline`) is a group: its inner jobs are
compiled in a scope of their own and become steps of the job named `<group>.<inner name>`, so the
runner only ever sees command steps. A scope knows what its `${{parent.inputs.x}}` are bound to,
which outputs of the enclosing pipeline its `${{parent.outputs.y}}` are, and which file its fields
are in (a local pipeline component file has its own lines and folder).

Bindings to a group's outputs (`${{parent.jobs.g.outputs.y}}`) first name the group; once every
scope is compiled, `resolve_group_outputs` follows them to the inner step that writes the output.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.command_jobs import inline_declarations
from pipelines.document import DATA_TYPES, DataReference, ParentBinding
from pipelines.parsing import parse_step
from studio.schemas.loading import DefinitionError, LineIndex, Problem, format_path

MAX_DEPTH = 10  # pipeline components inside pipeline components


@dataclass
class Origin:
    """Where a step of the job was written: its file, its lines and its name there."""

    filename: str
    index: LineIndex
    name: str


@dataclass
class Scope:
    """What the jobs of one pipeline see of the pipeline around them."""

    prefix: str = ""  # "" at the top, else "<group>."
    group: str = ""  # the qualified name of the pipeline-component step, "" at the top
    inputs: dict[str, dict] = field(default_factory=dict)  # parent input -> its binding
    sources: dict[str, str] = field(default_factory=dict)  # parent input -> the job's input it is
    declared: set[str] = field(default_factory=set)  # parent inputs that exist, bound or not
    declarations: dict[str, dict] = field(default_factory=dict)  # parent input -> {type, ...}
    outputs: dict[str, dict] = field(default_factory=dict)  # parent output -> {type, path, name, ...}
    feeds: dict[str, str | None] | None = None  # parent output -> the job's output it is (None: top)
    default_compute: str | None = None
    depth: int = 0
    seen: tuple[str, ...] = ()  # the pipeline components this scope is inside (a cycle guard)
    # Filled while compiling: parent output -> (step or group of this scope, its output).
    output_sources: dict[str, tuple[str, str]] = field(default_factory=dict)

    def feed(self, output: str | None) -> str | None:
        """The job-level output a `${{parent.outputs.<output>}}` of this scope is, if any."""
        if output is None:
            return None
        return output if self.feeds is None else self.feeds.get(output)


class LocalSteps:
    """The steps and groups of one scope by the names its jobs use."""

    def __init__(self, steps: dict[str, dict], groups: dict[str, dict], prefix: str) -> None:
        self.steps, self.groups, self.prefix = steps, groups, prefix

    def get(self, name: str, default: Any = None) -> Any:
        qualified = self.prefix + name
        return self.steps.get(qualified) or self.groups.get(qualified) or default


def is_pipeline_component(component) -> bool:
    return component is not None and (component.spec or {}).get("type") == "pipeline"


@contextmanager
def in_file(c, *, filename: str, index: LineIndex, base_dir: Path | None):
    """Problems and warnings name `filename` and its lines; local paths are relative to `base_dir`."""
    saved = c.filename, c.index, c.base_dir, c.rewrite
    c.filename, c.index, c.base_dir, c.rewrite = filename, index, base_dir, (lambda path: path)
    try:
        yield
    finally:
        c.filename, c.index, c.base_dir, c.rewrite = saved


def compile_jobs(c, jobs: dict, scope: Scope, steps: dict[str, dict], groups: dict[str, dict]) -> None:
    """Compile `jobs` (a pipeline's `jobs:`) into `steps` (by qualified name) and `groups`."""
    for step_name, raw_step in jobs.items():
        step = parse_step(step_name, raw_step, c.problem, c.warning)
        if step is None:
            continue
        path = ("jobs", step.name)
        qualified = scope.prefix + step.name
        local = LocalSteps(steps, groups, scope.prefix)
        if step.inline is not None:
            declared = inline_declarations(step, scope.inputs, scope.declarations, local)
            component = c.inline_component({**step.inline, **declared}, path, name=step.name)
        else:
            component = c.component(step.component, (*path, "component"))
        compute = (
            c.compute(step.compute, (*path, "compute")) if step.compute is not None else scope.default_compute
        )
        if compute is None and step.compute is None and not c.registering:
            c.problem((*path, "compute"), "no compute: set settings.default_compute or this job's compute")
        if step.type == "pipeline" and component is not None and not is_pipeline_component(component):
            c.problem(
                (*path, "component"), f"{component.name} is a command component, not a pipeline component"
            )
            continue
        ports = component.spec.get("inputs", {}) if component else {}
        inputs, input_sources = _bind_inputs(c, step, scope, ports)
        for port, feeds in step.outputs.items():
            if feeds is not None and scope.feeds is not None and feeds not in scope.outputs:
                c.problem(
                    (*path, "outputs", port),
                    f"binds parent.outputs.{feeds}, which this pipeline does not declare",
                )
            elif feeds is not None and feeds in scope.output_sources:
                other = ".".join(scope.output_sources[feeds]).removeprefix(scope.prefix)
                c.problem((*path, "outputs", port), f"parent.outputs.{feeds} is already bound to {other}")
            elif feeds is not None:
                scope.output_sources[feeds] = (qualified, port)
        if is_pipeline_component(component):
            _expand_group(c, step, component, qualified, compute, inputs, input_sources, scope, steps, groups)
            continue
        steps[qualified] = {
            "name": qualified,
            "display_name": step.display_name,
            "component": component,
            "compute": compute,
            "inputs": inputs,
            "input_sources": input_sources,
            "outputs": {port: scope.feed(feeds) for port, feeds in step.outputs.items()},
            "limits": step.limits.model_dump(),
            "retry_settings": step.retry_settings.model_dump(),
            "force_rerun": step.force_rerun,
            "environment_variables": step.environment_variables,
            "resources": step.resources,
            "output_destinations": c.output_destinations(step, scope.outputs),
            "output_assets": c.output_assets(step, scope.outputs),
            "group": scope.group,
            "_output_types": step.output_types,  # as the step declares them, checked against the component's
        }
        if scope.group:
            steps[qualified]["_origin"] = Origin(c.filename, c.index, step.name)


def _bind_inputs(c, step, scope: Scope, ports: dict) -> tuple[dict[str, Any], dict[str, str]]:
    inputs: dict[str, Any] = {}
    input_sources: dict[str, str] = {}
    for port, value in step.inputs.items():
        port_path = ("jobs", step.name, "inputs", port)
        if isinstance(value, ParentBinding) and value.parts[0] == "inputs":
            source = value.parts[1]
            if source not in scope.inputs and source not in scope.declared:
                c.problem(port_path, f"binds parent.inputs.{source}, which the pipeline does not declare")
                continue
            if source in scope.inputs:
                inputs[port] = dict(scope.inputs[source])
            if source in scope.sources:
                input_sources[port] = scope.sources[source]
        elif isinstance(value, ParentBinding):
            inputs[port] = {
                "kind": "step_output",
                "step": scope.prefix + value.parts[1],
                "output": value.parts[3],
            }
        elif isinstance(value, DataReference):
            expected = ports.get(port, {}).get("type")
            binding = c.data(value, port_path, expected_type=expected if expected in DATA_TYPES else None)
            if binding is not None:
                inputs[port] = binding
        else:
            inputs[port] = {"kind": "literal", "value": value.value}
    return inputs, input_sources


def _definition(c, step, component) -> tuple[dict, str, LineIndex, Path | None]:
    """The pipeline component's document and the file it is read from: its local YAML file when
    the step names one (its lines, its folder), else the registered definition."""
    reference = step.component.strip().removeprefix("file:") if isinstance(step.component, str) else None
    if reference and reference.endswith((".yml", ".yaml")) and not reference.startswith("azureml:"):
        file = (c.base_dir / reference).resolve()
        try:
            document, index = c.component_file(file)
        except (OSError, DefinitionError):
            document = None
        if isinstance(document, dict):
            return document, str(file), index, file.parent
    return component.spec, f"{component.name}:{component.version}", LineIndex(), None


def _expand_group(
    c, step, component, qualified, compute, inputs, input_sources, scope, steps, groups
) -> None:
    """Compile a pipeline component's jobs as steps of the job, inside the group `qualified`."""
    path = ("jobs", step.name)
    identity = f"{component.name}:{component.version}"
    if scope.depth >= MAX_DEPTH or identity in scope.seen:
        c.problem(
            (*path, "component"),
            f"pipeline components nest more than {MAX_DEPTH} deep, or {identity} contains itself",
        )
        return
    for key, value in (
        ("limits", step.limits.timeout),
        ("retry_settings", step.retry_settings.max_retries or step.retry_settings.retry_on_failure),
        ("environment_variables", step.environment_variables),
        ("resources", step.resources),
        ("force_rerun", step.force_rerun),
    ):
        if value:
            c.warning((*path, key), "has no effect on a pipeline component step: set it on the steps inside")
    declared_inputs = component.spec.get("inputs", {}) or {}
    declared_outputs = component.spec.get("outputs", {}) or {}
    for port in step.inputs:
        if port not in declared_inputs:
            c.problem((*path, "inputs", port), f"pipeline component {identity} has no input named {port!r}")
    for port in step.outputs:
        if port not in declared_outputs:
            c.problem((*path, "outputs", port), f"pipeline component {identity} has no output named {port!r}")
    child_inputs: dict[str, dict] = {}
    for name, declaration in declared_inputs.items():
        if name in inputs:
            child_inputs[name] = inputs[name]
        elif declaration.get("default") is not None:
            child_inputs[name] = {"kind": "literal", "value": declaration["default"]}
        elif not declaration.get("optional") and name not in input_sources and not c.registering:
            c.problem(
                (*path, "inputs"), f"required input {name!r} of pipeline component {identity} is not bound"
            )
    child_outputs: dict[str, dict] = {}
    for name, declaration in declared_outputs.items():
        own: dict[str, Any] = {"type": declaration.get("type", "uri_folder")}
        if name in step.output_paths:
            own["path"] = step.output_paths[name]
        if name in step.output_assets:
            own.update(step.output_assets[name])
        feeds = step.outputs.get(name)
        if len(own) == 1 and feeds in scope.outputs:
            own = {**scope.outputs[feeds], "type": own["type"]}
        child_outputs[name] = own
    child = Scope(
        prefix=qualified + ".",
        group=qualified,
        inputs=child_inputs,
        sources={name: input_sources[name] for name in declared_inputs if name in input_sources},
        declared=set(declared_inputs),
        declarations=declared_inputs,
        outputs=child_outputs,
        feeds={name: scope.feed(step.outputs.get(name)) for name in declared_outputs},
        default_compute=compute,
        depth=scope.depth + 1,
        seen=(*scope.seen, identity),
    )
    document, filename, index, base_dir = _definition(c, step, component)
    jobs = document.get("jobs") if isinstance(document, dict) else None
    with in_file(c, filename=filename, index=index, base_dir=base_dir):
        compile_jobs(c, jobs if isinstance(jobs, dict) else {}, child, steps, groups)
        for name in declared_outputs:
            if name not in child.output_sources:
                c.problem(("outputs", name), "no job output is bound to this pipeline output")
    groups[qualified] = {
        "name": step.name,
        "parent": scope.group,
        "display_name": step.display_name or component.display_name or "",
        "component": component,
        "inputs": inputs,
        "input_sources": input_sources,
        "outputs": dict(child.output_sources),
    }


def resolve_group_outputs(c, steps: dict[str, dict], groups: dict[str, dict], report: ScopedReport) -> None:
    """Point every binding to a group's output at the inner step that writes it; a binding to an
    output the group does not have is reported (on `report`) and dropped."""

    def leaf(step: str, output: str) -> tuple[str, str] | None:
        for _ in range(MAX_DEPTH + 1):
            group = groups.get(step)
            if group is None:
                return step, output
            found = group["outputs"].get(output)
            if found is None:
                return None
            step, output = found
        return None

    for group in groups.values():
        group["outputs"] = {
            name: resolved for name, source in group["outputs"].items() if (resolved := leaf(*source))
        }
    for name, holder in [*steps.items(), *groups.items()]:
        for port, binding in list(holder["inputs"].items()):
            if binding.get("kind") != "step_output" or binding["step"] not in groups:
                continue
            resolved = leaf(binding["step"], binding["output"])
            if resolved is None:
                group = groups[binding["step"]]
                report.problem(
                    ("jobs", name, "inputs", port),
                    f"{group['name']} ({group['component'].name}) has no output named {binding['output']!r}",
                )
                del holder["inputs"][port]
                continue
            holder["inputs"][port] = {**binding, "step": resolved[0], "output": resolved[1]}


class ScopedReport:
    """`c.problem` for checks across all the job's steps: a problem about a step written in a
    pipeline component names that component's file, its line and the step's own name there."""

    def __init__(self, c, steps: dict[str, dict]) -> None:
        self.c, self.steps = c, steps
        self.allow_unset_parameters = c.allow_unset_parameters or c.registering
        self.reported: set[tuple] = set()  # one problem per input or output of a step is enough

    def problem(self, path: tuple, message: str) -> None:
        if len(path) >= 4 and path[0] == "jobs":
            if path[:4] in self.reported:
                return
            self.reported.add(path[:4])
        step = self.steps.get(path[1]) if len(path) > 1 and path[0] == "jobs" else None
        origin = step.get("_origin") if step else None
        if origin is None:
            self.c.problem(path, message)
            return
        local = ("jobs", origin.name, *path[2:])
        self.c.problems.append(
            Problem(origin.filename, format_path(local), message, origin.index.line_of(local))
        )
