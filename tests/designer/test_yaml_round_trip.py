"""Drafts as pipeline job YAML and back: export, import, and cloning a job's frozen spec."""

from __future__ import annotations

import json
import textwrap

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.models import PipelineDraft
from pipelines.compiler import compile_pipeline
from pipelines.graph.compiling import compile_graph
from pipelines.graph.from_document import document_to_graph
from pipelines.graph.from_spec import spec_to_graph
from pipelines.graph.layout import layout
from pipelines.graph.shape import validate_graph
from runner.actions import submit_pipeline
from studio.models import DataAsset
from studio.schemas.loading import load_document
from studio.storage.snapshotting import snapshot_file
from tests.designer.graphs import iris_graph

pytestmark = pytest.mark.usefixtures("library")

CHAIN = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: Iris training
experiment_name: iris
description: import, split, train
settings:
  default_compute: azureml:local
inputs:
  lr: 0.8
  trees:
    type: integer
    default: 50
  label: species
  raw:
    type: uri_file
    path: azureml:iris@latest
jobs:
  a:
    component: azureml:import_csv@latest
    inputs:
      source_file: ${{parent.inputs.raw}}
  b:
    component: azureml:split_data:1
    compute: azureml:docker
    inputs:
      dataset: ${{parent.jobs.a.outputs.dataset}}
      fraction: ${{parent.inputs.lr}}
      seed: 7
  c:
    component: azureml:train_model:1
    retry_settings: {max_retries: 1}
    limits: {timeout: 600}
    inputs:
      dataset: ${{ parent.jobs.b.outputs.first_dataset }}
      label_column: ${{parent.inputs.label}}
      n_estimators: ${{parent.inputs.trees}}
      algorithm: random_forest
    outputs:
      model: ${{parent.outputs.trained}}
"""


def canonical(graph: dict) -> dict:
    """What a graph means, without node ids, positions or comments."""
    label = {}
    for node in graph["nodes"]:
        if node["type"] == "component":
            label[node["id"]] = f"component {node['data']['display_name'] or node['data']['component']}"
        elif node["type"] == "data":
            label[node["id"]] = f"data {node['data']['asset']}"
    return {
        "nodes": sorted(
            (label[node["id"]], json.dumps(node["data"], sort_keys=True))
            for node in graph["nodes"]
            if node["id"] in label
        ),
        "edges": sorted(
            (label[e["source"]], e["sourceHandle"], label[e["target"]], e["targetHandle"])
            for e in graph["edges"]
        ),
        "settings": graph["settings"],
        "inputs": graph["inputs"],
        "outputs": {
            name: (label[target["node"]], target["port"]) for name, target in graph["outputs"].items()
        },
    }


def create(api, graph: dict, name: str = "Iris") -> dict:
    response = api.post(
        "/api/v1/drafts/", {"name": name, "description": "round trip", "graph": graph}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


# --- export --------------------------------------------------------------------------------------


def test_export_writes_azure_ml_pipeline_yaml_that_compiles_to_the_same_spec(api):
    draft = create(api, iris_graph())

    response = api.get(f"/api/v1/drafts/{draft['id']}/export/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert response["Content-Disposition"] == 'inline; filename="iris.yml"'
    text = response.content.decode()
    document = yaml.safe_load(text)
    assert document["type"] == "pipeline" and document["display_name"] == "Iris"
    assert document["settings"]["default_compute"] == "azureml:local"
    assert document["inputs"]["iris_data"] == {"type": "uri_file", "path": "azureml:iris:1"}
    assert document["inputs"]["label"] == "species"
    assert document["outputs"] == {"trained": {"type": "uri_folder"}}
    train = document["jobs"]["train_1"]
    assert train["component"] == "azureml:train_model:1"
    assert train["inputs"]["dataset"] == "${{parent.jobs.split_1.outputs.first_dataset}}"
    assert train["inputs"]["label_column"] == "${{parent.inputs.label}}"
    assert train["outputs"] == {"model": "${{parent.outputs.trained}}"}
    assert document["jobs"]["load_1"]["inputs"]["source_file"] == "${{parent.inputs.iris_data}}"

    parsed, index = load_document(text, filename="iris.yml")
    from_yaml = compile_pipeline(parsed, index=index, filename="iris.yml")
    from_graph = compile_graph(iris_graph(), name="Iris", description="round trip")
    assert from_yaml == from_graph


def test_export_answers_clients_that_ask_for_yaml(api):
    draft = create(api, iris_graph())
    response = api.get(f"/api/v1/drafts/{draft['id']}/export/", HTTP_ACCEPT="application/yaml")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["jobs"]


# --- import --------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["multipart", "json"])
def test_export_then_import_gives_an_equivalent_graph(api, how):
    graph = iris_graph()
    graph["nodes"] = [node for node in graph["nodes"] if node["type"] != "comment"]  # comments have no YAML
    draft = create(api, graph)
    text = api.get(f"/api/v1/drafts/{draft['id']}/export/").content

    if how == "multipart":
        upload = SimpleUploadedFile("iris.yml", text, content_type="application/yaml")
        response = api.post("/api/v1/drafts/import/", {"file": upload}, format="multipart")
    else:
        response = api.post("/api/v1/drafts/import/", {"yaml": text.decode(), "name": "Again"}, format="json")

    assert response.status_code == 201, response.json()
    imported = response.json()
    assert imported["name"] == ("Iris" if how == "multipart" else "Again")
    assert imported["description"] == "round trip"
    assert imported["revision"] == 1
    assert canonical(imported["graph"]) == canonical(validate_graph(graph))
    assert api.post(f"/api/v1/drafts/{imported['id']}/validate/").json() == {"valid": True, "problems": []}


def test_import_pins_versions_and_lays_the_graph_out_left_to_right(api):
    response = api.post("/api/v1/drafts/import/", {"yaml": CHAIN}, format="json")

    assert response.status_code == 201, response.json()
    draft = response.json()
    graph = draft["graph"]
    assert draft["name"] == "Iris training"
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert nodes["raw"]["type"] == "data" and nodes["raw"]["data"] == {"asset": "iris:1"}
    assert nodes["a"]["data"]["component"] == "import_csv:1"
    assert nodes["b"]["data"]["compute"] == "docker" and nodes["a"]["data"]["compute"] is None
    assert nodes["b"]["data"]["inputs"] == {"seed": 7}
    assert nodes["b"]["data"]["pipeline_inputs"] == {"fraction": "lr"}
    assert nodes["c"]["data"]["retry_settings"]["max_retries"] == 1
    assert nodes["c"]["data"]["limits"] == {"timeout": 600}
    assert graph["inputs"] == {
        "lr": {"type": "number", "value": 0.8},
        "trees": {"type": "integer", "value": 50},
        "label": {"type": "string", "value": "species"},
    }
    assert graph["outputs"] == {"trained": {"node": "c", "port": "model"}}
    assert graph["settings"] == {
        "default_compute": "local",
        "continue_on_step_failure": False,
        "force_rerun": False,
        "experiment_name": "iris",
    }
    assert {(e["source"], e["target"], e["targetHandle"]) for e in graph["edges"]} == {
        ("raw", "a", "source_file"),
        ("a", "b", "dataset"),
        ("b", "c", "dataset"),
    }
    assert {node_id: node["position"] for node_id, node in nodes.items()} == {
        "raw": {"x": 0, "y": 0},
        "a": {"x": 0, "y": 200},
        "b": {"x": 0, "y": 400},
        "c": {"x": 0, "y": 600},
    }

    document, index = load_document(CHAIN, filename="chain.yml")
    original = compile_pipeline(document, index=index, filename="chain.yml")
    again = compile_graph(graph, name="Iris training", description="import, split, train")
    assert again.steps == original.steps


def test_a_step_level_data_input_becomes_a_connected_data_node():
    text = textwrap.dedent(
        """
        jobs:
          load:
            component: azureml:import_csv:1
            inputs:
              source_file: {type: uri_file, path: azureml:iris:1}
        """
    )
    document, index = load_document(text, filename="p.yml")
    spec = compile_pipeline(document, index=index, filename="p.yml")

    graph = layout(document_to_graph(document, spec=spec))

    assert [(n["id"], n["type"], n["data"].get("asset")) for n in graph["nodes"]] == [
        ("load_source_file", "data", "iris:1"),
        ("load", "component", None),
    ]
    assert graph["edges"][0]["source"] == "load_source_file" and graph["edges"][0]["sourceHandle"] == "data"
    again = compile_graph(graph)
    # Same steps; on the canvas the data node is a pipeline input the step now names as its source.
    assert {name: step.model_copy(update={"input_sources": {}}) for name, step in again.steps.items()} == (
        spec.steps
    )
    assert again.steps["load"].input_sources == {"source_file": "load_source_file"}


@pytest.mark.parametrize(
    ("yaml_text", "field", "words"),
    [
        (
            "jobs:\n  a:\n    component: ./train/component.yml\n",
            "jobs.a.component",
            "local component file",
        ),
        (
            "jobs:\n  a:\n    component: azureml:import_csv:1\n    inputs:\n      source_file:\n"
            "        type: uri_file\n        path: ./data/iris.csv\n",
            "jobs.a.inputs.source_file.path",
            "registered data assets",
        ),
        ("jobs:\n  a:\n    component: azureml:nothing_like_it:1\n", "jobs.a.component", "not registered"),
        ("jobs: [\n", "", "expected"),
    ],
)
def test_import_refuses_what_a_draft_cannot_hold_with_the_line(api, yaml_text, field, words):
    response = api.post("/api/v1/drafts/import/", {"yaml": yaml_text}, format="json")

    assert response.status_code == 400
    body = response.json()
    problem = body["problems"][0]
    assert problem["field"] == field and words in problem["message"], body
    assert problem["node"] is None and problem["line"] is not None
    assert PipelineDraft.objects.count() == 0


def test_import_needs_a_file_or_yaml(api):
    response = api.post("/api/v1/drafts/import/", {"name": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["is required"]}


# --- clone ---------------------------------------------------------------------------------------


def test_a_frozen_spec_becomes_a_graph_that_compiles_to_the_same_steps():
    document, index = load_document(CHAIN, filename="chain.yml")
    original = compile_pipeline(document, index=index, filename="chain.yml")

    graph = layout(spec_to_graph(original.model_dump(mode="json")))

    data = [node for node in graph["nodes"] if node["type"] == "data"]
    assert data == [{"id": "raw", "type": "data", "position": {"x": 0, "y": 0}, "data": {"asset": "iris:1"}}]
    train = next(node for node in graph["nodes"] if node["id"] == "c")
    assert train["data"]["inputs"] == {"algorithm": "random_forest"}
    # Inputs the pipeline bound to its own parameters stay pipeline parameters in the clone.
    assert train["data"]["pipeline_inputs"] == {"label_column": "label", "n_estimators": "trees"}
    assert graph["inputs"] == {
        "label": {"type": "string", "value": "species"},
        "trees": {"type": "integer", "value": 50},
        "lr": {"type": "number", "value": 0.8},
    }
    again = compile_graph(graph, name=original.display_name)
    assert again.steps == original.steps
    assert again.outputs == original.outputs


def test_data_without_an_asset_is_explained_by_a_comment(api, tmp_path):
    source = tmp_path / "upload.csv"
    source.write_text("a,b\n1,2\n")
    digest = snapshot_file(source).digest
    text = (
        "jobs:\n  load:\n    component: azureml:import_csv:1\n    inputs:\n      source_file:\n"
        f"        type: uri_file\n        path: studio://snapshots/{digest}\n"
    )
    document, index = load_document(text, filename="p.yml")
    job = submit_pipeline(compile_pipeline(document, index=index, filename="p.yml"))

    response = api.post(f"/api/v1/jobs/{job.name}/clone/")

    assert response.status_code == 201
    graph = response.json()["graph"]
    comments = [node for node in graph["nodes"] if node["type"] == "comment"]
    assert len(comments) == 1
    assert "source_file" in comments[0]["data"]["text"] and digest in comments[0]["data"]["text"]
    load = next(node for node in graph["nodes"] if node["id"] == "load")
    assert load["data"]["inputs"] == {} and graph["edges"] == []
    assert DataAsset.objects.filter(snapshot_digest=digest).count() == 0


def test_a_pipeline_parameter_keeps_its_description_through_export_import_and_clone(api):
    graph = iris_graph()
    graph["nodes"] = [node for node in graph["nodes"] if node["type"] != "comment"]
    name, declared = next(iter(graph["inputs"].items()))
    declared["description"] = "Share of rows used for training"
    draft = create(api, graph)
    assert draft["graph"]["inputs"][name]["description"] == "Share of rows used for training"

    text = api.get(f"/api/v1/drafts/{draft['id']}/export/").content
    exported = yaml.safe_load(text)["inputs"][name]
    assert exported["description"] == "Share of rows used for training"
    imported = api.post("/api/v1/drafts/import/", {"yaml": text.decode()}, format="json").json()
    assert imported["graph"]["inputs"][name] == draft["graph"]["inputs"][name]

    document, index = load_document(text, filename="iris.yml")
    spec = compile_pipeline(document, index=index, filename="iris.yml")
    assert spec.input_declarations[name].description == "Share of rows used for training"
    assert spec_to_graph(spec.model_dump(mode="json"))["inputs"][name]["description"] == (
        "Share of rows used for training"
    )


def test_a_description_too_long_is_refused_at_the_field(api):
    graph = iris_graph()
    name = next(iter(graph["inputs"]))
    graph["inputs"][name]["description"] = "x" * 2001
    response = api.post("/api/v1/drafts/", {"name": "Long", "graph": graph}, format="json")
    assert response.status_code == 400
    assert f"inputs.{name}.description" in json.dumps(response.json())
