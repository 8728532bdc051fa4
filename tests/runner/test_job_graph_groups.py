"""The job page's graph of a job with pipeline components: its groups, two deep, and each step's group.

`nested_spec` is built by hand the way the compiler flattens `middle` (holding the pipeline
component `inner` and the step `train`) between the top-level steps `fetch` and `score`;
`compiled_three_deep_spec` is the compiler's own spec of the corpus job outer > middle > inner,
whose pipeline components are anonymous (read from local files).
"""

from __future__ import annotations

from pipelines.spec import PipelineSpec
from runner.job_graph import job_graph
from tests.compat.oracle import CORPUS

THREE_DEEP = CORPUS / "pipeline-nested-three-deep.yml"


def compiled_three_deep_spec(settings) -> dict:
    """The compiled spec of tests/compat/corpus/pipeline-nested-three-deep.yml, as a dict (needs the
    `library` and `computes` fixtures; `settings` gets the corpus's compute alias)."""
    from pipelines.compiler import compile_pipeline
    from studio.schemas.loading import load_document

    settings.STUDIO_COMPUTE_ALIASES = {"cpu-cluster": "docker"}
    document, index = load_document(THREE_DEEP.read_bytes(), filename=THREE_DEEP.name)
    spec = compile_pipeline(document, index=index, filename=THREE_DEEP.name, base_dir=THREE_DEEP.parent)
    return spec.model_dump(mode="json")


def pin(name: str, inputs: dict[str, str], outputs: dict[str, str]) -> dict:
    return {
        "id": 1,
        "name": name,
        "version": "1",
        "content_hash": "0" * 64,
        "spec": {
            "type": "command",
            "inputs": {port: {"type": kind} for port, kind in inputs.items()},
            "outputs": {port: {"type": kind} for port, kind in outputs.items()},
        },
        "environment_id": 1,
        "environment": "python-3.11:1",
        "environment_hash": "0" * 64,
    }


def out(step: str, output: str) -> dict:
    return {"kind": "step_output", "step": step, "output": output}


DATA = {"kind": "data", "type": "uri_folder", "asset": "iris:1", "snapshot": "ab" * 32}


def step(name: str, group: str, component: dict, **inputs) -> dict:
    return {"name": name, "component": component, "compute": "docker", "group": group, "inputs": inputs}


def nested_spec() -> dict:
    """fetch -> middle{inner{copy -> count}, train} -> score, as a spec dict."""
    fetch = pin("fetch", {"source": "uri_folder"}, {"out": "uri_folder"})
    copy = pin("prep", {"raw_data": "uri_folder"}, {"prepared_data": "uri_folder"})
    count = pin("count", {"data": "uri_folder"}, {"count_file": "uri_file"})
    train = pin(
        "train", {"training_data": "uri_folder", "learning_rate": "number"}, {"model_output": "mlflow_model"}
    )
    score = pin(
        "score", {"model_input": "mlflow_model", "test_data": "uri_folder"}, {"score_output": "uri_folder"}
    )
    steps = {
        "fetch": step("fetch", "", fetch, source=DATA),
        "middle.inner.copy": step("middle.inner.copy", "middle.inner", copy, raw_data=out("fetch", "out")),
        "middle.inner.count": step(
            "middle.inner.count", "middle.inner", count, data=out("middle.inner.copy", "prepared_data")
        ),
        "middle.train": step(
            "middle.train",
            "middle",
            train,
            training_data=out("middle.inner.copy", "prepared_data"),
            learning_rate={"kind": "literal", "value": 0.2},
        ),
        "score": step(
            "score", "", score, model_input=out("middle.train", "model_output"), test_data=out("fetch", "out")
        ),
    }
    groups = {
        "middle": {
            "name": "middle",
            "display_name": "Middle pipeline",
            "component": {"id": 7, "name": "compat_middle", "version": "1", "display_name": "Middle"},
            "inputs": {"data": out("fetch", "out"), "learning_rate": {"kind": "literal", "value": 0.2}},
            "outputs": {
                "model": {"step": "middle.train", "output": "model_output"},
                "count_file": {"step": "middle.inner.count", "output": "count_file"},
            },
        },
        "middle.inner": {
            "name": "inner",
            "parent": "middle",
            "component": {"id": 6, "name": "compat_inner", "version": "2", "display_name": "Inner"},
            "inputs": {"data": out("fetch", "out"), "raw": DATA},
            "outputs": {"copied": {"step": "middle.inner.copy", "output": "prepared_data"}},
        },
    }
    spec = {"display_name": "nested", "steps": steps, "groups": groups}
    return PipelineSpec.model_validate(spec).model_dump(mode="json")


def test_each_step_names_its_innermost_group():
    graph = job_graph(nested_spec())
    groups = {n["id"]: n["group"] for n in graph["nodes"] if n["kind"] == "step"}
    assert groups == {
        "fetch": "",
        "middle.inner.copy": "middle.inner",
        "middle.inner.count": "middle.inner",
        "middle.train": "middle",
        "score": "",
    }
    labels = {n["id"]: n["label"] for n in graph["nodes"] if n["kind"] == "step"}
    assert labels["middle.inner.copy"] == "copy"  # its name inside its pipeline component
    assert labels["score"] == "score"
    edges = {(e["source"], e["sourceHandle"], e["target"], e["targetHandle"]) for e in graph["edges"]}
    assert ("middle.inner.copy", "prepared_data", "middle.train", "training_data") in edges  # leaf to leaf


def test_groups_come_parents_first_with_what_they_hold_and_their_ports():
    graph = job_graph(nested_spec())
    middle, inner = graph["groups"]
    assert middle == {
        "id": "middle",
        "name": "middle",
        "label": "Middle pipeline",
        "component": "compat_middle:1",
        "parent": "",
        "steps": ["middle.train"],
        "groups": ["middle.inner"],
        "inputs": [
            {
                "name": "data",
                "type": "uri_folder",
                "bound": "step_output",
                "source": "fetch",
                "sourceHandle": "out",
            },
            {"name": "learning_rate", "type": "number", "bound": "literal", "value": 0.2},
        ],
        "outputs": [
            {"name": "model", "type": "mlflow_model", "step": "middle.train", "output": "model_output"},
            {"name": "count_file", "type": "uri_file", "step": "middle.inner.count", "output": "count_file"},
        ],
    }
    # No display name: the step's own name; data comes from the same graph node the steps read.
    assert inner["label"] == "inner"
    assert inner["component"] == "compat_inner:2"
    assert inner["parent"] == "middle"
    assert inner["steps"] == ["middle.inner.copy", "middle.inner.count"]  # in run order
    assert inner["groups"] == []
    data_node = next(n["id"] for n in graph["nodes"] if n["kind"] == "data")
    assert inner["inputs"][1] == {
        "name": "raw",
        "type": "uri_folder",
        "bound": "data",
        "value": "iris:1",
        "source": data_node,
        "sourceHandle": "data",
    }


def test_a_job_without_pipeline_components_has_no_groups():
    spec = nested_spec()
    spec["groups"] = {}
    assert job_graph(spec)["groups"] == []
    del spec["groups"]  # a spec frozen before groups existed
    assert job_graph(spec)["groups"] == []


def test_a_compiled_three_deep_job_names_its_anonymous_pipeline_components(library, computes, settings):
    graph = job_graph(compiled_three_deep_spec(settings))
    groups = {g["id"]: g for g in graph["groups"]}
    assert list(groups) == ["outer", "outer.middle", "outer.middle.inner"]  # parents first
    assert groups["outer"]["label"] == "Outer pipeline (middle, then score)"
    # Anonymous (local-file) components: their declared display name, as steps show theirs.
    assert groups["outer"]["component"] == "Outer pipeline (middle, then score) (anonymous)"
    assert groups["outer.middle"]["component"] == "Middle pipeline (inner, then train) (anonymous)"
    assert groups["outer.middle.inner"]["component"] == "Inner pipeline (copy, then count) (anonymous)"
    assert groups["outer.middle"]["parent"] == "outer"
    assert groups["outer.middle"]["groups"] == ["outer.middle.inner"]
    assert groups["outer.middle.inner"]["steps"] == ["outer.middle.inner.copy", "outer.middle.inner.count"]
    steps = {n["id"]: n for n in graph["nodes"] if n["kind"] == "step"}
    assert steps["outer.score"]["component"] == "Score (anonymous)"
    assert steps["outer.middle.inner.copy"]["group"] == "outer.middle.inner"


def test_a_registered_pipeline_component_is_named_with_its_version():
    graph = job_graph(nested_spec())
    assert [g["component"] for g in graph["groups"]] == ["compat_middle:1", "compat_inner:2"]
