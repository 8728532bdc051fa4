"""The YAML names of a graph's nodes, and the small translations between graph and YAML text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pipelines.document import parent_binding
from pipelines.rules import literal_type

DATA_HANDLE = "data"  # the one output port of a data node


def sanitise(text: str, taken: set[str]) -> str:
    """A YAML-safe, unique name (letters, digits and '_', not starting with a digit) for `text`."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text)[:200] or "node"
    if not re.match(r"[A-Za-z_]", name):
        name = f"n_{name}"
    candidate, number = name, 2
    while candidate in taken:
        candidate = f"{name}_{number}"
        number += 1
    taken.add(candidate)
    return candidate


@dataclass(frozen=True)
class Names:
    """The YAML names of a graph's nodes: job names of component nodes and pipeline input names of
    data nodes (which never collide with the graph's own pipeline inputs)."""

    jobs: dict[str, str]
    data: dict[str, str]


def names_of(graph: dict) -> Names:
    jobs: dict[str, str] = {}
    data: dict[str, str] = {}
    job_names: set[str] = set()
    input_names: set[str] = set(graph.get("inputs") or {})
    for node in graph.get("nodes", []):
        if node["type"] == "component":
            jobs[node["id"]] = sanitise(node["id"], job_names)
        elif node["type"] == "data":
            data[node["id"]] = sanitise(node["id"], input_names)
    return Names(jobs, data)


def azureml_reference(reference: str) -> str:
    reference = reference.strip()
    return reference if reference.startswith("azureml:") else f"azureml:{reference}"


def strip_azureml(reference: str) -> str:
    reference = reference.strip()
    if reference.startswith("azureml:") and not reference.startswith("azureml://"):
        return reference.removeprefix("azureml:")
    return reference


def binding_parts(text: Any) -> tuple[str, ...] | None:
    binding = parent_binding(text)
    return binding.parts if binding else None


def parameter_type(value: Any) -> str:
    return literal_type(value) or "string"
