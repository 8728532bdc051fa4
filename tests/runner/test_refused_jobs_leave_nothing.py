"""Compiling is two phases: resolving writes nothing; a job refused after its document was checked
leaves no component or environment behind (issue #12)."""

from __future__ import annotations

import textwrap

import pytest

from endpoints.actions import EndpointError, publish_document
from pipelines.compiler import resolve_pipeline
from runner.models import PipelineJob
from studio.models import Component, Environment
from studio.registry import register_file
from studio.schemas.loading import LineIndex, load_document

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


def test_local_component_files_sharing_a_name_and_version_never_touch_the_named_one(tmp_path):
    """Two pipelines whose local component files both say hello:1, with different content, both
    compile; each is the job's own anonymous component; the registered hello:1 stays as it was."""
    named = tmp_path / "named.yml"
    named.write_text(HELLO.format(text="the registered one"))
    registered, _ = register_file(named, kind="component")
    for folder, text in (("a", "from a"), ("b", "from b")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "hello.yml").write_text(HELLO.format(text=text))
    before = counts()
    pins = []
    for folder in ("a", "b"):
        pipeline = {"type": "pipeline", "jobs": {"say": {"component": f"./{folder}/hello.yml"}}}
        written = counts()
        resolution = resolve_pipeline(pipeline, index=LineIndex(), filename="p.yml", base_dir=tmp_path)
        assert counts() == written  # resolving writes nothing
        pins.append(resolution.materialize().steps["say"].component)
    assert counts()[0] == before[0] + 2
    assert pins[0].id != pins[1].id and {pin.name for pin in pins} == {"anonymous_component"}
    assert [Component.objects.get(pk=pin.id).display_name for pin in pins] == ["hello", "hello"]
    unchanged = Component.objects.get(name="hello", version="1")
    assert (unchanged.pk, unchanged.content_hash) == (registered.pk, registered.content_hash)
    assert Component.objects.filter(name="hello").count() == 1


HELLO = """\
type: command
name: hello
version: "1"
environment: azureml:python-3.11@latest
outputs:
  out: {{type: uri_folder}}
command: echo {text} > ${{{{outputs.out}}}}/said.txt
"""


def _inline_document(greeting: str = "hello") -> dict:
    document, _ = load_document(INLINE, filename="pipeline.yml")
    document["jobs"]["hello"]["component"]["inputs"]["greeting"]["default"] = greeting
    document["jobs"]["again"]["component"]["inputs"]["greeting"]["default"] = greeting
    return document
