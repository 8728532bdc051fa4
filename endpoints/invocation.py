"""Reading an invocation body and turning it into the spec of one run of an endpoint version.

The body follows Azure ML's published-pipeline REST shape (`ExperimentName`,
`ParameterAssignments`, `DataPathAssignments`, `Description`, `Tags`) and accepts the snake_case
aliases `experiment_name`, `parameters`, `inputs`, `description`, `tags`. Every problem is
collected, each naming its field, so a caller fixes them all at once.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from endpoints.parameters import coerce, value_problem
from pipelines.spec import PipelineSpec
from studio.schemas.loading import DefinitionError, LineIndex, Problem

FILENAME = "request body"
FIELDS = {
    "ExperimentName": "experiment_name",
    "ParameterAssignments": "parameters",
    "DataPathAssignments": "inputs",
    "Description": "description",
    "Tags": "tags",
}
ALIASES = {alias: canonical for canonical, alias in FIELDS.items()}
MAX_TEXT = 255


@dataclass
class Invocation:
    """A checked request: what to run and what to record."""

    experiment_name: str | None = None
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    bindings: dict[str, dict] = field(default_factory=dict)


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(Problem(FILENAME, where, message))


def _canonical(body: dict, problems: _Problems) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in body.items():
        canonical = key if key in FIELDS else ALIASES.get(key)
        if canonical is None:
            known = ", ".join(FIELDS)
            problems.add(str(key), f"is not a field of an invocation (known: {known})")
        elif canonical in values:
            problems.add(str(key), f"is given twice: as {canonical} and as {FIELDS[canonical]}")
        else:
            values[canonical] = value
    return values


def _text(values: dict, name: str, problems: _Problems, *, limit: int | None) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(name, f"must be text, got {type(value).__name__}")
        return None
    if limit is not None and len(value) > limit:
        problems.add(name, f"is longer than {limit} characters")
        return None
    return value


def _data_location(assignment: Any, where: str, problems: _Problems) -> str | None:
    """A reference the pipeline compiler understands, from the shapes a caller may send."""
    if isinstance(assignment, str) and assignment.strip():
        text = assignment.strip()
        if text.startswith(("azureml:", "/", "http://", "https://")):
            return text
        return f"azureml:{text}"
    if not isinstance(assignment, dict):
        problems.add(where, 'expected {"DataAssetName": NAME, "Version": V} or {"Path": "/server/path"}')
        return None
    unknown = set(assignment) - {"DataAssetName", "Version", "Path"}
    for key in sorted(unknown):
        problems.add(f"{where}.{key}", "is not a field of a data assignment (DataAssetName, Version, Path)")
    name, version, path = assignment.get("DataAssetName"), assignment.get("Version"), assignment.get("Path")
    if (name is None) == (path is None):
        problems.add(where, "give either DataAssetName (with an optional Version) or Path")
        return None
    if path is not None:
        if not isinstance(path, str) or not path.startswith("/"):
            problems.add(f"{where}.Path", "must be an absolute server path under STUDIO_DATA_ROOTS")
            return None
        return path
    if not isinstance(name, str) or not name.strip():
        problems.add(f"{where}.DataAssetName", "must be the name of a data asset")
        return None
    if version is None:
        return f"azureml:{name.strip()}@latest"
    if not isinstance(version, (str, int)) or isinstance(version, bool) or not str(version).strip():
        problems.add(f"{where}.Version", 'must be a version such as "2"')
        return None
    return f"azureml:{name.strip()}:{str(version).strip()}"


def read_invocation(body: Any, parameters: list[dict[str, Any]], *, user=None) -> Invocation:
    """Check a request body against a version's parameters; DefinitionError lists every problem."""
    from pipelines.compiler import Compiler

    problems = _Problems()
    if not isinstance(body, dict):
        problems.add("", "the body must be a JSON object")
        raise DefinitionError(problems.items)
    values = _canonical(body, problems)
    invocation = Invocation()
    experiment = _text(values, "ExperimentName", problems, limit=MAX_TEXT)
    if experiment is not None and not experiment.strip():
        problems.add("ExperimentName", "must not be blank")
    invocation.experiment_name = experiment.strip() if experiment else None
    invocation.description = _text(values, "Description", problems, limit=None) or ""

    tags = values.get("Tags") or {}
    if not isinstance(tags, dict):
        problems.add("Tags", "must be an object of names to text")
        tags = {}
    for tag, text in tags.items():
        if not isinstance(text, (str, int, float, bool)):
            problems.add(f"Tags.{tag}", "must be text")
        else:
            invocation.tags[str(tag)[:MAX_TEXT]] = str(text)[:MAX_TEXT]

    by_name = {parameter["name"]: parameter for parameter in parameters}
    value_names = sorted(name for name, p in by_name.items() if p["kind"] == "value")
    data_names = sorted(name for name, p in by_name.items() if p["kind"] == "data")

    assignments = values.get("ParameterAssignments") or {}
    if not isinstance(assignments, dict):
        problems.add("ParameterAssignments", "must be an object of parameter names to values")
        assignments = {}
    for name, value in assignments.items():
        where = f"ParameterAssignments.{name}"
        parameter = by_name.get(name)
        if parameter is None:
            known = ", ".join(value_names) or "none"
            problems.add(where, f"{name!r} is not a parameter of this endpoint (parameters: {known})")
        elif parameter["kind"] == "data":
            problems.add(where, f"{name!r} is a data input: set it in DataPathAssignments")
        elif isinstance(value, (dict, list)):
            problems.add(where, f"expects a single {parameter['type']}, got {type(value).__name__}")
        else:
            problem = value_problem(parameter, value)
            if problem:
                problems.add(where, problem)
            else:
                invocation.parameters[name] = coerce(parameter, value)
    for name in value_names:
        if by_name[name]["required"] and name not in assignments:
            problems.add(f"ParameterAssignments.{name}", "is required (it has no default)")

    data = values.get("DataPathAssignments") or {}
    if not isinstance(data, dict):
        problems.add("DataPathAssignments", "must be an object of data input names to data")
        data = {}
    compiler = Compiler(index=LineIndex(), filename=FILENAME, base_dir=None, user=user)
    for name, assignment in data.items():
        where = f"DataPathAssignments.{name}"
        parameter = by_name.get(name)
        if parameter is None:
            known = ", ".join(data_names) or "none"
            problems.add(where, f"{name!r} is not a data input of this endpoint (data inputs: {known})")
            continue
        if parameter["kind"] != "data":
            problems.add(where, f"{name!r} is a parameter: set it in ParameterAssignments")
            continue
        location = _data_location(assignment, where, problems)
        if location is None:
            continue
        before = len(compiler.problems)
        binding = compiler.data_location(location, parameter["type"], ("DataPathAssignments", name))
        for problem in compiler.problems[before:]:
            problems.add(where, problem.message)
        if binding is not None:
            invocation.bindings[name] = binding
            invocation.inputs[name] = assignment
    if problems.items:
        raise DefinitionError(problems.items)
    return invocation


def run_spec(spec_json: dict, invocation: Invocation) -> PipelineSpec:
    """The version's frozen spec with the invocation's values put where their inputs feed."""
    document = copy.deepcopy(spec_json)
    replaced: dict[str, dict] = {
        name: {"kind": "literal", "value": value} for name, value in invocation.parameters.items()
    }
    replaced.update(invocation.bindings)
    for name, binding in replaced.items():
        document["inputs"][name] = binding
        for step in document["steps"].values():
            for port, source in (step.get("input_sources") or {}).items():
                if source == name:
                    step["inputs"][port] = dict(binding)
    if invocation.experiment_name:
        document["experiment_name"] = invocation.experiment_name
    if invocation.description:
        document["description"] = invocation.description
    document["tags"] = {**document.get("tags", {}), **invocation.tags}
    return PipelineSpec.model_validate(document)
