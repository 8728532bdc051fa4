"""A job YAML's `name:` names the job, as in Azure ML (unique: a second submission is refused)."""

from __future__ import annotations

import pytest

from runner.models import PipelineJob

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("library", "computes")]

COMMAND_JOB = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
name: {name}
command: echo hello
environment:
  image: studio/python:3.11-bookworm
compute: azureml:local
"""


def submit(api, text: str, query: str = ""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("job.yml", text.encode(), content_type="application/yaml")
    return api.post(f"/api/v1/jobs/{query}", {"file": upload}, format="multipart")


def test_the_yaml_name_is_the_jobs_name_and_is_not_taken_twice(api):
    created = submit(api, COMMAND_JOB.format(name="hello-world-1"))

    assert created.status_code == 201, created.json()
    assert created.json()["name"] == "hello-world-1"
    again = submit(api, COMMAND_JOB.format(name="hello-world-1"))
    assert again.status_code == 409
    assert "change or remove `name:`" in again.json()["detail"]
    assert PipelineJob.objects.filter(name="hello-world-1").count() == 1
    # an explicit ?name= wins over the file's
    renamed = submit(api, COMMAND_JOB.format(name="hello-world-1"), "?name=another")
    assert renamed.status_code == 201 and renamed.json()["name"] == "another"


def test_a_yaml_name_that_cannot_name_a_job_is_refused_at_its_line(api):
    refused = submit(api, COMMAND_JOB.format(name="'no spaces please'"))

    assert refused.status_code == 400
    assert [(p["field"], p["line"]) for p in refused.json()["problems"]] == [("name", 2)]
