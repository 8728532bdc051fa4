"""The pipeline-component steps (groups) of a job's graph, as the job page folds them.

A group is drawn closed as one node with its own ports, or open as a frame around the steps and
groups it holds. Each input says where its value comes from (the node and handle of the graph the
inner steps read it from), so the browser can re-route edges into a closed group to the right
port; each output names the leaf step output it is.
"""

from __future__ import annotations

from typing import Any

from studio.registry.components import ANONYMOUS_COMPONENT


def data_key(binding: dict) -> str:
    """What tells one piece of outside data from another: one graph node per key."""
    return binding.get("asset") or binding.get("snapshot") or binding.get("url") or "data"


def group_component_label(component: dict) -> str:
    """How a group's pipeline component is named to a person: NAME:VERSION, or for an anonymous one
    (read from a local file or written inline) the name its definition declared, as steps show
    theirs ("Score (anonymous)")."""
    name = component.get("name") or "?"
    if name == ANONYMOUS_COMPONENT:
        return f"{component.get('display_name') or name} (anonymous)"
    return f"{name}:{component.get('version') or '?'}"


def _literal_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else ""


def _output_type(steps: dict[str, Any], step: str, output: str) -> str:
    ports = ((steps.get(step) or {}).get("component") or {}).get("spec") or {}
    return str(((ports.get("outputs") or {}).get(output) or {}).get("type", ""))


def _input_port(name: str, binding: Any, steps: dict[str, Any], data_nodes: dict[str, str]) -> dict:
    """One group input: its type, how it is bound and, for data or a step output, the graph node
    and handle its value comes from."""
    kind = binding.get("kind") if isinstance(binding, dict) else None
    port: dict[str, Any] = {"name": name, "type": "", "bound": kind}
    if kind == "literal":
        port["type"] = _literal_type(binding.get("value"))
        port["value"] = binding.get("value")
    elif kind == "data":
        port["type"] = binding.get("type", "")
        port["value"] = binding.get("asset") or binding.get("url") or "uploaded data"
        node = data_nodes.get(data_key(binding))
        if node:
            port["source"], port["sourceHandle"] = node, "data"
    elif kind == "step_output":
        port["type"] = _output_type(steps, binding["step"], binding["output"])
        if binding["step"] in steps:
            port["source"], port["sourceHandle"] = binding["step"], binding["output"]
    return port


def job_groups(spec: dict, order: list[str], data_nodes: dict[str, str]) -> list[dict]:
    """The groups of a frozen spec, parents before children (then by name): `{id, name, label,
    component, parent, steps, groups, inputs, outputs}`; `steps` and `groups` are the leaf steps
    (in run order) and the groups directly inside."""
    groups: dict[str, Any] = spec.get("groups") or {}
    steps: dict[str, Any] = spec.get("steps") or {}
    found = []
    for qualified in sorted(groups, key=lambda name: (name.count("."), name)):
        group = groups[qualified]
        component = group.get("component") or {}
        outputs = []
        for name, target in (group.get("outputs") or {}).items():
            step, output = target.get("step", ""), target.get("output", "")
            outputs.append(
                {"name": name, "type": _output_type(steps, step, output), "step": step, "output": output}
            )
        found.append(
            {
                "id": qualified,
                "name": group.get("name") or qualified.rsplit(".", 1)[-1],
                "label": group.get("display_name") or group.get("name") or qualified,
                "component": group_component_label(component),
                "parent": group.get("parent", ""),
                "steps": [name for name in order if (steps[name].get("group") or "") == qualified],
                "groups": sorted(
                    name for name, other in groups.items() if other.get("parent", "") == qualified
                ),
                "inputs": [
                    _input_port(name, binding, steps, data_nodes)
                    for name, binding in (group.get("inputs") or {}).items()
                ],
                "outputs": outputs,
            }
        )
    return found
