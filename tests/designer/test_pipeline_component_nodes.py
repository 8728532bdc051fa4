"""A pipeline component in the designer (#13 point 6): its inner graph (GET
/api/v1/components/<name>/<version>/graph/), its node in a draft's document, and a job's groups
cloned into one node each."""

from __future__ import annotations

import pytest

from pipelines.graph.checks import graph_problems
from pipelines.graph.component_graph import NotAPipelineComponent, component_graph
from pipelines.graph.from_spec import spec_to_graph
from pipelines.graph.shape import validate_graph
from pipelines.graph.to_document import graph_to_document
from pipelines.spec import PipelineSpec
from studio.models import Component
from tests.designer.graphs import component, data_node, edge
from tests.designer.pipeline_components import PREP, TRAIN, make_pipeline_components
from tests.factories import api_client

GRAPH_URL = "/api/v1/components/{}/{}/graph/"


def wires(graph: dict) -> set[tuple[str, str, str, str]]:
    return {(e["source"], e["sourceHandle"], e["target"], e["targetHandle"]) for e in graph["edges"]}


def test_inner_graph_has_the_steps_and_the_components_inputs_and_outputs_as_boundary_nodes():
    graph = component_graph(PREP)
    kinds = {node["id"]: node["type"] for node in graph["nodes"]}
    assert kinds == {
        "inputs.source": "input",
        "inputs.fraction": "input",
        "load": "component",
        "split": "component",
        "outputs.train": "output",
        "outputs.test": "output",
    }
    assert wires(graph) == {
        ("inputs.source", "source", "load", "source_file"),
        ("load", "dataset", "split", "dataset"),
        ("split", "first_dataset", "outputs.train", "train"),
        ("split", "second_dataset", "outputs.test", "test"),
    }
    nodes = {node["id"]: node for node in graph["nodes"]}
    # a parameter the component passes on is said on the step, not wired (parameters have no port)
    assert nodes["split"]["data"]["pipeline_inputs"] == {"fraction": "fraction"}
    assert nodes["split"]["data"]["inputs"] == {"seed": 7}
    assert nodes["split"]["data"]["component"] == "split_data:1"
    assert nodes["inputs.fraction"]["data"] == {
        "name": "fraction",
        "type": "number",
        "optional": False,
        "description": "",
        "default": 0.7,
    }
    assert nodes["outputs.test"]["data"] == {"name": "test", "type": "uri_folder"}
    # top to bottom: inputs, then the steps in order, then the outputs
    y = {node_id: node["position"]["y"] for node_id, node in nodes.items()}
    assert y["inputs.source"] < y["load"] < y["split"] < y["outputs.train"]
    assert graph["component"] == {
        "name": "prep_pipeline",
        "version": "1",
        "display_name": "Prepare data",
        "description": "Import a CSV file and split it",
    }


def test_a_nested_pipeline_component_is_one_node_of_the_inner_graph():
    graph = component_graph(TRAIN)
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert nodes["prep"]["type"] == "component"
    assert nodes["prep"]["data"]["component"] == "prep_pipeline:1"
    assert nodes["prep"]["data"]["inputs"] == {"fraction": 0.8}
    assert ("prep", "train", "train", "dataset") in wires(graph)
    assert ("prep", "test", "outputs.test", "test") in wires(graph)
    assert ("inputs.source", "source", "prep", "source") in wires(graph)
    assert nodes["train"]["data"]["pipeline_inputs"] == {"label_column": "label"}


def test_a_command_component_has_no_inner_graph():
    with pytest.raises(NotAPipelineComponent, match="split_data is not a pipeline component"):
        component_graph({"name": "split_data", "inputs": {}, "outputs": {}, "command": "true"})


@pytest.mark.django_db
def test_the_graph_route_answers_for_pipeline_components_only(api):
    make_pipeline_components()
    Component.objects.create(
        name="plain", version="1", spec={"type": "command", "command": "true"}, content_hash="x"
    )
    response = api.get(GRAPH_URL.format("train_pipeline", "1"))
    assert response.status_code == 200, response.content
    assert response.json()["component"]["display_name"] == "Prepare and train"
    assert {node["id"] for node in response.json()["nodes"]} >= {"prep", "train", "inputs.label"}

    refused = api.get(GRAPH_URL.format("plain", "1"))
    assert refused.status_code == 400
    assert "plain:1 is a command component" in refused.json()["detail"]
    assert refused.json()["errors"] == {"type": ["must be pipeline"]}

    missing = api.get(GRAPH_URL.format("train_pipeline", "9"))
    assert missing.status_code == 404
    assert "train_pipeline:9 is not registered" in missing.json()["detail"]

    assert api_client().get(GRAPH_URL.format("train_pipeline", "1")).status_code in (401, 403)


def pipeline_component_draft() -> dict:
    """iris -> prep_pipeline (one node) -> train_model, the held-out split a pipeline output."""
    return validate_graph(
        {
            "nodes": [
                data_node("iris-data", "iris:1"),
                component("prep", "prep_pipeline:1", inputs={"fraction": 0.6}, compute="docker"),
                component("train", "train_model:1", inputs={"label_column": "species"}),
            ],
            "edges": [
                edge("iris-data", "data", "prep", "source"),
                edge("prep", "train", "train", "dataset"),
            ],
            "outputs": {"held_out": {"node": "prep", "port": "test"}},
        }
    )


@pytest.mark.django_db
def test_a_pipeline_component_node_is_a_pipeline_job_of_the_document():
    make_pipeline_components()
    graph = pipeline_component_draft()
    assert graph_problems(graph) == []
    document, node_of_job = graph_to_document(graph)
    assert document["jobs"]["prep"] == {
        "type": "pipeline",
        "component": "azureml:prep_pipeline:1",
        "compute": "azureml:docker",
        "inputs": {"fraction": 0.6, "source": "${{parent.inputs.iris_data}}"},
        "outputs": {"test": "${{parent.outputs.held_out}}"},
    }
    assert document["jobs"]["train"]["type"] == "command"
    assert document["jobs"]["train"]["inputs"]["dataset"] == "${{parent.jobs.prep.outputs.train}}"
    assert document["outputs"] == {"held_out": {"type": "uri_folder"}}
    assert node_of_job == {"prep": "prep", "train": "train"}


def pin(name: str, **spec) -> dict:
    return {
        "id": 1,
        "name": name,
        "version": "1",
        "content_hash": "h",
        "spec": spec,
        "environment_id": 1,
        "environment": "env:1",
        "environment_hash": "e",
    }


def step(name: str, component: str, group: str = "", **inputs) -> dict:
    return {"name": name, "component": pin(component), "compute": "local", "group": group, "inputs": inputs}


def out(step_name: str, output: str) -> dict:
    return {"kind": "step_output", "step": step_name, "output": output}


def grouped_spec() -> PipelineSpec:
    """prep (a pipeline component: load -> split) -> train; deep (outer holding inner holding
    copy) -> after; the held-out split a pipeline output."""
    iris = {"kind": "data", "type": "uri_file", "snapshot": "s", "asset": "iris:1"}
    return PipelineSpec.model_validate(
        {
            "settings": {"default_compute": "local"},
            "steps": {
                "prep.load": step("load", "import_csv", "prep", source_file=iris),
                "prep.split": step("split", "split_data", "prep", dataset=out("prep.load", "dataset")),
                "train": step("train", "train_model", dataset=out("prep.split", "first_dataset")),
                "deep.inner.copy": step("copy", "copy", "deep.inner"),
                "after": step("after", "count", data=out("deep.inner.copy", "copied")),
            },
            "groups": {
                "prep": {
                    "name": "prep",
                    "display_name": "Prepare",
                    "component": {"id": 7, "name": "prep_pipeline", "version": "1", "display_name": ""},
                    "inputs": {"source": iris, "fraction": {"kind": "literal", "value": 0.6}},
                    "outputs": {
                        "train": {"step": "prep.split", "output": "first_dataset"},
                        "test": {"step": "prep.split", "output": "second_dataset"},
                    },
                },
                "deep": {
                    "name": "deep",
                    "component": {"id": 8, "name": "outer", "version": "2", "display_name": ""},
                    "outputs": {"result": {"step": "deep.inner.copy", "output": "copied"}},
                },
                "deep.inner": {
                    "name": "inner",
                    "parent": "deep",
                    "component": {"id": 9, "name": "inner", "version": "1", "display_name": ""},
                    "outputs": {"copied": {"step": "deep.inner.copy", "output": "copied"}},
                },
            },
            "outputs": {"held_out": {"step": "prep.split", "output": "second_dataset"}},
        }
    )


def test_a_jobs_groups_clone_into_one_node_each_wired_at_their_ports():
    graph = spec_to_graph(grouped_spec())
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert set(nodes) == {"iris_1", "prep", "train", "deep", "after"}
    assert nodes["prep"]["data"]["component"] == "prep_pipeline:1"
    assert nodes["prep"]["data"]["display_name"] == "Prepare"
    assert nodes["prep"]["data"]["inputs"] == {"fraction": 0.6}
    assert nodes["deep"]["data"]["component"] == "outer:2"
    assert wires(graph) == {
        ("iris_1", "data", "prep", "source"),
        ("prep", "train", "train", "dataset"),
        ("deep", "result", "after", "data"),
    }
    assert graph["outputs"] == {"held_out": {"node": "prep", "port": "test"}}
    validate_graph(graph)  # saves as a draft
    assert graph_problems(graph) == []


@pytest.mark.django_db
def test_a_draft_with_a_pipeline_component_node_compiles_to_its_steps(library):
    from pipelines.graph.compiling import compile_graph
    from studio.models import DataAsset

    make_pipeline_components()
    iris = DataAsset.objects.filter(name="iris").first()
    graph = pipeline_component_draft()
    graph["nodes"][0]["data"]["asset"] = f"iris:{iris.version}"
    graph["settings"]["default_compute"] = "local"
    spec = compile_graph(graph)
    assert set(spec.steps) == {"prep.load", "prep.split", "train"}
    assert spec.groups["prep"].component["name"] == "prep_pipeline"
    assert spec.steps["prep.split"].inputs["fraction"].value == 0.6
    assert spec.steps["train"].inputs["dataset"].step == "prep.split"
    # and back: the job clones into one node for the pipeline component
    clone = spec_to_graph(spec)
    assert {node["id"] for node in clone["nodes"] if node["type"] == "component"} == {"prep", "train"}
    assert ("prep", "train", "train", "dataset") in wires(clone)


def test_a_groups_input_set_by_a_pipeline_input_clones_as_that_pipeline_parameter():
    spec = grouped_spec().model_dump()
    spec["inputs"] = {"share": {"kind": "literal", "value": 0.6}}
    spec["groups"]["prep"]["input_sources"] = {"fraction": "share"}

    graph = spec_to_graph(PipelineSpec.model_validate(spec))

    prep = next(node for node in graph["nodes"] if node["id"] == "prep")
    assert prep["data"]["pipeline_inputs"] == {"fraction": "share"}
    assert "fraction" not in prep["data"]["inputs"]
    assert graph["inputs"]["share"] == {"type": "number", "value": 0.6}
