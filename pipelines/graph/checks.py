"""What is wrong with a graph itself, before any reference is looked up."""

from __future__ import annotations

from pipelines.graph.names import names_of, parameter_type
from pipelines.graph.problems import graph_problem
from studio.errors import Problem


def graph_problems(graph: dict) -> list[Problem]:
    """What is wrong with the graph itself, before any reference is looked up."""
    problems: list[Problem] = []
    nodes = {node["id"]: node for node in graph.get("nodes", [])}
    names = names_of(graph)
    declared = graph.get("inputs") or {}
    data_inputs = set(names.data.values())
    if not names.jobs:
        problems.append(
            graph_problem("nodes", "the pipeline has no components yet: drag one onto the canvas")
        )
    for node in graph.get("nodes", []):
        where = f"nodes.{node['id']}"
        if node["type"] == "component":
            if not (node["data"].get("component") or "").strip():
                problems.append(graph_problem(f"{where}.component", "choose a component", node["id"]))
            for port, input_name in (node["data"].get("pipeline_inputs") or {}).items():
                if input_name not in declared and input_name in data_inputs:
                    problems.append(
                        graph_problem(
                            f"{where}.pipeline_inputs.{port}",
                            f"promotes to pipeline input {input_name!r}, which the pipeline does not declare",
                            node["id"],
                            port,
                        )
                    )
        elif node["type"] == "data" and not (node["data"].get("asset") or "").strip():
            problems.append(graph_problem(f"{where}.asset", "choose a data asset", node["id"]))

    bound: dict[tuple[str, str], str] = {}
    for edge in graph.get("edges", []):
        where = f"edges.{edge['id']}"
        source, target = nodes.get(edge["source"]), nodes.get(edge["target"])
        if source is None or target is None:
            missing = edge["source"] if source is None else edge["target"]
            present = target if source is None else source
            problems.append(
                graph_problem(
                    where,
                    f"connects to node {missing!r}, which is not on the canvas",
                    present["id"] if present else None,
                    (edge["targetHandle"] if source is None else edge["sourceHandle"]) if present else None,
                )
            )
            continue
        if source["type"] == "comment" or target["type"] != "component":
            problems.append(
                graph_problem(
                    where,
                    "only component inputs take connections, from component outputs or data",
                    target["id"],
                    edge["targetHandle"] if target["type"] == "component" else None,
                )
            )
            continue
        key = (target["id"], edge["targetHandle"])
        if key in bound:
            problems.append(
                graph_problem(
                    f"nodes.{target['id']}.inputs.{edge['targetHandle']}",
                    "has more than one incoming connection; an input reads from one place",
                    target["id"],
                    edge["targetHandle"],
                )
            )
            continue
        bound[key] = edge["id"]
        promoted = (target["data"].get("pipeline_inputs") or {}).get(edge["targetHandle"])
        if promoted:
            problems.append(
                graph_problem(
                    f"nodes.{target['id']}.inputs.{edge['targetHandle']}",
                    f"is connected and also promoted to pipeline input {promoted!r}; keep one",
                    target["id"],
                    edge["targetHandle"],
                )
            )

    for input_name, spec in declared.items():
        value = spec.get("value")
        if value is None:
            continue
        kind = spec["type"]
        fits = parameter_type(value) == kind or (
            kind == "number" and isinstance(value, int) and not isinstance(value, bool)
        )
        if not fits:
            problems.append(
                graph_problem(f"inputs.{input_name}", f"is a {kind} input, but its value is {value!r}")
            )

    fed: dict[tuple[str, str], str] = {}
    for output_name, target in (graph.get("outputs") or {}).items():
        node = nodes.get(target["node"])
        where = f"outputs.{output_name}"
        if node is None:
            problems.append(
                graph_problem(where, f"comes from node {target['node']!r}, which is not on the canvas")
            )
        elif node["type"] != "component":
            problems.append(graph_problem(where, "pipeline outputs come from component outputs", node["id"]))
        elif (node["id"], target["port"]) in fed:
            other = fed[(node["id"], target["port"])]
            problems.append(
                graph_problem(
                    where, f"this output already feeds pipeline output {other!r}", node["id"], target["port"]
                )
            )
        else:
            fed[(node["id"], target["port"])] = output_name
    return problems
