"""Finding the local components and data a pipeline names (what `create` registers and uploads)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.schemas.loading import DefinitionError, LineIndex, Problem, format_path, load_document

REMOTE_DATA = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|azureml:)")


@dataclass(frozen=True)
class LocalComponent:
    """A step's component that lives on this machine: a YAML file or an inline definition."""

    job: str
    field: tuple[str, ...]  # ("jobs", job, "component")
    file: Path | None = None
    inline: dict | None = None


@dataclass(frozen=True)
class LocalData:
    """A data input whose path lives on this machine, and how it goes up."""

    field: tuple[str, ...]  # the path of its `path` key
    value: str
    target: Path
    kind: str  # "file" or "folder"


@dataclass
class Plan:
    """What `create` registers and uploads before submitting, or the problems that stop it."""

    components: list[LocalComponent] = field(default_factory=list)
    data: list[LocalData] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Values written in place of a local file: an inline step's conda file, read here.
    replacements: list[tuple[tuple[str, ...], Any]] = field(default_factory=list)


def inline_commands(document: dict) -> list[tuple[tuple[str, ...], dict]]:
    """The commands written inline, each with the path of its fields: a standalone command job
    (its own fields, path ()) or a pipeline's steps that have `command:` instead of `component:`."""
    kind = document.get("type")
    if kind == "command" or (kind is None and "command" in document and "jobs" not in document):
        return [((), document)]
    jobs = document.get("jobs")
    return [
        (("jobs", str(job)), step)
        for job, step in (jobs.items() if isinstance(jobs, dict) else [])
        if isinstance(step, dict) and "component" not in step and "command" in step
    ]


def is_local_component_file(value: Any) -> bool:
    """A `component:` string naming a YAML file here rather than a registered component
    (`./x.yml`, or Azure ML's `file:./x.yml`)."""
    return (
        isinstance(value, str)
        and value.strip().endswith((".yml", ".yaml"))
        and not value.strip().startswith("azureml:")
        and "://" not in value
    )


def component_file(value: str, base: Path) -> Path:
    """The file a local `component:` string names, relative to the pipeline's folder."""
    return base / value.strip().removeprefix("file:")


def is_local_data(value: Any) -> bool:
    """A data `path:` on this machine: not a URL, registered asset, snapshot or server path."""
    if not isinstance(value, str) or not value.strip() or "${{" in value:
        return False
    text = value.strip()
    return not REMOTE_DATA.match(text) and not Path(text).is_absolute()


def _inline_has_local_files(component: dict) -> bool:
    environment = component.get("environment")
    environment_local = isinstance(environment, dict) and (
        is_local_data(environment.get("conda_file"))
        or (isinstance(environment.get("build"), dict) and is_local_data(environment["build"].get("path")))
    )
    return is_local_data(component.get("code")) or environment_local


def _data_inputs(document: dict) -> list[tuple[tuple[str, ...], dict]]:
    found = []
    inputs = document.get("inputs")
    if isinstance(inputs, dict):
        found += [(("inputs", str(name)), value) for name, value in inputs.items() if isinstance(value, dict)]
    jobs = document.get("jobs")
    for job, step in jobs.items() if isinstance(jobs, dict) else []:
        step_inputs = step.get("inputs") if isinstance(step, dict) else None
        if isinstance(step_inputs, dict):
            found += [
                (("jobs", str(job), "inputs", str(name)), value)
                for name, value in step_inputs.items()
                if isinstance(value, dict)
            ]
    return found


def discover(document: dict, *, base: Path, index: LineIndex, filename: str) -> Plan:
    """The local components and data of a pipeline document, checked to exist."""
    plan = Plan()

    def problem(path: tuple, message: str) -> None:
        plan.problems.append(Problem(filename, format_path(path), message, index.line_of(path)))

    jobs = document.get("jobs")
    for job, step in jobs.items() if isinstance(jobs, dict) else []:
        if not isinstance(step, dict):
            continue
        component = step.get("component")
        path = ("jobs", str(job), "component")
        if is_local_component_file(component):
            file = component_file(component, base)
            if not file.is_file():
                problem(path, f"{component!r} does not exist (looked for {file})")
                continue
            plan.components.append(LocalComponent(str(job), path, file=file))
        elif isinstance(component, dict) and _inline_has_local_files(component):
            plan.components.append(LocalComponent(str(job), path, inline=component))

    for prefix, command in inline_commands(document):
        code = command.get("code")
        if is_local_data(code):
            target = base / code.strip()
            if not target.is_dir():
                problem((*prefix, "code"), f"{code!r} is not a folder (looked for {target})")
            else:
                plan.data.append(LocalData((*prefix, "code"), code, target, "folder"))
        environment = command.get("environment")
        if not isinstance(environment, dict):
            continue
        conda = environment.get("conda_file")
        if is_local_data(conda):
            where = (*prefix, "environment", "conda_file")
            target = base / conda.strip()
            try:
                spec, _ = load_document(target.read_bytes(), filename=str(target))
            except OSError as error:
                problem(where, f"{conda!r} cannot be read as a conda file ({target}): {error}")
                continue
            except DefinitionError as error:  # not YAML, too deep or too big: the loader's limits
                first = error.problems[0]
                at = f" line {first.line}" if first.line else ""
                problem(where, f"{conda!r} cannot be read as a conda file ({target}{at}): {first.message}")
                continue
            if not isinstance(spec, dict):
                problem(where, f"{conda!r} is not a conda specification (a mapping)")
                continue
            plan.replacements.append((where, spec))
        build = environment.get("build")
        if isinstance(build, dict) and is_local_data(build.get("path")):
            where = (*prefix, "environment", "build", "path")
            target = base / build["path"].strip()
            if not target.is_dir():
                problem(where, f"{build['path']!r} is not a folder (looked for {target})")
            else:  # the Docker build context goes up as a snapshot, as a registered environment's does
                plan.data.append(LocalData(where, build["path"], target, "folder"))

    for path, value in _data_inputs(document):
        location = value.get("path")
        if not is_local_data(location):
            continue
        field_path = (*path, "path")
        target = base / location.strip()
        data_type = value.get("type")
        if not target.exists():
            problem(field_path, f"{location!r} does not exist (looked for {target})")
            continue
        if data_type == "uri_file" and not target.is_file():
            problem(field_path, f"{location!r} is a folder; a uri_file input needs a file")
            continue
        if data_type is not None and data_type != "uri_file" and not target.is_dir():
            problem(field_path, f"{location!r} is a file; a {data_type} input needs a folder")
            continue
        kind = "file" if target.is_file() else "folder"
        plan.data.append(LocalData(field_path, location, target, kind))
    return plan


def _set_at(document: dict, path: tuple, value: Any) -> None:
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def rewrite(
    document: dict,
    plan: Plan,
    *,
    register: Callable[[LocalComponent], str],
    upload: Callable[[LocalData], str],
) -> dict:
    """A copy of the document with local components and data replaced by their references.

    `register` returns `azureml:NAME:VERSION` for a component, `upload` a `studio://snapshots/…`
    reference for data; each distinct local file or folder goes up once.
    """
    result = copy.deepcopy(document)
    registered: dict[Path, str] = {}
    for component in plan.components:
        if component.file is not None:
            key = component.file.resolve()
            if key not in registered:
                registered[key] = register(component)
            reference = registered[key]
        else:
            reference = register(component)
        _set_at(result, component.field, reference)
    uploaded: dict[tuple[Path, str], str] = {}
    for data in plan.data:
        key = (data.target.resolve(), data.kind)
        if key not in uploaded:
            uploaded[key] = upload(data)
        _set_at(result, data.field, uploaded[key])
    for path, value in plan.replacements:
        _set_at(result, path, value)
    return result
