"""Pipelines the endpoint tests publish, and publishing them, making keys and calling with one."""

from __future__ import annotations

import textwrap

from rest_framework.test import APIClient

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


# Splits iris in two: `fraction` and `seed` are parameters (one bare literal, one declared), `label`
# feeds an optional port, `raw` is a data input.
SPLIT_PIPELINE = textwrap.dedent(
    """\
    type: pipeline
    display_name: Split iris
    settings:
      default_compute: azureml:docker
    inputs:
      raw:
        type: uri_file
        path: azureml:iris:1
      fraction: 0.7
      seed:
        type: integer
        default: 7
        description: Shuffle seed
      label: species
    jobs:
      load:
        component: azureml:import_csv:1
        inputs:
          source_file: ${{parent.inputs.raw}}
      split:
        component: azureml:split_data:1
        inputs:
          dataset: ${{parent.jobs.load.outputs.dataset}}
          fraction: ${{parent.inputs.fraction}}
          seed: ${{parent.inputs.seed}}
          stratify_column: ${{parent.inputs.label}}
    """
)


def publish(api, name="split-iris", *, yaml=SPLIT_PIPELINE, make_default=False, **extra) -> dict:
    body = {"name": name, "yaml": yaml, "make_default": make_default, **extra}
    response = api.post("/api/v1/endpoints/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def new_key(api, endpoint="split-iris", name="ci") -> str:
    response = api.post(f"/api/v1/endpoints/{endpoint}/keys/", {"name": name}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["key"]


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client
