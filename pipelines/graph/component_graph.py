"""A pipeline component's inner graph, to look at (the designer opens a pipeline-component node).

Its steps are the graph `document_to_graph` makes of its `jobs` (they are written as a pipeline
job's jobs); its inputs and outputs become boundary nodes (`input`, `output`) wired to the steps
that read and feed them. Never saved: the nodes of type input and output exist only here.
"""

from __future__ import annotations

from pipelines.graph.from_document import document_to_graph, make_edge
from pipelines.graph.layout import layout
from pipelines.rules import PARAMETER_TYPES


class NotAPipelineComponent(ValueError):
    """The component is a command component: it has no inner graph."""


def is_pipeline_component(spec: dict) -> bool:
    """Whether a component's spec is a pipeline component's (`type: pipeline`)."""
    return (spec or {}).get("type") == "pipeline"


def input_node_id(name: str) -> str:
    return f"inputs.{name}"  # job names have no dots: never a step's id


def output_node_id(name: str) -> str:
    return f"outputs.{name}"


def component_graph(spec: dict) -> dict:
    """{component, nodes, edges} of a pipeline component's spec, laid out left to right.

    A step node is as on the canvas (`component`: NAME:VERSION, its literal `inputs`, the
    component inputs it reads in `pipeline_inputs`); a nested pipeline component is such a node
    too. An input node per declared input ({name, type, default?, optional, description}) is wired
    to the data ports that read it (parameters only show in the step's `pipeline_inputs`); an
    output node per declared output ({name, type}) is wired from the step output that feeds it.
    """
    if not is_pipeline_component(spec):
        raise NotAPipelineComponent(f"{spec.get('name', 'the component')} is not a pipeline component")
    declared_inputs = spec.get("inputs") or {}
    declared_outputs = spec.get("outputs") or {}
    graph = document_to_graph({"jobs": spec.get("jobs") or {}})
    nodes: list[dict] = []
    edges: list[dict] = list(graph["edges"])

    for name, declared in declared_inputs.items():
        declared = declared if isinstance(declared, dict) else {"type": "string", "default": declared}
        data = {
            "name": name,
            "type": str(declared.get("type") or "string"),
            "optional": bool(declared.get("optional", False)),
            "description": str(declared.get("description") or ""),
        }
        if "default" in declared:
            data["default"] = declared["default"]
        nodes.append({"id": input_node_id(name), "type": "input", "position": {"x": 0, "y": 0}, "data": data})
    for node in graph["nodes"]:
        nodes.append(node)
        for port, input_name in (node["data"].get("pipeline_inputs") or {}).items():
            declared = declared_inputs.get(input_name)
            kind = declared.get("type") if isinstance(declared, dict) else None
            if declared is not None and kind not in PARAMETER_TYPES:
                edges.append(make_edge(input_node_id(input_name), input_name, node["id"], port))
    for name, declared in declared_outputs.items():
        kind = (declared or {}).get("type") if isinstance(declared, dict) else None
        nodes.append(
            {
                "id": output_node_id(name),
                "type": "output",
                "position": {"x": 0, "y": 0},
                "data": {"name": name, "type": str(kind or "uri_folder")},
            }
        )
        fed_by = graph["outputs"].get(name)
        if fed_by is not None:
            edges.append(make_edge(fed_by["node"], fed_by["port"], output_node_id(name), name))

    placed = layout({"nodes": nodes, "edges": edges})
    return {
        "component": {
            "name": str(spec.get("name") or ""),
            "version": str(spec.get("version") or ""),
            "display_name": str(spec.get("display_name") or ""),
            "description": str(spec.get("description") or ""),
        },
        "nodes": placed["nodes"],
        "edges": edges,
    }
