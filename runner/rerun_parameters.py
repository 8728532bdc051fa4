"""Resubmitting a job with some of its pipeline parameters changed (the job page's Resubmit dialog,
`POST /api/v1/jobs/<name>/rerun/` with `{"parameters": {...}}`).

A parameter is a literal pipeline input of the job's frozen spec. A new value replaces the input
and every step input bound to it (`input_sources`), after it is checked against each port it
feeds: type, bounds and choices, as the compiler checks a literal.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from pipelines.document import literal_problem
from pipelines.rules import literal_type

SCALARS = ("integer", "number", "boolean", "string")


class ParameterProblems(ValueError):
    """The changes asked for, refused: {field: message}, each field `parameters.<name>`."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems.items()))
        self.problems = problems


def _ports_fed(spec: dict, name: str) -> list[dict]:
    ports = []
    for step in (spec.get("steps") or {}).values():
        for port, source in (step.get("input_sources") or {}).items():
            if source == name:
                ports.append((step.get("component") or {}).get("spec", {}).get("inputs", {}).get(port) or {})
    return ports


def _type_of(spec: dict, name: str, value: Any, ports: list[dict]) -> str:
    declared = ((spec.get("input_declarations") or {}).get(name) or {}).get("type")
    if declared in SCALARS:
        return declared
    port_types = {port.get("type") for port in ports} & set(SCALARS)
    if len(port_types) == 1:
        return port_types.pop()
    return literal_type(value) or "string"


def rerun_parameters(spec: dict) -> list[dict[str, Any]]:
    """The parameters a rerun may change: [{name, type, value, enum?, min?, max?}] in spec order."""
    found = []
    for name, binding in (spec.get("inputs") or {}).items():
        if not isinstance(binding, dict) or binding.get("kind") != "literal":
            continue
        ports = _ports_fed(spec, name)
        entry: dict[str, Any] = {
            "name": name,
            "type": _type_of(spec, name, binding.get("value"), ports),
            "value": binding.get("value"),
        }
        for key in ("enum", "min", "max"):
            bound = next((port[key] for port in ports if port.get(key) is not None), None)
            if bound is not None:
                entry[key] = bound
        found.append(entry)
    return found


def _parse(kind: str, value: Any) -> Any:
    """A value sent as JSON or as form text, as the parameter's type (unchanged when it is not)."""
    if not isinstance(value, str) or kind == "string":
        if kind == "integer" and isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        return value
    text = value.strip()
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return value
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    return value


def with_parameters(spec: dict, changes: Any) -> dict:
    """A copy of `spec` with `changes` ({name: value}) put where those parameters feed.

    Raises ParameterProblems naming each refused field."""
    if not isinstance(changes, dict):
        raise ParameterProblems({"parameters": "must be an object of parameter names to values"})
    known = {entry["name"]: entry for entry in rerun_parameters(spec)}
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, raw in changes.items():
        field = f"parameters.{name}"
        entry = known.get(name)
        if entry is None:
            names = ", ".join(sorted(known)) or "none"
            problems[field] = f"{name!r} is not a parameter of this job (parameters: {names})"
            continue
        value = _parse(entry["type"], raw)
        problem = literal_problem({"type": entry["type"]}, value)
        for port in _ports_fed(spec, name):
            problem = problem or literal_problem({**port, "type": port.get("type", entry["type"])}, value)
        if problem:
            problems[field] = problem
        else:
            values[name] = value
    if problems:
        raise ParameterProblems(problems)
    document = copy.deepcopy(spec)
    for name, value in values.items():
        binding = {**document["inputs"][name], "value": value}
        document["inputs"][name] = binding
        for step in document["steps"].values():
            for port, source in (step.get("input_sources") or {}).items():
                if source == name:
                    step["inputs"][port] = dict(binding)
        for group in (document.get("groups") or {}).values():
            for port, source in (group.get("input_sources") or {}).items():
                if source == name:
                    group["inputs"][port] = dict(binding)
    return document


def rerun_with_parameters(job, changes: Any, *, user=None):
    """Submit `job`'s frozen spec again with `changes`; the new job says it reruns `job`."""
    from pipelines.spec import PipelineSpec
    from runner.actions import submit_pipeline

    spec = PipelineSpec.model_validate(with_parameters(job.spec, changes))
    return submit_pipeline(spec, user=user, source="rerun", rerun_of=job)
