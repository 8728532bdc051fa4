"""A step whose outputs are registered as assets or written to a datastore path always runs:
those are the run's own doings for its job, which a reused step would skip (issue #13, corpus)."""

from __future__ import annotations

import textwrap

import pytest

from pipelines.compiler import compile_pipeline
from runner.reuse import why_not_reusable
from studio.schemas.loading import load_document

PIPELINE = """
type: pipeline
jobs:
  plain:
    command: echo hi > ${{outputs.out}}/a.txt
    environment: azureml:python-3.11@latest
    outputs:
      out: {type: uri_folder}
  named:
    command: echo hi > ${{outputs.out}}/a.txt
    environment: azureml:python-3.11@latest
    outputs:
      out: {type: uri_folder, name: reuse-named-output, version: "1"}
  written:
    command: echo hi > ${{outputs.out}}/a.txt
    environment: azureml:python-3.11@latest
    outputs:
      out: {type: uri_folder, path: "azureml://datastores/workspaceblobstore/paths/x/${{name}}/"}
"""


@pytest.mark.django_db
@pytest.mark.usefixtures("library", "computes")
def test_a_step_registering_or_writing_its_output_is_not_reused(tmp_path):
    document, index = load_document(textwrap.dedent(PIPELINE), filename="pipeline.yml")
    spec = compile_pipeline(document, index=index, filename="pipeline.yml", base_dir=tmp_path)

    assert why_not_reusable(spec.steps["plain"], job_force_rerun=False) is None
    for name in ("named", "written"):
        reason = why_not_reusable(spec.steps[name], job_force_rerun=False)
        assert reason is not None and "output out is registered or written" in reason, name
