"""Output definitions are checked where they are written: a pipeline's `outputs:` and a step's
(their fields, type and mode, and a declared type the component cannot write)."""

from __future__ import annotations

import pytest

from pipelines.compiler import resolve_pipeline
from studio.schemas.loading import DefinitionError, load_document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("library", "computes")]

JOB = """\
type: pipeline
settings: {default_compute: azureml:local}
outputs:
  result: {type: uri_file, mode: sideways, colour: red}
  kept: {type: uri_folder}
  wrong: {type: uri_file}
jobs:
  write:
    component:
      command: echo hi > ${{outputs.out}}/hi.txt
      environment: {image: studio/python:3.11-bookworm}
      outputs:
        out: {type: uri_folder}
        other: {type: uri_folder}
        third: {type: uri_folder}
    outputs:
      out: {type: uri_file}
      other: ${{parent.outputs.kept}}
      third: ${{parent.outputs.wrong}}
"""


def test_output_fields_modes_and_types_are_checked_at_their_lines():
    document, index = load_document(JOB, filename="job.yml")

    with pytest.raises(DefinitionError) as raised:
        resolve_pipeline(document, index=index, filename="job.yml")

    found = {(p.field, p.line): p.message for p in raised.value.problems}
    assert "is not a field of an output" in found[("outputs.result.colour", 4)]
    assert "output mode 'sideways'" in found[("outputs.result.mode", 4)]
    assert "cannot be declared uri_file" in found[("jobs.write.outputs.out.type", 17)]
    assert "write.third writes a uri_folder" in found[("outputs.wrong.type", 6)]
    assert not any(field.startswith("outputs.kept") for field, _ in found), found
