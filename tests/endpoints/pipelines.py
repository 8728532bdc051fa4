"""Pipelines the endpoint tests publish."""

from __future__ import annotations

# A parameter of every kind: data, boolean, enum, optional without a default, required.
EVERY_KIND = """\
type: pipeline
display_name: Every kind
settings:
  default_compute: azureml:docker
inputs:
  raw:
    type: uri_file
    path: azureml:iris:1
  header: true
  algorithm: random_forest
  iterations:
    type: integer
    optional: true
  trees:
    type: integer
    description: How many trees
  label: species
jobs:
  load:
    component: azureml:import_csv:1
    inputs:
      source_file: ${{parent.inputs.raw}}
      has_header: ${{parent.inputs.header}}
  split:
    component: azureml:split_data:1
    inputs:
      dataset: ${{parent.jobs.load.outputs.dataset}}
  train:
    component: azureml:train_model:1
    inputs:
      dataset: ${{parent.jobs.split.outputs.first_dataset}}
      label_column: ${{parent.inputs.label}}
      algorithm: ${{parent.inputs.algorithm}}
      max_iterations: ${{parent.inputs.iterations}}
      n_estimators: ${{parent.inputs.trees}}
"""
