"""A pipeline component file's fields that Azure ML accepts and that have no effect here are
registered with a warning naming the file, line and field, as a command component's are
(issue #13 point 7); a field Studio does not know is refused at its line.

`properties` and `auto_delete_setting` are warned and not kept (a component differing only in them
is the same version); `id` (written by the service) and `queue_settings` (a job's field) are
refused. The registry returns the warnings on `registration_warnings`, the REST create answer on
`warnings`.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

API = "/api/v1"

PLAIN = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json
type: pipeline
name: say_hi
version: "1"
jobs:
  hi:
    command: echo hi
    environment: {image: studio/python:3.11-bookworm}
"""

TOLERANT = (
    PLAIN
    + """\
properties:
  owner: data-team
auto_delete_setting:
  condition: created_greater_than
  value: 30d
"""
)


def _write(tmp_path, text: str, name: str = "pipeline-component.yml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_properties_and_auto_delete_setting_are_warned_at_their_lines_and_not_kept(library, tmp_path):
    from studio.registry import register_file

    path = _write(tmp_path, TOLERANT)

    component, created = register_file(path)

    assert created
    assert [(w.file, w.field, w.line) for w in component.registration_warnings] == [
        (str(path), "properties", 9),
        (str(path), "auto_delete_setting", 11),
    ]
    assert component.registration_warnings[0].message == "properties are not kept"
    assert "auto-delete settings have no effect here" in component.registration_warnings[1].message
    assert "properties" not in component.spec
    assert "auto_delete_setting" not in component.spec


def test_a_pipeline_component_differing_only_in_tolerated_fields_is_the_same_version(library, tmp_path):
    from studio.registry import register_file

    first, _ = register_file(_write(tmp_path, TOLERANT, "tolerant.yml"))

    second, created = register_file(_write(tmp_path, PLAIN, "plain.yml"))

    assert not created
    assert second.pk == first.pk
    assert second.registration_warnings == []


def test_a_tolerated_field_inside_a_job_is_warned_under_that_job(library, tmp_path):
    from studio.registry import register_file

    path = _write(tmp_path, PLAIN + "    queue_settings: {job_tier: spot}\n")

    component, _ = register_file(path)

    assert [(w.field, w.line) for w in component.registration_warnings] == [("jobs.hi.queue_settings", 9)]
    assert "queue settings have no effect here" in component.registration_warnings[0].message


def test_is_deterministic_false_is_kept_and_warned_as_having_no_effect(library, tmp_path):
    from studio.registry import register_file

    path = _write(tmp_path, PLAIN + "is_deterministic: false\n")

    component, _ = register_file(path)

    assert [(w.field, w.line) for w in component.registration_warnings] == [("is_deterministic", 9)]
    assert "each step is reused or not by its own component's" in component.registration_warnings[0].message
    assert component.spec["is_deterministic"] is False
    plain, _ = register_file(_write(tmp_path, PLAIN.replace('"1"', '"2"'), "deterministic.yml"))
    assert plain.registration_warnings == []


@pytest.mark.parametrize(
    ("extra", "field", "line"),
    [
        ("id: azureml:say_hi:1\n", "id", 9),
        ("queue_settings: {job_tier: spot}\n", "queue_settings", 9),
        ("auto_delete_setting: soon\n", "auto_delete_setting", 9),
        ("properties: [a, b]\n", "properties", 9),
        ("outputs:\n  out: {type: uri_folder, mode: direct}\n", "outputs.out.mode", 10),
        ("inputs:\n  text: {type: string}\n  Text: {type: string}\n", "inputs.Text", 11),
    ],
)
def test_an_unknown_or_misshapen_field_is_refused_at_its_line(library, tmp_path, extra, field, line):
    from studio.models import Component
    from studio.registry import register_file
    from studio.schemas.loading import DefinitionError

    path = _write(tmp_path, PLAIN + extra)

    with pytest.raises(DefinitionError) as refused:
        register_file(path)

    assert [(p.file, p.field, p.line) for p in refused.value.problems] == [(str(path), field, line)]
    assert not Component.objects.filter(name="say_hi").exists()


def test_the_api_returns_a_pipeline_components_warnings_with_file_field_and_line(library, api):
    def upload():
        return SimpleUploadedFile(
            "pipeline-component.yml", TOLERANT.encode(), content_type="application/yaml"
        )

    created = api.post(f"{API}/components/", {"file": upload()}, format="multipart")

    assert created.status_code == 201, created.content
    assert [(w["file"], w["field"], w["line"]) for w in created.json()["warnings"]] == [
        ("pipeline-component.yml", "properties", 9),
        ("pipeline-component.yml", "auto_delete_setting", 11),
    ]
    again = api.post(f"{API}/components/", {"file": upload()}, format="multipart")
    assert again.status_code == 200, again.content
    assert len(again.json()["warnings"]) == 2
