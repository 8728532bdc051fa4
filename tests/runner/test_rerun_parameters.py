"""Resubmit with changed parameters (issue 15, point 7): `POST /api/v1/jobs/<name>/rerun/` with
`{"parameters": {...}}` reruns the frozen spec with the new values where those parameters feed;
a wrong name or value is a 400 naming the field. No worker runs here: jobs stay Queued (the
browser test runs one on Docker: tests/e2e/test_run_management.py)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from runner.models import PipelineJob
from runner.rerun_parameters import rerun_parameters
from tests.endpoints.pipelines import SPLIT_PIPELINE

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(api, library, computes) -> PipelineJob:
    upload = SimpleUploadedFile("split.yml", SPLIT_PIPELINE.encode(), content_type="application/yaml")
    response = api.post("/api/v1/jobs/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    return PipelineJob.objects.get(name=response.json()["name"])


def test_the_parameters_a_rerun_may_change_are_the_literal_inputs(job):
    found = {p["name"]: p for p in rerun_parameters(job.spec)}

    assert sorted(found) == ["fraction", "label", "seed"]  # `raw` is data
    assert (found["fraction"]["type"], found["fraction"]["value"]) == ("number", 0.7)
    assert (found["seed"]["type"], found["seed"]["value"]) == ("integer", 7)
    assert found["label"]["type"] == "string"


def test_a_rerun_with_a_changed_parameter_feeds_it_to_its_steps(api, job):
    response = api.post(
        f"/api/v1/jobs/{job.name}/rerun/", {"parameters": {"fraction": "0.5", "seed": 3}}, format="json"
    )

    assert response.status_code == 201, response.content
    again = PipelineJob.objects.get(name=response.json()["name"])
    assert again.rerun_of == job and again.source == "rerun"
    assert again.spec["inputs"]["fraction"]["value"] == 0.5
    assert again.spec["steps"]["split"]["inputs"]["fraction"] == {"kind": "literal", "value": 0.5}
    assert again.spec["steps"]["split"]["inputs"]["seed"]["value"] == 3
    assert job.spec["steps"]["split"]["inputs"]["fraction"]["value"] == 0.7  # the old job is as it was


def test_a_rerun_without_parameters_is_the_same_spec(api, job):
    response = api.post(f"/api/v1/jobs/{job.name}/rerun/")

    assert response.status_code == 201
    assert PipelineJob.objects.get(name=response.json()["name"]).spec["inputs"] == job.spec["inputs"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"fraction": "lots"}, "parameters.fraction", "expects a number"),
        ({"seed": 1.5}, "parameters.seed", "whole number"),
        ({"raw": "azureml:iris:1"}, "parameters.raw", "not a parameter of this job"),
        ({"nope": 1}, "parameters.nope", "parameters: fraction, label, seed"),
    ],
)
def test_a_wrong_parameter_is_a_400_naming_it(api, job, changes, field, words):
    before = PipelineJob.objects.count()

    response = api.post(f"/api/v1/jobs/{job.name}/rerun/", {"parameters": changes}, format="json")

    assert response.status_code == 400, response.content
    assert words in response.json()["errors"][field][0]
    assert PipelineJob.objects.count() == before


def test_parameters_not_an_object_is_a_400(api, job):
    response = api.post(f"/api/v1/jobs/{job.name}/rerun/", {"parameters": [1, 2]}, format="json")

    assert response.status_code == 400
    assert "parameters" in response.json()["errors"]
