"""The typed parameter schema of a published pipeline, and checking values against it.

Each pipeline input becomes one parameter. A literal input is a *value* parameter (set through
`ParameterAssignments`); a data input is a *data* parameter (set through `DataPathAssignments`).
A value parameter's type is what the pipeline declared, or else what its value and the ports it
feeds say (20 -> integer, 1.8 -> number, 'x' -> string; 20 feeding a number port is a number).
Its bounds and choices are those of the ports it feeds (all of them must accept the value).
"""

from __future__ import annotations

import math
from typing import Any

from pipelines.document import literal_problem
from pipelines.rules import PARAMETER_TYPES, literal_type
from pipelines.spec import PipelineSpec


def _ports_fed(spec: PipelineSpec, name: str) -> list[tuple[str, str, dict]]:
    """(step, port, port definition) of every step input bound to pipeline input `name`."""
    fed = []
    for step_name in spec.order():
        step = spec.steps[step_name]
        for port, source in sorted(step.input_sources.items()):
            if source == name:
                fed.append((step_name, port, step.component.spec.get("inputs", {}).get(port, {})))
    return fed


def _value_type(declared: str | None, value: Any, port_types: set[str]) -> str:
    if declared in PARAMETER_TYPES:
        return declared
    from_value = literal_type(value)
    if len(port_types) == 1:
        (port_type,) = port_types
        if port_type in PARAMETER_TYPES and (
            from_value in (None, port_type) or (from_value == "integer" and port_type == "number")
        ):
            return port_type
    if from_value == "integer" and "number" in port_types:
        return "number"
    return from_value or "string"


def build_parameters(spec: PipelineSpec) -> list[dict[str, Any]]:
    """The parameter schema of a spec, one entry per pipeline input, in the document's order."""
    parameters = []
    for name, binding in spec.inputs.items():
        declared = spec.input_declarations.get(name)
        fed = _ports_fed(spec, name)
        description = (declared.description if declared else "") or next(
            (port.get("description", "") for _, _, port in fed if port.get("description")), ""
        )
        entry: dict[str, Any] = {
            "name": name,
            "description": description,
            "feeds": [f"{step}.{port}" for step, port, _ in fed],
        }
        if binding.kind == "data":
            entry.update(
                kind="data",
                type=binding.type,
                default=binding.asset or ("a URL" if binding.url else "uploaded data"),
                default_binding=binding.model_dump(mode="json"),
                optional=False,
                required=False,
            )
            parameters.append(entry)
            continue
        value = binding.value if binding.kind == "literal" else None
        port_types = {port.get("type") for _, _, port in fed if port.get("type")}
        kind = _value_type(declared.type if declared else None, value, port_types)
        minimums = [port["min"] for _, _, port in fed if port.get("min") is not None]
        maximums = [port["max"] for _, _, port in fed if port.get("max") is not None]
        enums = [list(port["enum"]) for _, _, port in fed if port.get("enum")]
        optional = bool(declared and declared.optional) or (
            bool(fed) and all(port.get("optional") for _, _, port in fed)
        )
        entry.update(kind="value", type=kind, default=value, optional=optional)
        entry["required"] = value is None and not optional
        if kind in ("integer", "number"):
            if minimums:
                entry["min"] = max(minimums)
            if maximums:
                entry["max"] = min(maximums)
        if enums:
            allowed = [choice for choice in enums[0] if all(choice in other for other in enums[1:])]
            entry["enum"] = allowed
        parameters.append(entry)
    return parameters


def value_problem(parameter: dict[str, Any], value: Any) -> str | None:
    """What is wrong with `value` for a value parameter, or None."""
    if value is None:
        if parameter.get("optional"):
            return None
        if parameter.get("default") is not None:
            return f"cannot be null (leave it out to use the default {parameter['default']!r})"
        return "is required and cannot be null"
    kind = parameter["type"]
    if kind == "integer" and isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    port = {"type": kind, **{key: parameter[key] for key in ("min", "max", "enum") if key in parameter}}
    if kind in ("integer", "number") and parameter.get("enum"):
        if value not in parameter["enum"]:
            return f"{value!r} is not one of {', '.join(map(str, parameter['enum']))}"
    return literal_problem(port, value)


def coerce(parameter: dict[str, Any], value: Any) -> Any:
    """The value as the step will see it (1.0 for an integer parameter becomes 1)."""
    if parameter["type"] == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value
