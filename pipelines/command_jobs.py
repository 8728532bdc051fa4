"""Commands without a registered component: standalone command jobs and steps written inline.

Azure ML's most common job is a command job (`type: command`, or a document with `command:` and no
`jobs:`): code, a command, an environment, inputs and outputs. Studio runs it as a pipeline of one
step (STEP_NAME_OF_COMMAND_JOB) written inline, so it gets the same pages, REST routes, reuse,
cancel and live view; problems and warnings keep the paths (and lines) of the job's own fields.

A step written inline (`command:` and `environment:` instead of `component:`) gets an anonymous
component whose ports are declared from what the step binds to them, as Azure ML infers them: a
literal's type, the declared type of the pipeline input it reads, the type of the output it
reads, `uri_folder` when nothing says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipelines.document import (
    COMMAND_JOB_FIELDS,
    STEP_NAME_OF_COMMAND_JOB,
    TOLERATED,
    UNSUPPORTED,
    DataReference,
    ParentBinding,
    Report,
    Step,
    Value,
)
from pipelines.rules import literal_type

# Fields of a command job that describe the job, not its one step.
JOB_LEVEL = ("name", "display_name", "experiment_name", "description", "tags")


def is_command_job(document: dict[str, Any]) -> bool:
    """Whether a job document is a standalone command job rather than a pipeline."""
    kind = document.get("type")
    return kind == "command" or (kind is None and "command" in document and "jobs" not in document)


def command_job_as_pipeline(
    document: dict[str, Any], report: Report
) -> tuple[dict[str, Any], Callable[[tuple], tuple]]:
    """The command job as a pipeline job of one inline step, and the rewrite that gives a path of
    that pipeline (`jobs.main.inputs.lr`) back as the job's own (`inputs.lr`)."""
    step: dict[str, Any] = {}
    for key, value in document.items():
        if key in ("$schema", "type") or key in JOB_LEVEL:
            continue
        if key in COMMAND_JOB_FIELDS or key in TOLERATED or key in UNSUPPORTED:
            step[key] = value  # the step's parser refuses or warns about the last two
        else:
            report((key,), "is not a field of a command job, or one Studio does not support")
    pipeline = {key: document[key] for key in JOB_LEVEL if key in document}
    pipeline["type"] = "pipeline"
    pipeline["jobs"] = {STEP_NAME_OF_COMMAND_JOB: step}
    prefix = ("jobs", STEP_NAME_OF_COMMAND_JOB)

    def rewrite(path: tuple) -> tuple:
        return path[2:] if path[:2] == prefix else path

    return pipeline, rewrite


def _input_port(
    value: Any, pipeline_inputs: dict[str, dict], declarations: dict[str, dict], steps: dict[str, dict]
) -> dict[str, Any]:
    if isinstance(value, ParentBinding) and value.parts[0] == "inputs":
        bound = pipeline_inputs.get(value.parts[1])
        declaration = declarations.get(value.parts[1]) or {}
        declared = declaration.get("type")
        if declared:  # what the pipeline (or pipeline component) declares, bound or not
            unset = bound is None or (bound["kind"] == "literal" and bound["value"] is None)
            optional = bool(declaration.get("optional")) or (unset and bound is not None)
            return {"type": declared, **({"optional": True} if optional else {})}
        if bound is None:
            return {"type": "string", "optional": True}  # the binding itself is reported
        if bound["kind"] == "data":
            return {"type": bound["type"]}
        kind = literal_type(bound["value"]) or "string"
        return {"type": kind, **({"optional": True} if bound["value"] is None else {})}
    if isinstance(value, ParentBinding):  # jobs.S.outputs.Y
        upstream = (steps.get(value.parts[1]) or {}).get("component")
        outputs = upstream.spec.get("outputs", {}) if upstream is not None else {}
        return {"type": (outputs.get(value.parts[3]) or {}).get("type", "uri_folder")}
    if isinstance(value, DataReference):
        return {"type": value.type or "uri_folder"}
    if isinstance(value, Value) and value.type is not None:
        return {"type": value.type, **({"optional": True} if value.value is None else {})}
    if isinstance(value, Value) and value.value is not None:
        return {"type": literal_type(value.value) or "string"}
    return {"type": "string", "optional": True}


def inline_declarations(
    step: Step, pipeline_inputs: dict[str, dict], declarations: dict[str, dict], steps: dict[str, dict]
) -> dict[str, Any]:
    """The `inputs:` and `outputs:` an inline step's anonymous component declares."""
    inputs = {
        port: _input_port(value, pipeline_inputs, declarations, steps) for port, value in step.inputs.items()
    }
    outputs = {port: {"type": step.output_types.get(port, "uri_folder")} for port in step.outputs}
    return {"inputs": inputs, "outputs": outputs}
