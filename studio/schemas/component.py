"""The Azure ML v2 command component schema, field by field, and what Studio checks beyond it."""

from __future__ import annotations

import keyword
import re
from typing import Any, Literal

from pydantic import Field

from studio.schemas.command import command_problems
from studio.schemas.common import (
    COMPONENT_NAME,
    SNAPSHOT_REFERENCE,
    StrictModel,
    Tags,
    Version,
    check_name,
    check_version,
)

PRIMITIVE_TYPES = ("string", "integer", "number", "boolean")
ASSET_TYPES = ("uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model")
INPUT_TYPES = PRIMITIVE_TYPES + ASSET_TYPES
INPUT_MODES = ("ro_mount", "download")
OUTPUT_MODES = ("rw_mount", "upload")
PORT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
MEMORY = re.compile(r"^(?P<amount>\d+(\.\d+)?)\s*(?P<unit>[kmgt]i?b?|b)?$", re.I)

Number = int | float


class InputPort(StrictModel):
    """One entry of `inputs:`."""

    type: Literal[INPUT_TYPES]  # type: ignore[valid-type]
    description: str | None = None
    default: str | bool | int | float | None = None
    optional: bool = False
    min: Number | None = None
    max: Number | None = None
    enum: list[Any] | None = None
    mode: str | None = None


class OutputPort(StrictModel):
    """One entry of `outputs:`."""

    type: Literal[ASSET_TYPES]  # type: ignore[valid-type]
    description: str | None = None
    mode: str | None = None


STEP_NETWORKS = ("none", "bridge")
NETWORK_PROBLEM = (
    "{value!r} is not a step network: none (no network at all) or bridge (the compute's network; "
    "a step can narrow its compute's network, never widen it)"
)


class Resources(StrictModel):
    """What a step of the component needs from its compute (the TOLERATED_RESOURCES are read and
    warned, never kept)."""

    instance_count: int | None = None
    cpu: Number | None = None
    memory: str | int | None = None
    gpus: int | None = None
    shm_size: str | None = None
    # Studio's own: "none" runs the step with no network (it can narrow its compute's, never widen).
    network: str | None = None
    instance_type: str | None = None
    docker_args: str | list[str] | None = None
    locations: list[str] | None = None
    max_instance_count: int | None = None
    properties: dict[str, Any] | None = None


class QueueSettings(StrictModel):
    """`queue_settings:` (Azure's job tier and priority); read and warned, never kept."""

    job_tier: str | None = None
    priority: str | None = None


class AutoDeleteSetting(StrictModel):
    """`auto_delete_setting:` of an asset; read and warned, never kept."""

    condition: str | None = None
    value: str | None = None


class CommandComponentDocument(StrictModel):
    """An Azure ML v2 command component (`type: command`)."""

    schema_: str | None = Field(default=None, alias="$schema")
    type: Literal["command"] = "command"
    name: str
    version: Version | None = None
    display_name: str | None = None
    description: str | None = None
    tags: Tags = Field(default_factory=dict)
    is_deterministic: bool = True
    inputs: dict[str, InputPort] = Field(default_factory=dict)
    outputs: dict[str, OutputPort] = Field(default_factory=dict)
    command: str
    code: str | None = None
    environment: str | dict[str, Any]
    resources: Resources | None = None
    queue_settings: QueueSettings | None = None
    properties: dict[str, Any] | None = None
    auto_delete_setting: AutoDeleteSetting | None = None


# Accepted with a warning: Azure ML takes them, and they change nothing about what runs here (the
# same words as a job's warnings for the same fields, pipelines.document.TOLERATED).
TOLERATED_COMPONENT_FIELDS = {
    "queue_settings": "queue settings have no effect here; Studio's scheduler orders the steps",
    "properties": "properties are not kept",
    "auto_delete_setting": "auto-delete settings have no effect here; versions stay until archived",
}
TOLERATED_RESOURCES = {
    "instance_type": "instance types have no effect here; the step runs on its compute",
    "docker_args": "extra docker arguments are not passed on",
    "properties": "resource properties have no effect here",
    "locations": "locations have no effect here",
    "max_instance_count": "a step runs on one instance here",
}


UNSUPPORTED_COMPONENT_FIELDS = {
    "distribution": (
        "distributed training (MPI, PyTorch, TensorFlow) is not supported; steps run in one container"
    ),
    "additional_includes": (
        "additional_includes is not supported; put every file the command needs under `code`"
    ),
    "limits": "limits belong to jobs; set a timeout on the pipeline node instead",
    "services": "interactive services are not supported",
    "identity": "identities are not supported; steps run as an unprivileged user",
}


def component_warnings(component: CommandComponentDocument) -> list[tuple[tuple, str]]:
    """The fields Azure ML accepts that have no effect here, each with why (a warning, not a problem)."""
    warnings: list[tuple[tuple, str]] = [
        ((field,), reason)
        for field, reason in TOLERATED_COMPONENT_FIELDS.items()
        if getattr(component, field) is not None
    ]
    if component.resources is not None:
        warnings += [
            (("resources", field), reason)
            for field, reason in TOLERATED_RESOURCES.items()
            if getattr(component.resources, field) is not None
        ]
    return warnings


def kept_resources(resources: Resources | None) -> dict[str, Any] | None:
    """The resources Studio uses: the tolerated ones are warned and dropped, so that a component
    differing only in them has the same content (None when nothing else is left)."""
    if resources is None:
        return None
    kept = resources.model_dump(exclude_none=True, exclude=set(TOLERATED_RESOURCES))
    tolerated = any(getattr(resources, field) is not None for field in TOLERATED_RESOURCES)
    return None if tolerated and not kept else kept


def pre_check(document: dict[str, Any]) -> list[tuple[tuple, str]]:
    """Problems to report instead of pydantic's generic ones (kinds of component, unsupported fields)."""
    problems: list[tuple[tuple, str]] = []
    kind = document.get("type", "command")
    if kind != "command":
        problems.append((("type",), f"Studio registers command components; type {kind!r} is not supported"))
    for field, reason in UNSUPPORTED_COMPONENT_FIELDS.items():
        if field in document:
            problems.append(((field,), reason))
    return problems


def _default_problem(port: InputPort) -> str | None:
    value = port.default
    if value is None:
        return None
    if port.type in ASSET_TYPES:
        return f"a default is not supported for {port.type} inputs; bind data when the pipeline runs"
    expected = {
        "string": (str,),
        "integer": (int,),
        "number": (int, float),
        "boolean": (bool,),
    }[port.type]
    if isinstance(value, bool) and port.type != "boolean":
        return f"expected a {port.type}, got a boolean"
    if not isinstance(value, expected):
        return f"expected a {port.type}, got {type(value).__name__} {value!r}"
    if port.min is not None and value < port.min:
        return f"{value} is below min {port.min}"
    if port.max is not None and value > port.max:
        return f"{value} is above max {port.max}"
    if port.enum is not None and value not in port.enum:
        return f"{value!r} is not one of enum {port.enum}"
    return None


def _input_problems(name: str, port: InputPort) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    where = ("inputs", name)
    numeric = port.type in ("integer", "number")
    for bound in ("min", "max"):
        value = getattr(port, bound)
        if value is None:
            continue
        if not numeric:
            problems.append(
                ((*where, bound), f"{bound} is only allowed on integer and number inputs, not {port.type}")
            )
        elif port.type == "integer" and not isinstance(value, int):
            problems.append(
                ((*where, bound), f"{bound} of an integer input must be a whole number, got {value!r}")
            )
    if numeric and port.min is not None and port.max is not None and port.min > port.max:
        problems.append(((*where, "min"), f"min {port.min} is greater than max {port.max}"))
    if port.enum is not None:
        if port.type != "string":
            problems.append(((*where, "enum"), f"enum is only allowed on string inputs, not {port.type}"))
        elif not port.enum:
            problems.append(((*where, "enum"), "enum must list at least one value"))
        else:
            for position, value in enumerate(port.enum):
                if not isinstance(value, str):
                    problems.append(
                        ((*where, "enum", position), f"enum values must be strings, got {value!r}")
                    )
            if len(set(map(str, port.enum))) != len(port.enum):
                problems.append(((*where, "enum"), "enum values must be unique"))
    default_problem = _default_problem(port)
    if default_problem:
        problems.append(((*where, "default"), default_problem))
    if port.mode is not None:
        if port.type not in ASSET_TYPES:
            problems.append(((*where, "mode"), f"mode applies to data inputs only, not {port.type}"))
        elif port.mode not in INPUT_MODES:
            problems.append(
                (
                    (*where, "mode"),
                    f"input mode {port.mode!r} is not supported; use one of {', '.join(INPUT_MODES)}",
                )
            )
    return problems


def _port_name_problems(kind: str, name: str) -> str | None:
    if not PORT_NAME.match(name):
        return (
            f"{name!r} is not a valid {kind[:-1]} name: "
            "start with a letter or '_', then letters, digits or '_'"
        )
    if keyword.iskeyword(name):
        return f"{name!r} is a reserved word (a Python keyword) and cannot name a {kind[:-1]}"
    return None


def _code_problem(code: str) -> str | None:
    if SNAPSHOT_REFERENCE.match(code):
        return None
    if code.startswith(("azureml:", "azureml://")):
        return "registered code assets are not supported; point code at a local folder"
    if re.match(r"^[a-z][a-z0-9+.-]*://", code) or code.startswith("git+"):
        return "code must be a local folder (remote code locations are not supported)"
    return None


def _resources_problems(resources: Resources | None) -> list[tuple[tuple, str]]:
    if resources is None:
        return []
    problems: list[tuple[tuple, str]] = []
    if resources.instance_count not in (None, 1):
        problems.append(
            (("resources", "instance_count"), "only 1 instance is supported; distributed steps are not")
        )
    if resources.cpu is not None and resources.cpu <= 0:
        problems.append((("resources", "cpu"), "must be greater than 0"))
    if resources.gpus is not None and resources.gpus < 0:
        problems.append((("resources", "gpus"), "cannot be negative"))
    if resources.memory is not None and not (
        isinstance(resources.memory, int) and resources.memory > 0 or MEMORY.match(str(resources.memory))
    ):
        problems.append((("resources", "memory"), f"{resources.memory!r} is not a size such as 4g or 512m"))
    if resources.network is not None and resources.network not in STEP_NETWORKS:
        problems.append((("resources", "network"), NETWORK_PROBLEM.format(value=resources.network)))
    if resources.shm_size is not None and not MEMORY.match(resources.shm_size):
        problems.append((("resources", "shm_size"), f"{resources.shm_size!r} is not a size such as 2g"))
    return problems


def identity_and_port_problems(component) -> list[tuple[tuple, str]]:
    """What is wrong with a component's name, version and ports (command and pipeline components)."""
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
        problems.extend(_input_problems(name, port))
    for name, port in component.outputs.items():
        if port.mode is not None and port.mode not in OUTPUT_MODES:
            problems.append(
                (
                    ("outputs", name, "mode"),
                    f"output mode {port.mode!r} is not supported; use one of {', '.join(OUTPUT_MODES)}",
                )
            )
    return problems


def component_problems(component: CommandComponentDocument) -> list[tuple[tuple, str]]:
    """Everything wrong with a component beyond the field types."""
    problems = identity_and_port_problems(component)
    if not component.command.strip():
        problems.append((("command",), "is empty"))
    for problem in command_problems(
        component.command,
        inputs={name: port.optional for name, port in component.inputs.items()},
        outputs=set(component.outputs),
    ):
        problems.append((("command",), problem))
    if component.code is not None:
        problem = _code_problem(component.code)
        if problem:
            problems.append((("code",), problem))
    problems.extend(_resources_problems(component.resources))
    return problems
