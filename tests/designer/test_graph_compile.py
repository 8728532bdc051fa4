"""The designer graph: its shape, its pipeline YAML document, compiling it and where problems land."""

from __future__ import annotations

import pytest

from pipelines.graph.compiling import compile_graph
from pipelines.graph.layout import layout
from pipelines.graph.problems import GraphError
from pipelines.graph.shape import GraphShapeError, validate_graph
from pipelines.graph.to_document import graph_to_document
from pipelines.spec import DataBinding, LiteralBinding, StepOutputBinding
from studio.models import DataAsset
from tests.designer.graphs import component, data_node, edge, iris_graph


def problems_of(graph: dict) -> list[dict]:
    with pytest.raises(GraphError) as caught:
        compile_graph(graph)
    return [problem.as_dict() for problem in caught.value.problems]


# --- shape ---------------------------------------------------------------------------------------


def test_the_shape_is_normalised_with_defaults_and_react_flow_extras_dropped():
    raw = {
        "nodes": [
            {**component("a", "import_csv:1"), "selected": True, "measured": {"width": 200, "height": 80}},
            data_node("d", "iris:1"),
        ],
        "edges": [{**edge("d", "data", "a", "source_file"), "animated": True}],
        "viewport": {"x": 0, "y": 0, "zoom": 1},
    }

    graph = validate_graph(raw)

    assert graph["nodes"][0] == {
        "id": "a",
        "type": "component",
        "position": {"x": 0, "y": 0},
        "data": {
            "component": "import_csv:1",
            "display_name": "",
            "inputs": {},
            "pipeline_inputs": {},
            "compute": None,
            "limits": {"timeout": None},
            "retry_settings": {"max_retries": 0, "retry_on_failure": False},
            "force_rerun": False,
        },
    }
    assert "animated" not in graph["edges"][0]
    assert graph["settings"] == {
        "default_compute": None,
        "continue_on_step_failure": False,
        "force_rerun": False,
        "experiment_name": "Default",
    }
    assert graph["inputs"] == {} and graph["outputs"] == {}
    assert graph["viewport"] == {"x": 0, "y": 0, "zoom": 1}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda g: g["nodes"][1].pop("position"), "nodes[1].position"),
        (lambda g: g["nodes"][1]["data"].update(component=3), "nodes[1].data.component"),
        (lambda g: g["nodes"][1]["data"].update(max_retry=3), "nodes[1].data.max_retry"),
        (lambda g: g["nodes"][2]["data"]["inputs"].update(seed=[1, 2]), "nodes[2].data.inputs.seed"),
        (lambda g: g["nodes"][3]["data"].update(limits={"timeout": "1h"}), "nodes[3].data.limits.timeout"),
        (lambda g: g["nodes"][0].update(type="widget"), "nodes[0].type"),
        (lambda g: g["edges"][0].pop("target"), "edges[0].target"),
        (lambda g: g["settings"].update(force_rerun="yes"), "settings.force_rerun"),
        (lambda g: g["inputs"]["label"].update(type="text"), "inputs.label.type"),
        (lambda g: g["nodes"][2].update(id="load-1"), "nodes[2].id"),
        (lambda g: g["nodes"][1]["position"].update(x="left"), "nodes[1].position.x"),
        (lambda g: g.update(viewport={"x": 0, "y": 0}), "viewport.zoom"),
        (lambda g: g.update(viewport={"x": "left", "y": 0, "zoom": 1}), "viewport.x"),
        (lambda g: g.update(viewport={"x": 0, "y": 0, "zoom": 0}), "viewport.zoom"),
        (lambda g: g.update(viewport={"x": 0, "y": 0, "zoom": 1, "width": 800}), "viewport.width"),
    ],
)
def test_a_badly_shaped_graph_names_the_path(change, path):
    graph = iris_graph()
    change(graph)

    with pytest.raises(GraphShapeError) as caught:
        validate_graph(graph)

    assert path in caught.value.errors, caught.value.errors


def test_a_graph_without_a_viewport_has_none():
    assert "viewport" not in validate_graph({})
    assert "viewport" not in validate_graph({"viewport": None})


def test_an_unknown_component_is_not_a_shape_error():
    graph = validate_graph({"nodes": [component("a", "no_such_component:9")]})
    assert graph["nodes"][0]["data"]["component"] == "no_such_component:9"


# --- document ------------------------------------------------------------------------------------


class FakeCatalog:
    def data_type(self, reference):
        return "uri_file"

    def output_type(self, reference, port):
        return "uri_folder"

    def job_type(self, reference):
        return "command"


def test_the_document_binds_edges_data_promoted_inputs_and_outputs():
    document, node_of_job = graph_to_document(
        validate_graph(iris_graph()), name="Iris", description="d", catalog=FakeCatalog()
    )

    assert node_of_job == {"load_1": "load-1", "split_1": "split-1", "train_1": "train-1"}
    assert document["display_name"] == "Iris"
    assert document["experiment_name"] == "iris"
    assert document["settings"] == {
        "default_compute": "azureml:local",
        "continue_on_step_failure": True,
        "force_rerun": False,
    }
    assert document["inputs"] == {
        "label": "species",
        "iris_data": {"type": "uri_file", "path": "azureml:iris:1"},
    }
    assert document["outputs"] == {"trained": {"type": "uri_folder"}}
    jobs = document["jobs"]
    assert jobs["load_1"] == {
        "type": "command",
        "component": "azureml:import_csv:1",
        "display_name": "Load iris",
        "inputs": {"source_file": "${{parent.inputs.iris_data}}"},
    }
    assert jobs["split_1"]["inputs"] == {
        "fraction": 0.8,
        "seed": 7,
        "dataset": "${{parent.jobs.load_1.outputs.dataset}}",
    }
    assert jobs["train_1"] == {
        "type": "command",
        "component": "azureml:train_model:1",
        "compute": "azureml:docker",
        "inputs": {
            "algorithm": "random_forest",
            "n_estimators": 20,
            "label_column": "${{parent.inputs.label}}",
            "dataset": "${{parent.jobs.split_1.outputs.first_dataset}}",
        },
        "outputs": {"model": "${{parent.outputs.trained}}"},
        "limits": {"timeout": 3600},
        "retry_settings": {"max_retries": 2, "retry_on_failure": True},
        "force_rerun": True,
    }


def test_job_names_are_sanitised_and_unique():
    graph = validate_graph(
        {"nodes": [component("a-b", "x:1"), component("a_b", "x:1"), component("1st", "x:1")]}
    )
    _, node_of_job = graph_to_document(graph, catalog=FakeCatalog())
    assert node_of_job == {"a_b": "a-b", "a_b_2": "a_b", "n_1st": "1st"}


def test_a_typed_input_whose_value_does_not_show_its_type_keeps_it():
    graph = validate_graph(
        {
            "nodes": [component("a", "x:1")],
            "inputs": {"rate": {"type": "number", "value": 1}, "empty": {"type": "integer", "value": None}},
        }
    )
    document, _ = graph_to_document(graph, catalog=FakeCatalog())
    assert document["inputs"] == {
        "rate": {"type": "number", "value": 1},
        "empty": {"type": "integer", "value": None},
    }


# --- compiling -----------------------------------------------------------------------------------


def test_a_graph_compiles_to_the_spec(library):
    spec = compile_graph(iris_graph(), name="Iris")

    iris = DataAsset.objects.get(name="iris", version="1")
    assert list(spec.steps) == ["load_1", "split_1", "train_1"]
    assert spec.display_name == "Iris" and spec.experiment_name == "iris"
    assert spec.settings.continue_on_step_failure is True
    load, split, train = spec.steps.values()
    assert load.display_name == "Load iris" and load.compute == "local"
    assert load.inputs["source_file"] == DataBinding(
        type="uri_file", asset="iris:1", snapshot=iris.snapshot_digest
    )
    assert split.inputs["dataset"] == StepOutputBinding(step="load_1", output="dataset")
    assert split.inputs["fraction"] == LiteralBinding(value=0.8)
    assert train.inputs["label_column"] == LiteralBinding(value="species")
    assert train.compute == "docker"
    assert train.limits.timeout == 3600 and train.force_rerun is True
    assert (train.retry_settings.max_retries, train.retry_settings.retry_on_failure) == (2, True)
    assert train.component.name == "train_model" and train.component.version == "1"
    assert spec.outputs["trained"].step == "train_1" and spec.outputs["trained"].output == "model"


def test_a_missing_required_input_is_reported_on_its_node_and_port(library):
    graph = iris_graph()
    graph["edges"] = [e for e in graph["edges"] if e["target"] != "split-1"]

    problems = problems_of(graph)

    assert [(p["node"], p["port"]) for p in problems] == [("split-1", "dataset")]
    assert problems[0]["field"] == "nodes.split-1.inputs.dataset"
    assert "required input of split_data is not bound" in problems[0]["message"]
    assert problems[0]["line"] is None


def test_a_cycle_is_reported_on_a_node_of_it(library):
    graph = iris_graph()
    graph["edges"].append(edge("split-1", "second_dataset", "load-1", "source_file"))
    graph["edges"] = [e for e in graph["edges"] if e["source"] != "iris-data"]

    problems = problems_of(graph)

    cycle = [p for p in problems if "cycle" in p["message"]]
    assert len(cycle) == 1
    assert cycle[0]["node"] in {"load-1", "split-1"}


def test_reference_problems_land_on_the_node_that_has_them(library):
    graph = iris_graph()
    graph["nodes"][0]["data"]["asset"] = "nowhere:1"
    graph["nodes"][2]["data"]["component"] = "no_such_component:1"
    graph["nodes"][3]["data"]["compute"] = "moon"
    graph["nodes"][3]["data"]["inputs"]["n_estimators"] = 0
    graph["nodes"][3]["data"]["inputs"]["colour"] = "red"

    located = {(p["node"], p["port"], p["field"]) for p in problems_of(graph)}

    assert ("iris-data", None, "nodes.iris-data.asset") in located
    assert ("split-1", None, "nodes.split-1.component") in located
    assert ("train-1", None, "nodes.train-1.compute") in located
    assert ("train-1", "n_estimators", "nodes.train-1.inputs.n_estimators") in located
    assert ("train-1", "colour", "nodes.train-1.inputs.colour") in located


def test_graph_problems_dangling_edges_double_connections_and_bad_outputs(library):
    graph = iris_graph()
    graph["edges"].append(edge("gone", "dataset", "train-1", "model"))
    graph["edges"].append(edge("load-1", "dataset", "train-1", "dataset"))
    graph["edges"].append(edge("load-1", "dataset", "note", "text"))
    graph["outputs"]["lost"] = {"node": "nobody", "port": "x"}
    graph["inputs"]["label"]["value"] = 3
    graph["nodes"][3]["data"]["retry_settings"]["max_retries"] = 50
    graph["nodes"][3]["data"]["limits"]["timeout"] = 0

    problems = problems_of(graph)
    by_field = {p["field"]: p for p in problems}

    assert "not on the canvas" in by_field["edges.gone-dataset-train-1-model"]["message"]
    assert by_field["edges.gone-dataset-train-1-model"]["node"] == "train-1"
    assert "more than one incoming connection" in by_field["nodes.train-1.inputs.dataset"]["message"]
    assert by_field["nodes.train-1.inputs.dataset"]["port"] == "dataset"
    assert "edges.load-1-dataset-note-text" in by_field
    assert "not on the canvas" in by_field["outputs.lost"]["message"]
    assert "string input" in by_field["inputs.label"]["message"]
    # the job's fields have the node's names: no renaming on the way back
    assert by_field["nodes.train-1.retry_settings.max_retries"]["node"] == "train-1"
    assert "from 0 to 10" in by_field["nodes.train-1.retry_settings.max_retries"]["message"]
    assert "whole number of seconds" in by_field["nodes.train-1.limits.timeout"]["message"]


def test_an_empty_canvas_says_so(library):
    problems = problems_of({"nodes": []})
    assert [(p["field"], p["node"]) for p in problems] == [("nodes", None)]
    assert "no components" in problems[0]["message"]


# --- layout --------------------------------------------------------------------------------------


def test_layout_places_nodes_by_depth_and_order():
    graph = layout(validate_graph(iris_graph()))
    positions = {node["id"]: node["position"] for node in graph["nodes"]}

    assert positions["iris-data"] == {"x": 0, "y": 0}
    assert positions["load-1"] == {"x": 0, "y": 200}
    assert positions["split-1"] == {"x": 0, "y": 400}
    assert positions["train-1"] == {"x": 0, "y": 600}
    assert positions["note"] == {"x": 280, "y": 0}


def test_layout_survives_a_cycle():
    graph = {
        "nodes": [component("a", "x:1"), component("b", "x:1")],
        "edges": [edge("a", "o", "b", "i"), edge("b", "o", "a", "i")],
    }
    placed = layout(graph)
    assert {node["id"]: node["position"]["y"] for node in placed["nodes"]} == {"a": 0, "b": 200}
