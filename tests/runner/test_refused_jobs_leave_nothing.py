"""Compiling is two phases: resolving writes nothing; a job refused after its document was checked
leaves no component or environment behind (issue #12)."""

from __future__ import annotations

import textwrap

import pytest

from endpoints.actions import EndpointError, publish_document
from pipelines.compiler import resolve_pipeline
from runner.models import PipelineJob
from studio.models import Component, Environment
from studio.schemas.loading import DefinitionError, load_document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("library", "computes")]

# One step whose component is defined inline, with an inline environment: compiling it registers
# both (Azure's anonymous component and environment).
INLINE = textwrap.dedent(
    """
    type: pipeline
    settings: {default_compute: azureml:local}
    jobs:
      hello:
        component:
          command: echo ${{inputs.greeting}} > ${{outputs.out}}/greeting.txt
          environment:
            image: studio/python:3.11-bookworm
            conda_file:
              dependencies: [python=3.11, {pip: [tqdm==4.66.4]}]
          inputs:
            greeting: {type: string, default: hello}
          outputs:
            out: {type: uri_folder}
        inputs:
          greeting: hi
      again:
        component:
          command: echo ${{inputs.greeting}} > ${{outputs.out}}/greeting.txt
          environment:
            image: studio/python:3.11-bookworm
            conda_file:
              dependencies: [python=3.11, {pip: [tqdm==4.66.4]}]
          inputs:
            greeting: {type: string, default: hello}
          outputs:
            out: {type: uri_folder}
    """
)


def counts() -> tuple[int, int]:
    return Component.objects.count(), Environment.objects.count()


def test_resolving_writes_nothing_and_materializing_writes_each_definition_once():
    before = counts()
    document, index = load_document(INLINE, filename="pipeline.yml")
    resolution = resolve_pipeline(document, index=index, filename="pipeline.yml")
    assert counts() == before
    # the two steps define the same component: one planned environment, one planned component
    assert [line.split()[0] for line in resolution.plan.describe()] == ["environment", "component"]

    spec = resolution.materialize()
    assert counts() == (before[0] + 1, before[1] + 1)
    pins = {spec.steps[name].component.id for name in ("hello", "again")}
    component = Component.objects.get(pk=pins.pop())
    assert not pins  # both steps pin the one row written
    assert spec.steps["hello"].component.content_hash == component.content_hash
    assert spec.steps["hello"].component.environment_id == component.environment_id

    # the same document again: everything exists, nothing is planned or written
    again = resolve_pipeline(document, index=index, filename="pipeline.yml")
    assert again.plan.describe() == []
    assert again.materialize().steps["hello"].component.id == component.pk
    assert counts() == (before[0] + 1, before[1] + 1)


def test_a_job_refused_for_its_taken_name_registers_nothing(api, user):
    taken = api.post("/api/v1/jobs/?name=taken", _inline_document(), format="json")
    assert taken.status_code == 201, taken.json()
    before = counts()
    changed = _inline_document(greeting="a different component")
    refused = api.post("/api/v1/jobs/?name=taken", changed, format="json")
    assert refused.status_code == 409
    assert refused.json()["detail"] == "a job named 'taken' exists already"
    assert counts() == before
    assert PipelineJob.objects.filter(name="taken").count() == 1

    accepted = api.post("/api/v1/jobs/?name=other", changed, format="json")
    assert accepted.status_code == 201
    assert counts() == (before[0] + 1, before[1])  # the environment was there already


def test_publishing_under_a_bad_name_registers_nothing(user):
    before = counts()
    document, index = load_document(INLINE, filename="pipeline.yml")
    with pytest.raises(EndpointError, match="endpoint name"):
        publish_document(document, filename="pipeline.yml", index=index, name="Not A Name", user=user)
    assert counts() == before

    version = publish_document(document, filename="pipeline.yml", index=index, name="greeter", user=user)
    assert version.number == 1
    assert counts() == (before[0] + 1, before[1] + 1)


def test_a_version_taken_by_other_content_is_a_problem_before_anything_is_written(tmp_path):
    component = tmp_path / "shout.yml"
    component.write_text(
        textwrap.dedent(
            """\
            type: command
            name: shout
            version: "1"
            environment: azureml:python-3.11@latest
            outputs:
              out: {type: uri_folder}
            command: echo HI > ${{outputs.out}}/x
            """
        )
    )
    pipeline = {"type": "pipeline", "jobs": {"a": {"component": "./shout.yml"}}}
    resolve_pipeline(
        pipeline, index=load_document("{}", filename="p.yml")[1], filename="p.yml", base_dir=tmp_path
    ).materialize()
    component.write_text(component.read_text().replace("echo HI", "echo HO"))
    pipeline["jobs"]["b"] = {"component": "./inline-too.yml"}
    (tmp_path / "inline-too.yml").write_text(component.read_text().replace("name: shout", "name: other"))
    before = counts()
    with pytest.raises(DefinitionError) as caught:
        resolve_pipeline(
            pipeline, index=load_document("{}", filename="p.yml")[1], filename="p.yml", base_dir=tmp_path
        )
    assert any(
        "shout:1 is already registered with different content" in p.message for p in caught.value.problems
    )
    assert counts() == before  # `other` was valid, but nothing is written while a problem remains


def _inline_document(greeting: str = "hello") -> dict:
    document, _ = load_document(INLINE, filename="pipeline.yml")
    document["jobs"]["hello"]["component"]["inputs"]["greeting"]["default"] = greeting
    document["jobs"]["again"]["component"]["inputs"]["greeting"]["default"] = greeting
    return document
