"""The pipeline graph of a job, from its frozen spec, as the job page draws it.

Nodes are the steps (with their component, compute and ports) and the data that comes from outside
the job; edges are step outputs wired to step inputs, and data wired to step inputs. Positions are
left to the browser (auto-layout).

Steps of a pipeline component are leaf steps named `<group>.<name>` with their `group`; `groups`
lists the pipeline-component steps (parents before children) with the steps and groups each holds
and its ports, so the browser can draw a group closed (one node, edges re-routed to its ports) or
open. A group's status is derived in the browser from its steps' live statuses.
"""

from __future__ import annotations

from typing import Any

from pipelines.spec import PipelineSpec
from runner.job_groups import data_key, job_groups


def component_label(pin: dict) -> str:
    """How a step's component is named to a person: NAME:VERSION, or for a job's own (anonymous)
    component the name its definition declared."""
    spec = pin.get("spec") or {}
    if (spec.get("tags") or {}).get("anonymous") == "true":
        return f"{spec.get('display_name') or pin.get('name', '?')} (anonymous)"
    return f"{pin.get('name', '?')}:{pin.get('version', '?')}"


def _data_label(binding: dict) -> str:
    if binding.get("asset"):
        return binding["asset"]
    if binding.get("url"):
        return binding["url"].rstrip("/").rsplit("/", 1)[-1] or binding["url"]
    return "uploaded data"


def _own_name(name: str, group: str) -> str:
    """A step's name inside its pipeline component ('copy' of 'middle.inner.copy')."""
    return name[len(group) + 1 :] if group and name.startswith(f"{group}.") else name


def job_graph(spec: dict) -> dict:
    """`{"nodes": [...], "edges": [...]}` of a job's frozen spec (a `PipelineSpec` as a dict)."""
    steps: dict[str, Any] = spec.get("steps", {})
    try:
        order = PipelineSpec.model_validate(spec).order()
    except Exception:  # an old or odd spec: draw it in stored order
        order = list(steps)
    nodes: list[dict] = []
    edges: list[dict] = []
    data_nodes: dict[str, str] = {}  # data key -> node id
    for name in order:
        step = steps[name]
        component = step.get("component") or {}
        ports = component.get("spec") or {}
        inputs = []
        for port, port_spec in (ports.get("inputs") or {}).items():
            binding = (step.get("inputs") or {}).get(port)
            kind = binding.get("kind") if isinstance(binding, dict) else None
            inputs.append({"name": port, "type": port_spec.get("type", ""), "bound": kind})
            if kind == "step_output" and binding["step"] in steps:
                edges.append(
                    {
                        "id": f"{binding['step']}.{binding['output']}->{name}.{port}",
                        "source": binding["step"],
                        "sourceHandle": binding["output"],
                        "target": name,
                        "targetHandle": port,
                    }
                )
            elif kind == "data":
                key = data_key(binding)
                node_id = data_nodes.get(key)
                if node_id is None:
                    node_id = f"data:{len(data_nodes) + 1}"
                    data_nodes[key] = node_id
                    nodes.append(
                        {
                            "id": node_id,
                            "kind": "data",
                            "label": _data_label(binding),
                            "type": binding.get("type", ""),
                        }
                    )
                edges.append(
                    {
                        "id": f"{node_id}->{name}.{port}",
                        "source": node_id,
                        "sourceHandle": "data",
                        "target": name,
                        "targetHandle": port,
                    }
                )
        outputs = [
            {"name": port, "type": port_spec.get("type", "")}
            for port, port_spec in (ports.get("outputs") or {}).items()
        ]
        nodes.append(
            {
                "id": name,
                "kind": "step",
                "label": step.get("display_name") or _own_name(name, step.get("group", "")),
                "component": component_label(component),
                "compute": step.get("compute", ""),
                "group": step.get("group", ""),
                "inputs": inputs,
                "outputs": outputs,
            }
        )
    groups = job_groups(spec, order, data_nodes)
    return {"nodes": nodes, "edges": edges, "groups": groups}


def _display(binding: dict) -> Any:
    kind = binding.get("kind")
    if kind == "literal":
        return binding.get("value")
    if kind == "data":
        return binding.get("asset") or binding.get("url") or "uploaded data"
    if kind == "step_output":
        return f"{binding.get('step')}.{binding.get('output')}"
    return None


def job_parameters(spec: dict) -> list[dict]:
    """The pipeline's inputs as `[{"name", "value", "kind"}]` (values ready to show)."""
    return [
        {"name": name, "value": _display(binding), "kind": binding.get("kind", "")}
        for name, binding in (spec.get("inputs") or {}).items()
        if isinstance(binding, dict)
    ]
