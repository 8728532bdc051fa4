"""Pipeline components as the registry stores them (contract (a) of #13 point 6), made as rows
directly: `prep_pipeline:1` (import CSV, then split) inside `train_pipeline:1` (prep, then train).
Their steps are the built-in library's command components."""

from __future__ import annotations

from studio.models import Component

PREP = {
    "type": "pipeline",
    "name": "prep_pipeline",
    "version": "1",
    "display_name": "Prepare data",
    "description": "Import a CSV file and split it",
    "inputs": {
        "source": {"type": "uri_file", "description": "the CSV file"},
        "fraction": {"type": "number", "default": 0.7},
    },
    "outputs": {"train": {"type": "uri_folder"}, "test": {"type": "uri_folder"}},
    "jobs": {
        "load": {
            "type": "command",
            "component": "azureml:import_csv:1",
            "inputs": {"source_file": "${{parent.inputs.source}}"},
        },
        "split": {
            "type": "command",
            "component": "azureml:split_data:1",
            "inputs": {
                "dataset": "${{parent.jobs.load.outputs.dataset}}",
                "fraction": "${{parent.inputs.fraction}}",
                "seed": 7,
            },
            "outputs": {
                "first_dataset": "${{parent.outputs.train}}",
                "second_dataset": "${{parent.outputs.test}}",
            },
        },
    },
}

TRAIN = {
    "type": "pipeline",
    "name": "train_pipeline",
    "version": "1",
    "display_name": "Prepare and train",
    "description": "Prepare the data, then train a model",
    "inputs": {
        "source": {"type": "uri_file"},
        "label": {"type": "string", "default": "species"},
    },
    "outputs": {"model": {"type": "uri_folder"}, "test": {"type": "uri_folder"}},
    "jobs": {
        "prep": {
            "type": "pipeline",
            "component": "azureml:prep_pipeline:1",
            "inputs": {"source": "${{parent.inputs.source}}", "fraction": 0.8},
            "outputs": {"test": "${{parent.outputs.test}}"},
        },
        "train": {
            "type": "command",
            "component": "azureml:train_model:1",
            "inputs": {
                "dataset": "${{parent.jobs.prep.outputs.train}}",
                "label_column": "${{parent.inputs.label}}",
            },
            "outputs": {"model": "${{parent.outputs.model}}"},
        },
    },
}


def make_pipeline_components() -> dict[str, Component]:
    """`prep_pipeline:1` and `train_pipeline:1` as rows (no environment, as registered)."""
    made = {}
    for spec in (PREP, TRAIN):
        made[spec["name"]], _ = Component.objects.get_or_create(
            name=spec["name"],
            version=spec["version"],
            defaults={
                "display_name": spec["display_name"],
                "description": spec["description"],
                "spec": spec,
                "content_hash": f"test-{spec['name']}",
                "environment": None,
            },
        )
    return made
