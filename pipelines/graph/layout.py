"""Placing a graph's nodes."""

from __future__ import annotations

from pipelines.spec import rounds

# Top to bottom, as the designer draws pipelines: one layer a row, a layer's nodes side by side.
LAYER_HEIGHT = 200
NODE_SPACING = 280


def layout(graph: dict) -> dict:
    """The graph with nodes placed top to bottom: y by topological depth * 200 (the longest path
    to the node), x by order within the layer * 280. Nodes in a cycle are placed anyway.
    Linear in nodes and edges."""
    nodes = graph.get("nodes", [])
    incoming: dict[str, set[str]] = {node["id"]: set() for node in nodes}
    for edge in graph.get("edges", []):
        if edge["source"] in incoming and edge["target"] in incoming and edge["source"] != edge["target"]:
            incoming[edge["target"]].add(edge["source"])
    depth = rounds(incoming, break_cycles=True)
    rows: dict[int, int] = {}
    placed = []
    for node in nodes:
        layer = depth[node["id"]]
        order = rows.get(layer, 0)
        rows[layer] = order + 1
        placed.append({**node, "position": {"x": order * NODE_SPACING, "y": layer * LAYER_HEIGHT}})
    return {**graph, "nodes": placed}
