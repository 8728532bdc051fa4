"""The designer's graph: its shape, and its translations to and from pipeline YAML and specs.

A draft's graph is what the canvas edits (nodes, edges, settings, pipeline inputs and outputs). It
is never run directly: `graph_to_document` writes it as an Azure ML v2 pipeline job document and
`compile_graph` compiles that with `compile_pipeline`, the one compiler every front door uses,
then maps each problem back to the node and port it is about. `document_to_graph` (import) and
`spec_to_graph` (clone a job) go the other way; `layout` places nodes left to right.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines.compiler import Resolution, resolve_pipeline
from pipelines.document import Limits, RetrySettings, fold_flat_names, parent_binding
from pipelines.rules import PARAMETER_TYPES, literal_type
from pipelines.spec import PipelineSpec, rounds
from studio.errors import Problem, ProblemsError, StudioError
from studio.schemas.loading import DefinitionError, LineIndex, format_path

PIPELINE_SCHEMA = "https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json"
DATA_HANDLE = "data"
COLUMN_WIDTH = 320
ROW_HEIGHT = 160
# A draft holds at least this many nodes and edges, and always room for a job of the most steps
# (STUDIO_MAX_STEPS_PER_JOB) cloned into it: a node per step, as many again for its data and
# comment nodes, and five wires a step (`graph_limits`).
MIN_NODES = 1000
MIN_EDGES = 5000
MAX_ZOOM = 10

# --- shape ---------------------------------------------------------------------------------------


def _literal(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value
    raise ValueError("must be a string, a number, true/false or null")


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError("must be a number")
    return value


LiteralValue = Annotated[Any, AfterValidator(_literal)]
Number = Annotated[Any, AfterValidator(_number)]


class _Strict(BaseModel):
    """The designer's own data: unknown keys are mistakes."""

    model_config = ConfigDict(extra="forbid", strict=True)


class _Loose(BaseModel):
    """Node and edge objects: React Flow's own keys (selected, measured, …) are dropped."""

    model_config = ConfigDict(extra="ignore", strict=True)


class Position(_Loose):
    x: Number
    y: Number


class ComponentData(_Strict):
    component: str = Field(description="NAME:VERSION of the component")
    display_name: str = ""
    inputs: dict[str, LiteralValue] = Field(default_factory=dict, description="port -> literal value")
    pipeline_inputs: dict[str, str] = Field(default_factory=dict, description="port -> pipeline input")
    compute: str | None = None
    limits: Limits = Field(default_factory=Limits)
    retry_settings: RetrySettings = Field(default_factory=RetrySettings)
    force_rerun: bool = False

    @model_validator(mode="before")
    @classmethod
    def _older_names(cls, data: Any) -> Any:
        """A canvas (or a draft) from before the run settings took Azure ML's names still saves."""
        return fold_flat_names(data)


class DataData(_Strict):
    asset: str = Field(description="NAME:VERSION of the data asset")


class CommentData(_Strict):
    text: str = ""


NODE_DATA = {"component": ComponentData, "data": DataData, "comment": CommentData}


class NodeShape(_Loose):
    id: str = Field(min_length=1, max_length=300)
    type: Literal["component", "data", "comment"]
    position: Position
    data: dict[str, Any]


class EdgeShape(_Loose):
    id: str = Field(min_length=1, max_length=500)
    source: str
    sourceHandle: str  # noqa: N815 - React Flow's name
    target: str
    targetHandle: str  # noqa: N815 - React Flow's name


class GraphSettings(_Strict):
    default_compute: str | None = None
    continue_on_step_failure: bool = False
    force_rerun: bool = False
    experiment_name: str = "Default"


class GraphInput(_Strict):
    type: Literal["string", "integer", "number", "boolean"]
    value: LiteralValue = None
    description: str = Field(default="", max_length=2000)


class GraphOutput(_Strict):
    node: str
    port: str


class GraphViewport(_Strict):
    """Where the canvas was looking: its pan (x, y in screen pixels) and zoom. Not part of the
    pipeline; saved so that a draft opens where it was left."""

    x: Number
    y: Number
    zoom: Annotated[Number, Field(gt=0, le=MAX_ZOOM)]


class GraphShape(_Strict):
    nodes: list[NodeShape] = Field(default_factory=list, description="at most graph_limits()[0]")
    edges: list[EdgeShape] = Field(default_factory=list, description="at most graph_limits()[1]")
    settings: GraphSettings = Field(default_factory=GraphSettings)
    inputs: dict[str, GraphInput] = Field(default_factory=dict)
    outputs: dict[str, GraphOutput] = Field(default_factory=dict)
    viewport: GraphViewport | None = Field(default=None, description="The canvas's pan and zoom")


class GraphShapeError(StudioError, ValueError):
    """The graph is not shaped as the contract says; `errors` maps field paths to messages (400)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        first = next(iter(errors.items()))
        super().__init__(f"{first[0] or 'graph'}: {first[1][0]}")

    def errors_by_field(self) -> dict[str, list[str]]:
        return self.errors


def graph_limits() -> tuple[int, int]:
    """The most nodes and edges a draft may hold (see MIN_NODES)."""
    from django.conf import settings

    steps = settings.STUDIO_MAX_STEPS_PER_JOB
    return max(MIN_NODES, 2 * steps), max(MIN_EDGES, 5 * steps)


def _collect(errors: dict[str, list[str]], error: ValidationError, prefix: tuple = ()) -> None:
    for item in error.errors(include_url=False):
        message = item["msg"].removeprefix("Value error, ")
        errors.setdefault(format_path((*prefix, *item["loc"])), []).append(message)


def validate_graph(raw: Any) -> dict:
    """The graph in its normal form (defaults filled in, React Flow's extras dropped), or
    GraphShapeError naming each bad path. References are not checked here: an unknown component
    is a validation problem, not a shape error."""
    if not isinstance(raw, dict):
        raise GraphShapeError({"": ["must be an object with nodes, edges, settings, inputs and outputs"]})
    errors: dict[str, list[str]] = {}
    try:
        shape = GraphShape.model_validate(raw)
    except ValidationError as error:
        _collect(errors, error)
        raise GraphShapeError(errors) from None
    most_nodes, most_edges = graph_limits()
    for field, items, most in (("nodes", shape.nodes, most_nodes), ("edges", shape.edges, most_edges)):
        if len(items) > most:
            errors[field] = [f"a draft holds at most {most} {field}, this one has {len(items)}"]
    if errors:
        raise GraphShapeError(errors)
    nodes = []
    seen: set[str] = set()
    for position, node in enumerate(shape.nodes):
        if node.id in seen:
            errors.setdefault(format_path(("nodes", position, "id")), []).append(
                f"another node already has the id {node.id!r}"
            )
        seen.add(node.id)
        try:
            data = NODE_DATA[node.type].model_validate(node.data).model_dump()
        except ValidationError as error:
            _collect(errors, error, ("nodes", position, "data"))
            continue
        nodes.append({"id": node.id, "type": node.type, "position": node.position.model_dump(), "data": data})
    if errors:
        raise GraphShapeError(errors)
    graph = shape.model_dump(exclude={"nodes", "viewport"})
    graph["nodes"] = nodes
    graph = {key: graph[key] for key in ("nodes", "edges", "settings", "inputs", "outputs")}
    for declared in graph["inputs"].values():
        if not declared["description"]:
            del declared["description"]  # kept only when there is one
    if shape.viewport is not None:
        graph["viewport"] = shape.viewport.model_dump()
    return graph


def validate_viewport(raw: Any) -> dict:
    """A canvas viewport {x, y, zoom} as it is saved, or GraphShapeError naming each bad field."""
    if not isinstance(raw, dict):
        raise GraphShapeError({"": ["must be an object with x, y and zoom"]})
    try:
        return GraphViewport.model_validate(raw).model_dump()
    except ValidationError as error:
        errors: dict[str, list[str]] = {}
        _collect(errors, error)
        raise GraphShapeError(errors) from None


# --- problems ------------------------------------------------------------------------------------


def graph_problem(
    field: str, message: str, node: str | None = None, port: str | None = None, line: int | None = None
) -> Problem:
    """A problem of a graph: on a field, and on a node (and port) where it can say which."""
    return Problem(field=field, message=message, node=node, port=port, line=line)


class GraphError(ProblemsError, ValueError):
    """The graph does not compile; `problems` says where and why, each on its node and port (400)."""


# --- names ---------------------------------------------------------------------------------------


def _sanitise(text: str, taken: set[str]) -> str:
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
            jobs[node["id"]] = _sanitise(node["id"], job_names)
        elif node["type"] == "data":
            data[node["id"]] = _sanitise(node["id"], input_names)
    return Names(jobs, data)


def _azureml(reference: str) -> str:
    reference = reference.strip()
    return reference if reference.startswith("azureml:") else f"azureml:{reference}"


def _strip_azureml(reference: str) -> str:
    reference = reference.strip()
    if reference.startswith("azureml:") and not reference.startswith("azureml://"):
        return reference.removeprefix("azureml:")
    return reference


def _binding(text: Any) -> tuple[str, ...] | None:
    binding = parent_binding(text)
    return binding.parts if binding else None


def _parameter_type(value: Any) -> str:
    return literal_type(value) or "string"


# --- graph -> pipeline job document --------------------------------------------------------------


class RegistryCatalog:
    """What the document needs to know of registered assets: a data asset's type and a component
    output's type. Missing ones get the Azure default; compiling reports them."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}
        self._outputs: dict[str, dict] = {}

    def data_type(self, reference: str) -> str:
        if reference not in self._data:
            from studio.models import DataAsset
            from studio.references import ReferenceError, parse_reference, resolve

            try:
                asset = resolve(DataAsset, parse_reference(_azureml(reference), kind="data"))
                self._data[reference] = asset.data_type
            except ReferenceError:
                self._data[reference] = "uri_folder"
        return self._data[reference]

    def output_type(self, reference: str, port: str) -> str:
        if reference not in self._outputs:
            from studio.models import Component
            from studio.references import ReferenceError, parse_reference, resolve

            try:
                component = resolve(Component, parse_reference(_azureml(reference), kind="components"))
                self._outputs[reference] = component.outputs
            except ReferenceError:
                self._outputs[reference] = {}
        return (self._outputs[reference].get(port) or {}).get("type", "uri_folder")


def _pipeline_input(declared: dict) -> Any:
    """A literal pipeline input: the bare value when its type is obvious from it and it has no
    description, else {type, value, description?}."""
    value = declared.get("value")
    description = declared.get("description") or ""
    if value is not None and _parameter_type(value) == declared["type"] and not description:
        return value
    shaped = {"type": declared["type"], "value": value}
    if description:
        shaped["description"] = description
    return shaped


def graph_to_document(
    graph: dict, *, name: str = "", description: str = "", catalog: RegistryCatalog | None = None
) -> tuple[dict, dict[str, str]]:
    """The Azure ML v2 pipeline job document of a graph, and which node each job comes from.

    Components are `azureml:NAME:VERSION`; data nodes are pipeline inputs `{type, path}`; edges are
    `${{parent.jobs.X.outputs.Y}}` (or `${{parent.inputs.D}}` from a data node); promoted inputs
    are `${{parent.inputs.Z}}`; pipeline outputs are bound with `${{parent.outputs.Z}}`. Comments
    have no YAML form. Things that make no sense (dangling edges, …) are left out here and reported
    by `graph_problems`.
    """
    catalog = catalog or RegistryCatalog()
    names = names_of(graph)
    nodes = {node["id"]: node for node in graph.get("nodes", [])}
    settings = graph.get("settings") or {}

    document: dict[str, Any] = {"$schema": PIPELINE_SCHEMA, "type": "pipeline"}
    if name:
        document["display_name"] = name
    if description:
        document["description"] = description
    document["experiment_name"] = settings.get("experiment_name") or "Default"
    document_settings: dict[str, Any] = {}
    if settings.get("default_compute"):
        document_settings["default_compute"] = _azureml(settings["default_compute"])
    document_settings["continue_on_step_failure"] = bool(settings.get("continue_on_step_failure"))
    document_settings["force_rerun"] = bool(settings.get("force_rerun"))
    document["settings"] = document_settings

    inputs: dict[str, Any] = {
        input_name: _pipeline_input(declared) for input_name, declared in (graph.get("inputs") or {}).items()
    }
    for node_id, input_name in names.data.items():
        asset = nodes[node_id]["data"].get("asset") or ""
        inputs[input_name] = {
            "type": catalog.data_type(asset) if asset else "uri_folder",
            "path": _azureml(asset),
        }
    if inputs:
        document["inputs"] = inputs

    incoming: dict[tuple[str, str], str] = {}
    for edge in graph.get("edges", []):
        source, target = nodes.get(edge["source"]), nodes.get(edge["target"])
        if source is None or target is None or target["type"] != "component":
            continue
        key = (target["id"], edge["targetHandle"])
        if key in incoming:
            continue
        if source["type"] == "data":
            incoming[key] = f"${{{{parent.inputs.{names.data[source['id']]}}}}}"
        elif source["type"] == "component":
            job = names.jobs[source["id"]]
            incoming[key] = f"${{{{parent.jobs.{job}.outputs.{edge['sourceHandle']}}}}}"

    outputs: dict[str, Any] = {}
    feeds: dict[tuple[str, str], str] = {}
    for output_name, target in (graph.get("outputs") or {}).items():
        node = nodes.get(target["node"])
        if node is None or node["type"] != "component" or (node["id"], target["port"]) in feeds:
            continue
        feeds[(node["id"], target["port"])] = output_name
        outputs[output_name] = {
            "type": catalog.output_type(node["data"].get("component") or "", target["port"])
        }
    if outputs:
        document["outputs"] = outputs

    # By node, in edge and output order: each node reads only its own (linear in the graph's size).
    incoming_of: dict[str, dict[str, str]] = {}
    for (target, port), binding in incoming.items():
        incoming_of.setdefault(target, {})[port] = binding
    feeds_of: dict[str, dict[str, str]] = {}
    for (source, port), output_name in feeds.items():
        feeds_of.setdefault(source, {})[port] = output_name

    jobs: dict[str, Any] = {}
    for node_id, job_name in names.jobs.items():
        data = nodes[node_id]["data"]
        job: dict[str, Any] = {"type": "command", "component": _azureml(data.get("component") or "")}
        if data.get("display_name"):
            job["display_name"] = data["display_name"]
        if data.get("compute"):
            job["compute"] = _azureml(data["compute"])
        job_inputs: dict[str, Any] = {}
        for port, value in (data.get("inputs") or {}).items():
            if value is not None:
                job_inputs[port] = value
        for port, input_name in (data.get("pipeline_inputs") or {}).items():
            job_inputs[port] = f"${{{{parent.inputs.{input_name}}}}}"
        job_inputs.update(incoming_of.get(node_id, {}))
        if job_inputs:
            job["inputs"] = job_inputs
        job_outputs = {
            port: f"${{{{parent.outputs.{output_name}}}}}"
            for port, output_name in feeds_of.get(node_id, {}).items()
        }
        if job_outputs:
            job["outputs"] = job_outputs
        limits = data.get("limits") or {}
        if limits.get("timeout") is not None:
            job["limits"] = dict(limits)
        retry = data.get("retry_settings") or {}
        if retry.get("max_retries") or retry.get("retry_on_failure"):
            job["retry_settings"] = dict(retry)
        if data.get("force_rerun"):
            job["force_rerun"] = True
        jobs[job_name] = job
    document["jobs"] = jobs
    return document, {job: node for node, job in names.jobs.items()}


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
        fits = _parameter_type(value) == kind or (
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


# --- pipeline job document -> graph (import) -----------------------------------------------------


def _new_id(base: str, taken: set[str]) -> str:
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}_{number}"
        number += 1
    taken.add(candidate)
    return candidate


def _empty_component(component: str) -> dict:
    return {
        "component": component,
        "display_name": "",
        "inputs": {},
        "pipeline_inputs": {},
        "compute": None,
        "limits": Limits().model_dump(),
        "retry_settings": RetrySettings().model_dump(),
        "force_rerun": False,
    }


def _node(node_id: str, kind: str, data: dict) -> dict:
    return {"id": node_id, "type": kind, "position": {"x": 0, "y": 0}, "data": data}


def _edge(source: str, handle: str, target: str, port: str) -> dict:
    return {
        "id": f"{source}.{handle}->{target}.{port}",
        "source": source,
        "sourceHandle": handle,
        "target": target,
        "targetHandle": port,
    }


def document_to_graph(document: dict, *, spec: PipelineSpec | None = None) -> dict:
    """The graph of a pipeline job document (import). With the compiled `spec`, components and data
    are pinned to the versions they resolved to (`@latest` becomes NAME:VERSION) and computes to
    Studio's names. Data inputs become data nodes, `${{parent.jobs…}}` bindings edges, literal
    pipeline inputs stay pipeline inputs. Call `layout` to place the nodes."""
    raw_inputs = document.get("inputs") or {}
    jobs = document.get("jobs") or {}
    settings_doc = document.get("settings") or {}
    taken: set[str] = set()
    job_ids = {job: _new_id(str(job), taken) for job in jobs}
    nodes: list[dict] = []
    edges: list[dict] = []
    inputs: dict[str, dict] = {}
    outputs: dict[str, dict] = {}
    data_ids: dict[str, str] = {}

    for input_name, value in raw_inputs.items():
        if isinstance(value, dict) and "path" in value:
            pinned = spec.inputs.get(input_name) if spec else None
            asset = pinned.asset if pinned is not None and getattr(pinned, "asset", None) else None
            data_ids[input_name] = _new_id(str(input_name), taken)
            nodes.append(
                _node(data_ids[input_name], "data", {"asset": asset or _strip_azureml(str(value["path"]))})
            )
            continue
        description = ""
        if isinstance(value, dict):
            literal = value.get("value", value.get("default"))
            kind = value.get("type") if value.get("type") in PARAMETER_TYPES else _parameter_type(literal)
            description = str(value.get("description") or "")
        else:
            literal, kind = value, _parameter_type(value)
        inputs[input_name] = {"type": kind, "value": literal}
        if description:
            inputs[input_name]["description"] = description

    for job, step in jobs.items():
        node_id = job_ids[job]
        pinned_step = spec.steps.get(job) if spec else None
        if pinned_step is not None:
            component = f"{pinned_step.component.name}:{pinned_step.component.version}"
        else:
            component = _strip_azureml(str(step.get("component") or ""))
        data = _empty_component(component)
        data["display_name"] = str(step.get("display_name") or "")
        if "compute" in step:
            data["compute"] = pinned_step.compute if pinned_step else _strip_azureml(str(step["compute"]))
        if pinned_step is not None:
            data["limits"] = pinned_step.limits.model_dump()
            data["retry_settings"] = pinned_step.retry_settings.model_dump()
        else:
            retry = step.get("retry_settings") or {}
            data["limits"] = {"timeout": (step.get("limits") or {}).get("timeout")}
            data["retry_settings"] = {
                "max_retries": retry.get("max_retries", 0) or 0,
                "retry_on_failure": bool(retry.get("retry_on_failure", False)),
            }
        data["force_rerun"] = bool(step.get("force_rerun", False))
        for port, value in (step.get("inputs") or {}).items():
            target = _binding(value)
            if target is not None and len(target) == 2 and target[0] == "inputs":
                if target[1] in data_ids:
                    edges.append(_edge(data_ids[target[1]], DATA_HANDLE, node_id, port))
                else:
                    data["pipeline_inputs"][port] = target[1]
            elif target is not None and len(target) == 4 and target[0] == "jobs" and target[1] in job_ids:
                edges.append(_edge(job_ids[target[1]], target[3], node_id, port))
            elif isinstance(value, dict) and "path" in value:
                binding = pinned_step.inputs.get(port) if pinned_step else None
                asset = getattr(binding, "asset", None) or _strip_azureml(str(value["path"]))
                data_id = _new_id(f"{node_id}_{port}", taken)
                nodes.append(_node(data_id, "data", {"asset": asset}))
                edges.append(_edge(data_id, DATA_HANDLE, node_id, port))
            elif target is None:
                data["inputs"][port] = value
        for port, value in (step.get("outputs") or {}).items():
            target = _binding(value)
            if target is not None and len(target) == 2 and target[0] == "outputs":
                outputs[target[1]] = {"node": node_id, "port": port}
        nodes.append(_node(node_id, "component", data))

    compute_text = settings_doc.get("default_compute", document.get("compute"))
    default_compute = None
    if compute_text is not None:
        default_compute = (
            spec.settings.default_compute if spec else _strip_azureml(str(compute_text))
        ) or None
    # data nodes first, then components in document order: reads left to right after `layout`
    nodes.sort(key=lambda node: node["type"] != "data")
    return {
        "nodes": nodes,
        "edges": edges,
        "settings": {
            "default_compute": default_compute,
            "continue_on_step_failure": bool(settings_doc.get("continue_on_step_failure", False)),
            "force_rerun": bool(settings_doc.get("force_rerun", False)),
            "experiment_name": str(document.get("experiment_name") or "Default"),
        },
        "inputs": inputs,
        "outputs": outputs,
    }


# --- frozen spec -> graph (clone a job) ----------------------------------------------------------


def spec_to_graph(spec_json: dict | PipelineSpec) -> dict:
    """The graph of a job's frozen spec: components pinned to the versions it ran, literal values,
    data from their asset (one data node per asset). Data without an asset (an upload, a URL)
    cannot be a data node: a comment next to the step says which input it fed."""
    spec = spec_json if isinstance(spec_json, PipelineSpec) else PipelineSpec.model_validate(spec_json)
    taken: set[str] = set(spec.steps)
    nodes: list[dict] = []
    data_nodes: list[dict] = []
    notes: list[dict] = []
    edges: list[dict] = []
    data_ids: dict[str, str] = {}
    pipeline_inputs: dict[str, dict] = {}
    for step_name, step in spec.steps.items():
        data = _empty_component(f"{step.component.name}:{step.component.version}")
        data.update(
            display_name=step.display_name,
            compute=step.compute if step.compute != spec.settings.default_compute else None,
            limits=step.limits.model_dump(),
            retry_settings=step.retry_settings.model_dump(),
            force_rerun=step.force_rerun,
        )
        for port, binding in step.inputs.items():
            promoted = step.input_sources.get(port)
            if binding.kind == "literal" and promoted in spec.inputs:
                data["pipeline_inputs"][port] = promoted
                if promoted not in pipeline_inputs:
                    declared = spec.input_declarations.get(promoted)
                    kind = step.component.spec.get("inputs", {}).get(port, {}).get("type")
                    pipeline_inputs[promoted] = {
                        "type": (declared and declared.type)
                        or (kind if kind in PARAMETER_TYPES else _parameter_type(binding.value)),
                        "value": binding.value,
                    }
                    if declared and declared.description:
                        pipeline_inputs[promoted]["description"] = declared.description
            elif binding.kind == "literal":
                data["inputs"][port] = binding.value
            elif binding.kind == "step_output":
                edges.append(_edge(binding.step, binding.output, step_name, port))
            elif binding.asset:
                if binding.asset not in data_ids:
                    data_ids[binding.asset] = _new_id(promoted or _sanitise(binding.asset, set()), taken)
                    data_nodes.append(_node(data_ids[binding.asset], "data", {"asset": binding.asset}))
                edges.append(_edge(data_ids[binding.asset], DATA_HANDLE, step_name, port))
            else:
                source = (
                    f"the URL {binding.url}"
                    if binding.url
                    else f"uploaded data (snapshot {binding.snapshot})"
                )
                notes.append(
                    _node(
                        _new_id(f"note_{step_name}_{port}", taken),
                        "comment",
                        {
                            "text": f"Input {port} of {step.display_name or step_name} read {source}, "
                            "which a draft cannot hold: register it as a data asset and connect a data "
                            "node here."
                        },
                    )
                )
        nodes.append(_node(step_name, "component", data))
    return {
        "nodes": [*data_nodes, *nodes, *notes],
        "edges": edges,
        "settings": {
            "default_compute": spec.settings.default_compute,
            "continue_on_step_failure": spec.settings.continue_on_step_failure,
            "force_rerun": spec.settings.force_rerun,
            "experiment_name": spec.experiment_name or "Default",
        },
        "inputs": pipeline_inputs,
        "outputs": {
            name: {"node": output.step, "port": output.output} for name, output in spec.outputs.items()
        },
    }


# --- layout --------------------------------------------------------------------------------------


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
