"""How a problem of a graph is said: on a field, a node and a port."""

from __future__ import annotations

from studio.errors import Problem, ProblemsError


def graph_problem(
    field: str, message: str, node: str | None = None, port: str | None = None, line: int | None = None
) -> Problem:
    """A problem of a graph: on a field, and on a node (and port) where it can say which."""
    return Problem(field=field, message=message, node=node, port=port, line=line)


class GraphError(ProblemsError, ValueError):
    """The graph does not compile; `problems` says where and why, each on its node and port (400)."""
