"""Fixtures of the endpoint tests: a user, an API client, the built-in library and a pipeline."""

from __future__ import annotations

import textwrap

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from studio.choices import ComputeKind, ComputeState
from studio.models import Compute

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


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("ada", password="pw-for-tests-1")


@pytest.fixture
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def anonymous(db):
    return APIClient()


@pytest.fixture
def seeded(db, settings, tmp_path):
    """The built-in library and the two computes, without a worker (jobs stay Queued)."""
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    settings.STUDIO_COMPUTE_ALIASES = {}
    settings.STUDIO_DATA_ROOTS = []
    call_command("seed_library", verbosity=0)
    Compute.objects.create(name="local", kind=ComputeKind.LOCAL, state=ComputeState.ONLINE)
    Compute.objects.create(name="docker", kind=ComputeKind.DOCKER, state=ComputeState.ONLINE)


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
