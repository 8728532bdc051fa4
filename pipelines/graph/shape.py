"""The graph's shape: what a draft may hold, validated and normalised."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines.document import Limits, RetrySettings, fold_flat_names
from studio.errors import StudioError
from studio.schemas.loading import format_path

# A draft holds at least this many nodes and edges, and always room for a job of the most steps
# (STUDIO_MAX_STEPS_PER_JOB) cloned into it: a node per step, as many again for its data and
# comment nodes, and five wires a step (`graph_limits`).
MIN_NODES = 1000
MIN_EDGES = 5000
MAX_ZOOM = 10


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
