"""Placing a graph's nodes."""

from __future__ import annotations

from pipelines.spec import rounds

COLUMN_WIDTH = 320
ROW_HEIGHT = 160


def layout(graph: dict) -> dict:
    """The graph with nodes placed left to right: x by topological depth * 320 (the longest path
    to the node), y by order within the column * 160. Nodes in a cycle are placed anyway.
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
        column = depth[node["id"]]
        row = rows.get(column, 0)
        rows[column] = row + 1
        placed.append({**node, "position": {"x": column * COLUMN_WIDTH, "y": row * ROW_HEIGHT}})
    return {**graph, "nodes": placed}
