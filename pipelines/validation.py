"""Checks across the steps of a pipeline, shared by every front door, and assembly of the spec."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from pipelines.columns import check_columns
from pipelines.document import literal_problem
from pipelines.gpu_requests import check_gpu_requests
from pipelines.rules import data_fits
from pipelines.spec import PipelineSpec, find_cycle, port_types_compatible
from studio.schemas.component import ASSET_TYPES


def _pin(component) -> dict[str, Any]:
    environment = component.environment
    return {
        "id": component.pk,
        "name": component.name,
        "version": component.version,
        "content_hash": component.content_hash,
        "spec": component.spec,
        "environment_id": environment.pk,
        "environment": f"{environment.name}:{environment.version}",
        "environment_hash": environment.content_hash,
    }


def _group(group: dict) -> dict[str, Any]:
    component = group["component"]
    return {
        "name": group["name"],
        "parent": group["parent"],
        "display_name": group["display_name"],
        "component": {
            "id": component.pk,
            "name": component.name,
            "version": component.version,
            "display_name": component.display_name,
        },
        "inputs": group["inputs"],
        "input_sources": group["input_sources"],
        "outputs": {name: {"step": step, "output": port} for name, (step, port) in group["outputs"].items()},
    }


def _check_inputs(report, name: str, step: dict, steps: dict[str, dict], *, unset_parameters: bool) -> None:
    component = step["component"]
    ports = component.spec.get("inputs", {})
    where = ("jobs", name, "inputs")
    for port, binding in step["inputs"].items():
        if port not in ports:
            report((*where, port), f"component {component.name} has no input named {port!r}")
            continue
        declared = ports[port]
        kind = binding["kind"]
        if kind == "literal":
            problem = literal_problem(declared, binding["value"])
            if problem:
                report((*where, port), problem)
        elif kind == "data":
            if declared["type"] not in ASSET_TYPES:
                report((*where, port), f"is a {declared['type']} parameter, not a data input")
            elif not data_fits(binding["type"], declared["type"]):
                report((*where, port), f"expects {declared['type']}, but the data is {binding['type']}")
        elif kind == "step_output":
            upstream = steps.get(binding["step"])
            if upstream is None:
                report(
                    (*where, port),
                    f"binds an output of {binding['step']!r}, which is not a job of this pipeline",
                )
                continue
            if binding["step"] == name:
                report((*where, port), "a step cannot read its own output")
                continue
            if upstream["component"] is None:
                continue
            outputs = upstream["component"].spec.get("outputs", {})
            if binding["output"] not in outputs:
                report(
                    (*where, port),
                    f"{binding['step']} ({upstream['component'].name}) "
                    f"has no output named {binding['output']!r}",
                )
                continue
            source = outputs[binding["output"]]["type"]
            if declared["type"] not in ASSET_TYPES:
                report(
                    (*where, port), f"is a {declared['type']} parameter; it cannot take the {source} output"
                )
            elif not port_types_compatible(source, declared["type"]):
                report(
                    (*where, port),
                    f"expects {declared['type']}, but {binding['step']}.{binding['output']} is {source}",
                )
    for port, declared in ports.items():
        bound = step["inputs"].get(port)
        unset = bound is None or (bound["kind"] == "literal" and bound["value"] is None)
        if unset and unset_parameters and port in step.get("input_sources", {}):
            continue  # a published pipeline's required parameter: each invocation must set it
        if unset and not declared.get("optional") and declared.get("default") is None:
            report((*where, port), f"required input of {component.name} is not bound")


def check_steps(
    compiler, *, steps: dict[str, dict], pipeline_outputs: dict[str, dict]
) -> dict[str, dict[str, str]]:
    """Check the steps against each other; problems go to `compiler`. Returns the pipeline's
    outputs ({name: {type, step, output}}) as far as they are bound. Reads components' specs
    only: planned (unsaved) components are checked like registered ones."""
    report = compiler.problem
    for name, step in steps.items():
        if step["component"] is None:
            continue
        _check_inputs(
            report, name, step, steps, unset_parameters=getattr(compiler, "allow_unset_parameters", False)
        )
        outputs = step["component"].spec.get("outputs", {})
        for port in step["outputs"]:
            if port not in outputs:
                report(
                    ("jobs", name, "outputs", port),
                    f"component {step['component'].name} has no output named {port!r}",
                )
        for port, kind in step.get("_output_types", {}).items():
            written = outputs.get(port, {}).get("type")
            if written is not None and not port_types_compatible(written, kind):
                report(
                    ("jobs", name, "outputs", port, "type"),
                    f"the component writes a {written} here; it cannot be declared {kind}",
                )
    graph = {
        name: {b["step"] for b in step["inputs"].values() if b["kind"] == "step_output"}
        for name, step in steps.items()
    }
    cycle = find_cycle(graph)
    if cycle:
        report(("jobs", cycle[0]), "the jobs form a cycle: " + " -> ".join(reversed(cycle)))
    fed_by: dict[str, tuple[str, str]] = {}
    for name, step in steps.items():
        for port, target in step["outputs"].items():
            if target is None:
                continue
            if target in fed_by:
                other = ".".join(fed_by[target])
                report(
                    ("jobs", name, "outputs", port), f"parent.outputs.{target} is already bound to {other}"
                )
                continue
            if pipeline_outputs and target not in pipeline_outputs:
                report(
                    ("jobs", name, "outputs", port),
                    f"binds parent.outputs.{target}, which the pipeline does not declare",
                )
                continue
            fed_by[target] = (name, port)
    for target in pipeline_outputs:
        if target not in fed_by:
            report(("outputs", target), "no job output is bound to this pipeline output")
    outputs = {}
    for target, (name, port) in fed_by.items():
        component = steps[name]["component"]
        if component is not None and port in component.spec.get("outputs", {}):
            written = component.spec["outputs"][port]["type"]
            declared = (pipeline_outputs.get(target) or {}).get("type")
            if isinstance(declared, str) and not port_types_compatible(written, declared):
                report(
                    ("outputs", target, "type"),
                    f"{name}.{port} writes a {written}; it cannot be declared {declared}",
                )
            outputs[target] = {"type": written, "step": name, "output": port}
    if not cycle:
        check_columns(report, steps)
    check_gpu_requests(report, steps)
    return outputs


def build_spec(
    compiler,
    *,
    steps: dict[str, dict],
    groups: dict[str, dict] | None = None,
    header: dict[str, Any],
    pipeline_inputs: dict[str, dict],
    outputs: dict[str, dict],
) -> PipelineSpec | None:
    """The PipelineSpec of checked steps, each component pinned (id, content hash, environment):
    called once their registrations are written. A shape no check foresaw goes to `compiler`."""
    document = {
        **header,
        "inputs": pipeline_inputs,
        "outputs": outputs,
        "steps": {
            name: {
                **{key: value for key, value in step.items() if not key.startswith("_")},
                "component": _pin(step["component"]),
                "compute": step["compute"],
            }
            for name, step in steps.items()
        },
        "groups": {name: _group(group) for name, group in (groups or {}).items()},
    }
    try:
        return PipelineSpec.model_validate(document)
    except ValidationError as error:  # a shape no check above foresaw: still a 400, never a 500
        for item in error.errors(include_url=False):
            compiler.problem(tuple(str(part) for part in item["loc"]), item["msg"])
        return None
