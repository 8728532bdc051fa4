"""Parsing a job document's shape into the typed parts of pipelines/document.py.

Each `parse_*` reports what is wrong at its field path (`report`) and what has no effect here
(`warn`), and returns the typed part, or None when there is none to return. Nothing is looked up.
"""

from __future__ import annotations

from typing import Any

from pipelines.document import (
    DATA_TYPES,
    ENV_NAME,
    INLINE_STEP_FIELDS,
    MAX_RETRIES,
    PIPELINE_FIELDS,
    SETTINGS_FIELDS,
    STEP_FIELDS,
    TOLERATED,
    UNSUPPORTED,
    DataReference,
    Declaration,
    Limits,
    Path,
    PipelineHeader,
    PipelineInput,
    Report,
    RetrySettings,
    Settings,
    Step,
    StepInput,
    Value,
    literal_problem,
    parent_binding,
)
from pipelines.rules import ASSET_NAME, JOB_NAME, PARAMETER_TYPES
from pipelines.rules import PIPELINE_INPUT_NAME as INPUT_NAME
from studio.schemas.component import NETWORK_PROBLEM, STEP_NETWORKS


def _flag(value: Any, path: Path, report: Report) -> bool:
    """A true/false setting; anything else is a problem (and false)."""
    if value is None:
        return False
    if not isinstance(value, bool):
        report(path, f"expected true or false, got {value!r}")
        return False
    return value


def _ignore(path: Path, message: str) -> None:
    """A warning nobody listens to."""


def parse_header(document: dict[str, Any], report: Report, warn: Report = _ignore) -> PipelineHeader:
    """The job's own fields and settings; unknown and unsupported fields are reported, tolerated
    ones warned about."""
    if document.get("type", "pipeline") != "pipeline":
        report(("type",), f"Studio runs pipeline jobs; type {document.get('type')!r} is not supported here")
    for key in document:
        if key in UNSUPPORTED:
            report((key,), UNSUPPORTED[key])
        elif key in TOLERATED:
            warn((key,), TOLERATED[key])
        elif key not in PIPELINE_FIELDS:
            report((key,), "is not a field of a pipeline job, or one Studio does not support")
    raw_settings = document.get("settings") or {}
    if not isinstance(raw_settings, dict):
        report(("settings",), "must be a mapping")
        raw_settings = {}
    for key in raw_settings:
        if key in SETTINGS_FIELDS:
            continue
        if key in TOLERATED:
            warn(("settings", key), TOLERATED[key])
        else:
            warn(("settings", key), "is not a pipeline setting Studio knows; it has no effect here")
    for flag in ("continue_on_step_failure", "force_rerun"):
        if flag in raw_settings and not isinstance(raw_settings[flag], bool):
            report(("settings", flag), f"expected true or false, got {raw_settings[flag]!r}")
    in_settings = "default_compute" in raw_settings
    raw_outputs = document.get("outputs") or {}
    if not isinstance(raw_outputs, dict):
        report(("outputs",), "must be a mapping")
        raw_outputs = {}
    for name, value in raw_outputs.items():
        _check_output_definition(value, ("outputs", name), report)
    tags = document.get("tags")
    return PipelineHeader(
        display_name=str(document.get("display_name") or document.get("name") or ""),
        experiment_name=str(document.get("experiment_name") or "Default"),
        description=str(document.get("description") or ""),
        tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
        settings=Settings(
            default_compute=raw_settings.get("default_compute", document.get("compute")),
            default_compute_path=("settings", "default_compute") if in_settings else ("compute",),
            default_datastore=raw_settings.get("default_datastore"),
            continue_on_step_failure=bool(raw_settings.get("continue_on_step_failure", False)),
            force_rerun=bool(raw_settings.get("force_rerun", False)),
        ),
        outputs={name: (value or {}) for name, value in raw_outputs.items()},
    )


def parse_data(value: dict, path: Path, report: Report) -> DataReference | None:
    """A `{type, path}` data input; None (reported) when it cannot be one."""
    for key in sorted(set(value) - {"type", "path", "mode", "description"}):
        report((*path, key), "is not a field of a data input")
    kind = value.get("type")
    if kind is not None and kind not in DATA_TYPES:
        report((*path, "type"), f"data inputs are {', '.join(DATA_TYPES)}, not {kind!r}")
        return None
    if value.get("mode") not in (None, "ro_mount", "download", "direct"):
        report((*path, "mode"), f"input mode {value['mode']!r} is not supported")
    location = value.get("path")
    if not isinstance(location, str) or not location.strip():
        report((*path, "path"), "a data input needs a path")
        return None
    description = value.get("description")
    return DataReference(
        kind, location.strip(), value.get("mode"), description if isinstance(description, str) else None
    )


def _declaration(value: dict, path: Path, literal: Any, report: Report) -> Declaration | None:
    """The declared type, description and optional flag of a literal pipeline input, checked
    against its value; None (reported) when they do not fit."""
    declared = value.get("type")
    if declared is not None and declared not in PARAMETER_TYPES:
        hint = " (data inputs need a path)" if declared in DATA_TYPES else ""
        report((*path, "type"), f"{declared!r} is not one of {', '.join(PARAMETER_TYPES)}{hint}")
        return None
    if declared is not None and literal is not None:
        problem = literal_problem({"type": declared}, literal)
        if problem:
            report(path, f"the declared type {declared} does not fit the value: {problem}")
            return None
    description = value.get("description", "")
    if not isinstance(description, str):
        report((*path, "description"), "must be text")
        description = ""
    optional = value.get("optional", False)
    if not isinstance(optional, bool):
        report((*path, "optional"), f"expected true or false, got {optional!r}")
        optional = False
    return Declaration(declared, description, optional)


def parse_pipeline_input(name: Any, value: Any, report: Report) -> PipelineInput | None:
    """One entry of the pipeline's `inputs:`; None (reported) when it cannot be one."""
    path = ("inputs", name)
    if not isinstance(name, str) or not INPUT_NAME.match(name):
        report(path, f"{name!r} is not a valid input name: letters, digits and '_'")
        return None
    if isinstance(value, str) and "${{" in value:
        report(path, "a pipeline input is a value or {type, path}; bindings belong to job inputs")
        return None
    if isinstance(value, dict) and "path" in value:
        data = parse_data(value, path, report)
        return None if data is None else PipelineInput(data)
    if isinstance(value, dict):
        for key in sorted(set(value) - {"type", "default", "value", "description", "optional"}):
            report((*path, key), "is not a field of a pipeline input")
        literal = value.get("value", value.get("default"))
        if not isinstance(literal, (str, int, float, bool)) and literal is not None:
            report(path, f"expected a single value, got {type(literal).__name__}")
            return None
        declaration = _declaration(value, path, literal, report)
        return None if declaration is None else PipelineInput(Value(literal), declaration)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return PipelineInput(Value(value))
    report(path, f"expected a value or {{type, path}}, got {type(value).__name__}")
    return None


def _step_input(value: Any, path: Path, report: Report) -> StepInput | None:
    binding = parent_binding(value)
    if binding is not None:
        parts = binding.parts
        if (len(parts) == 2 and parts[0] == "inputs") or (
            len(parts) == 4 and parts[0] == "jobs" and parts[2] == "outputs"
        ):
            return binding
        report(path, f"{value!r} is not ${{{{parent.inputs.X}}}} or ${{{{parent.jobs.S.outputs.Y}}}}")
        return None
    if isinstance(value, str) and "${{" in value:
        report(path, f"{value!r} is not a binding Studio understands")
        return None
    literal_shape = "value" in value or "default" in value if isinstance(value, dict) else False
    if (
        isinstance(value, dict)
        and "path" not in value
        and (value.get("type") in PARAMETER_TYPES or (literal_shape and "type" not in value))
    ):
        literal = value.get("value", value.get("default"))
        for key in sorted(set(value) - {"type", "value", "default", "description", "optional"}):
            report((*path, key), "is not a field of a literal input")
        if "type" not in value:  # `{value: 3}`: the value says its type, as for a bare literal
            return Value(literal)
        problem = literal_problem({"type": value["type"]}, literal)
        if problem:
            report(path, problem)
            return None
        return Value(literal, value["type"])
    if isinstance(value, dict):
        return parse_data(value, path, report)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return Value(value)
    report(path, f"expected a value, a binding or {{type, path}}, got {type(value).__name__}")
    return None


OUTPUT_FIELDS = {"type", "mode", "path", "name", "version", "description"}
OUTPUT_MODES = ("rw_mount", "upload", "mount", "direct")


def output_asset(value: dict, path: Path, report: Report) -> dict | None:
    """An output definition's `name` (and `version`): the data or model asset version the output
    becomes once its step succeeds; None when it names none (or a bad one, reported)."""
    name, version = value.get("name"), value.get("version")
    if name is None:
        if version is not None:
            report((*path, "version"), "a version needs a name: the asset the output is registered as")
        return None
    if not isinstance(name, str) or not ASSET_NAME.fullmatch(name):
        report((*path, "name"), f"{name!r} is not an asset name: letters, digits, '-', '_' and '.'")
        return None
    if version is not None and (isinstance(version, bool) or not isinstance(version, (str, int))):
        report((*path, "version"), f"expected a version such as 1, got {version!r}")
        return None
    return {"name": name, "version": None if version is None else str(version)}


def _check_output_definition(value: Any, path: Path, report: Report) -> str | None:
    """Check an output definition's fields (`{type, mode, path, name, version, description}`);
    its declared type, when valid."""
    if value is None:
        return None
    if not isinstance(value, dict):
        report(path, f"expected an output definition such as {{type: uri_folder}}, got {value!r}")
        return None
    for key in sorted(set(value) - OUTPUT_FIELDS):
        report((*path, key), "is not a field of an output")
    mode = value.get("mode")
    if mode is not None and mode not in OUTPUT_MODES:
        report((*path, "mode"), f"output mode {mode!r} is not one of {', '.join(OUTPUT_MODES)}")
    kind = value.get("type")
    if kind is not None and kind not in DATA_TYPES:
        report((*path, "type"), f"outputs are {', '.join(DATA_TYPES)}, not {kind!r}")
        return None
    return kind


def _step_outputs(
    raw: Any, path: Path, report: Report, warn: Report
) -> tuple[dict[str, str | None], dict[str, str], dict[str, str], dict[str, dict]]:
    """`outputs:` of a step: which pipeline output each port feeds (or None), the types the
    definitions declare, the datastore paths they are written to and the assets they become."""
    if not isinstance(raw, dict):
        report((*path, "outputs"), "must be a mapping")
        return {}, {}, {}, {}
    outputs: dict[str, str | None] = {}
    types: dict[str, str] = {}
    paths: dict[str, str] = {}
    assets: dict[str, dict] = {}
    for port, value in raw.items():
        port_path = (*path, "outputs", port)
        binding = parent_binding(value)
        if binding is not None:
            if len(binding.parts) == 2 and binding.parts[0] == "outputs":
                outputs[port] = binding.parts[1]
            else:
                report(port_path, f"{value!r} is not ${{{{parent.outputs.Z}}}}")
        elif isinstance(value, dict) or value is None:
            outputs[port] = None
            kind = _check_output_definition(value, port_path, report)
            if kind is not None:
                types[port] = kind
            asset = output_asset(value or {}, port_path, report)
            if asset is not None:
                assets[port] = asset
            where = (value or {}).get("path")
            if where is not None:
                if not isinstance(where, str) or not where.strip().startswith("azureml://datastores/"):
                    report(
                        (*port_path, "path"),
                        "an output's path is a datastore path: azureml://datastores/<name>/paths/<path>",
                    )
                else:
                    paths[port] = where.strip()
        else:
            report(port_path, f"expected ${{{{parent.outputs.Z}}}} or an output definition, got {value!r}")
    return outputs, types, paths, assets


def _environment_variables(raw: Any, path: Path, report: Report) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        report(path, "must be a mapping of variable names to values")
        return {}
    variables: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not ENV_NAME.match(key):
            report((*path, str(key)), f"{key!r} is not an environment variable name")
        elif key.startswith("STUDIO_"):
            report((*path, key), "STUDIO_ variables are Studio's own; choose another name")
        elif isinstance(value, (dict, list)):
            report((*path, key), f"expected a value, got {type(value).__name__}")
        else:
            variables[key] = (
                "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
            )
    return variables


STEP_RESOURCES = {"instance_count", "shm_size", "cpu", "memory", "gpus", "network"}
TOLERATED_RESOURCES = {
    "instance_type": "instance types have no effect here; the step runs on its compute",
    "docker_args": "extra docker arguments are not passed on",
    "properties": "resource properties have no effect here",
    "locations": "locations have no effect here",
    "max_instance_count": "a step runs on one instance here",
}


def _resources(raw: Any, path: Path, report: Report, warn: Report) -> dict[str, Any]:
    """A step's `resources:`: what Studio uses on top of the component's, and warnings for the rest."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        report(path, "must be a mapping such as {shm_size: 2g}")
        return {}
    resources: dict[str, Any] = {}
    for key, value in raw.items():
        if key in TOLERATED_RESOURCES:
            warn((*path, key), TOLERATED_RESOURCES[key])
        elif key not in STEP_RESOURCES:
            report((*path, key), f"is not a resource Studio knows ({', '.join(sorted(STEP_RESOURCES))})")
        elif key == "instance_count":
            if value not in (None, 1):
                report((*path, key), "a step runs on one instance here; multi-node steps are not supported")
        elif key == "gpus" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            report((*path, key), f"expected a whole number of GPUs, got {value!r}")
        elif key == "network" and value not in STEP_NETWORKS:
            report((*path, key), NETWORK_PROBLEM.format(value=value))
        else:
            resources[key] = value
    return resources


def _run_settings(step: dict, path: Path, report: Report) -> tuple[Limits, RetrySettings]:
    limits = step.get("limits") or {}
    retry = step.get("retry_settings") or {}
    if not isinstance(limits, dict):
        report((*path, "limits"), "must be a mapping such as {timeout: 3600}")
        limits = {}
    if not isinstance(retry, dict):
        report((*path, "retry_settings"), "must be a mapping such as {max_retries: 2}")
        retry = {}
    for key in sorted(set(limits) - {"timeout"}):
        report((*path, "limits", key), "is not a limit Studio knows (only timeout)")
    timeout = limits.get("timeout")
    if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0):
        report((*path, "limits", "timeout"), f"expected a whole number of seconds, got {timeout!r}")
        timeout = None
    max_retries = retry.get("max_retries", 0)
    if (
        not isinstance(max_retries, int)
        or isinstance(max_retries, bool)
        or not 0 <= max_retries <= MAX_RETRIES
    ):
        report((*path, "retry_settings", "max_retries"), f"expected a whole number from 0 to {MAX_RETRIES}")
        max_retries = 0
    retry_on_failure = _flag(
        retry.get("retry_on_failure"), (*path, "retry_settings", "retry_on_failure"), report
    )
    for key in set(retry) - {"max_retries", "retry_on_failure", "timeout"}:
        report((*path, "retry_settings", key), "is not a retry setting Studio knows")
    return Limits(timeout=timeout), RetrySettings(max_retries=max_retries, retry_on_failure=retry_on_failure)


def parse_step(name: Any, step: Any, report: Report, warn: Report = _ignore) -> Step | None:
    """One entry of `jobs:`: a step running a component, or one written inline (`command:`); None
    (reported) when it is neither or is no mapping."""
    path = ("jobs", name)
    if not JOB_NAME.match(str(name)):
        report(path, f"{name!r} is not a valid job name: letters, digits and '_'")
        return None
    if not isinstance(step, dict):
        report(path, "must be a mapping")
        return None
    kind = step.get("type", "command")
    if kind not in ("command", "pipeline"):
        report((*path, "type"), f"a step is a command or a pipeline (component) job, not {kind!r}")
    if kind == "pipeline" and "component" not in step:
        report((*path, "component"), "is required: a pipeline step runs a pipeline component")
        return None
    inline = "component" not in step and "command" in step
    for key in step:
        if key in UNSUPPORTED:
            report((*path, key), UNSUPPORTED[key])
        elif key in TOLERATED:
            warn((*path, key), TOLERATED[key])
        elif key not in STEP_FIELDS and not (inline and key in INLINE_STEP_FIELDS):
            hint = " (with `component:`, the command is the component's)" if key in INLINE_STEP_FIELDS else ""
            report(
                (*path, key), f"is not a field of a pipeline job step, or one Studio does not support{hint}"
            )
    if "component" not in step and not inline:
        report(
            (*path, "component"), "is required (or write the step inline with `command:` and `environment:`)"
        )
        return None
    if inline and "environment" not in step:
        report((*path, "environment"), "is required for a step written inline with `command:`")
        return None
    raw_inputs = step.get("inputs") or {}
    if not isinstance(raw_inputs, dict):
        report((*path, "inputs"), "must be a mapping")
        raw_inputs = {}
    inputs = {}
    for port, value in raw_inputs.items():
        parsed = _step_input(value, (*path, "inputs", port), report)
        if parsed is not None:
            inputs[port] = parsed
    outputs, output_types, output_paths, output_assets = _step_outputs(
        step.get("outputs") or {}, path, report, warn
    )
    limits, retry_settings = _run_settings(step, path, report)
    return Step(
        name=str(name),
        component=step.get("component"),
        inline={key: step[key] for key in INLINE_STEP_FIELDS if key in step} if inline else None,
        environment_variables=_environment_variables(
            step.get("environment_variables"), (*path, "environment_variables"), report
        ),
        resources=_resources(step.get("resources"), (*path, "resources"), report, warn),
        output_types=output_types,
        output_paths=output_paths,
        output_assets=output_assets,
        compute=step.get("compute"),
        inputs=inputs,
        outputs=outputs,
        display_name=str(step.get("display_name") or ""),
        limits=limits,
        retry_settings=retry_settings,
        force_rerun=_flag(step.get("force_rerun"), (*path, "force_rerun"), report),
        type="pipeline" if kind == "pipeline" else "command",
    )
