"""Designer graphs for tests: nodes, edges, and a whole iris pipeline as the canvas saves it."""

from __future__ import annotations


def component(node_id: str, ref: str, **data) -> dict:
    return {
        "id": node_id,
        "type": "component",
        "position": {"x": 0, "y": 0},
        "data": {"component": ref, **data},
    }


def data_node(node_id: str, asset: str) -> dict:
    return {"id": node_id, "type": "data", "position": {"x": 0, "y": 0}, "data": {"asset": asset}}


def edge(source: str, handle: str, target: str, port: str) -> dict:
    return {
        "id": f"{source}-{handle}-{target}-{port}",
        "source": source,
        "sourceHandle": handle,
        "target": target,
        "targetHandle": port,
    }


def iris_graph() -> dict:
    """iris data -> import CSV -> split -> train, with a promoted label and a pipeline output."""
    return {
        "nodes": [
            data_node("iris-data", "iris:1"),
            component("load-1", "import_csv:1", display_name="Load iris"),
            component("split-1", "split_data:1", inputs={"fraction": 0.8, "seed": 7}),
            component(
                "train-1",
                "train_model:1",
                inputs={"algorithm": "random_forest", "n_estimators": 20},
                pipeline_inputs={"label_column": "label"},
                compute="docker",
                retry_settings={"max_retries": 2, "retry_on_failure": True},
                limits={"timeout": 3600},
                force_rerun=True,
            ),
            {"id": "note", "type": "comment", "position": {"x": 5, "y": 5}, "data": {"text": "hello"}},
        ],
        "edges": [
            edge("iris-data", "data", "load-1", "source_file"),
            edge("load-1", "dataset", "split-1", "dataset"),
            edge("split-1", "first_dataset", "train-1", "dataset"),
        ],
        "settings": {
            "default_compute": "local",
            "continue_on_step_failure": True,
            "force_rerun": False,
            "experiment_name": "iris",
        },
        "inputs": {"label": {"type": "string", "value": "species"}},
        "outputs": {"trained": {"node": "train-1", "port": "model"}},
    }
