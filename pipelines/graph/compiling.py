"""Compiling a graph: its document through the one compiler, problems mapped back to nodes."""

from __future__ import annotations

from pipelines.compiler import Resolution, resolve_pipeline
from pipelines.graph.checks import graph_problems
from pipelines.graph.names import names_of
from pipelines.graph.problems import GraphError, graph_problem
from pipelines.graph.shape import GraphShapeError, validate_graph
from pipelines.graph.to_document import RegistryCatalog, graph_to_document
from pipelines.spec import PipelineSpec
from studio.errors import Problem
from studio.schemas.loading import DefinitionError, LineIndex


def _map_problem(problem, graph: dict, node_of_job: dict[str, str], node_of_input: dict[str, str]) -> Problem:
    """A compiler problem (`jobs.<job>.inputs.<port>`, …) as a problem of the graph. A job's
    fields have the same names on its node (`jobs.<job>.limits.timeout` is the node's
    `limits.timeout`): only the job becomes its node."""
    parts = problem.field.split(".") if problem.field else []
    if parts[:1] == ["jobs"] and len(parts) >= 2 and parts[1] in node_of_job:
        node = node_of_job[parts[1]]
        rest = tuple(parts[2:])
        port = rest[1] if len(rest) >= 2 and rest[0] in ("inputs", "outputs") else None
        tail = ".".join(rest)
        field = f"nodes.{node}" + (f".{tail}" if tail else "")
        return graph_problem(field, problem.message, node, port)
    if parts[:1] == ["jobs"]:
        return graph_problem("nodes", problem.message)
    if parts[:1] == ["inputs"] and len(parts) >= 2 and parts[1] in node_of_input:
        node = node_of_input[parts[1]]
        return graph_problem(f"nodes.{node}.asset", problem.message, node)
    if parts[:1] == ["outputs"] and len(parts) >= 2:
        target = (graph.get("outputs") or {}).get(parts[1]) or {}
        return graph_problem(problem.field, problem.message, target.get("node"), target.get("port"))
    return graph_problem(problem.field, problem.message)


def compile_graph(
    graph: dict, *, user=None, name: str = "", description: str = "", catalog: RegistryCatalog | None = None
) -> PipelineSpec:
    """Compile a graph to a PipelineSpec (resolve, then materialize); GraphError lists every
    problem, each on its node and port where it has one."""
    return resolve_graph(graph, user=user, name=name, description=description, catalog=catalog).materialize()


def resolve_graph(
    graph: dict, *, user=None, name: str = "", description: str = "", catalog: RegistryCatalog | None = None
) -> Resolution:
    """Check a graph with `resolve_pipeline`, writing nothing: its Resolution, or GraphError listing
    every problem on its node and port."""
    try:
        graph = validate_graph(graph)
    except GraphShapeError as error:
        raise GraphError(
            [
                graph_problem(field, message)
                for field, messages in error.errors.items()
                for message in messages
            ]
        ) from None
    problems = graph_problems(graph)
    document, node_of_job = graph_to_document(graph, name=name, description=description, catalog=catalog)
    node_of_input = {input_name: node for node, input_name in names_of(graph).data.items()}
    resolution = None
    try:
        resolution = resolve_pipeline(document, index=LineIndex(), filename="draft", user=user)
    except DefinitionError as error:
        located = {(p.node, p.port) for p in problems if p.node is not None}
        fields = {p.field for p in problems}
        for raw in error.problems:
            mapped = _map_problem(raw, graph, node_of_job, node_of_input)
            if mapped.node is not None and (mapped.node, mapped.port) in located:
                continue  # the graph's own problem says it better
            if mapped.field in fields and mapped.node is None:
                continue
            if mapped not in problems:
                problems.append(mapped)
    if problems:
        raise GraphError(problems)
    return resolution
