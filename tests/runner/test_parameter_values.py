"""A parameter's value is data on the real computes: nothing in it runs (issue #16).

One job per compute: its step writes a value made of every hostile piece (`$(…)`, backticks, `;`,
newlines, both quotes, backslashes) from every quoting context of its command into files, reads
a data input whose file name is hostile too, and fails if anything in them ran (`test ! -e pwned`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from runner.choices import JobStatus
from runner.logs import read_log
from studio.storage.job_artifacts import step_dir, step_output_path
from tests.runner.jobs import submit_file, wait_for
from tests.studio.test_command_template import EVERY_CONTEXT, HOSTILE, TOUCH, every_context_files

pytestmark = pytest.mark.django_db(transaction=True)

VALUE = "\n".join(HOSTILE) + TOUCH
DATA_NAME = "it's $(touch pwned) `id`.csv"


def write_job(folder: Path, compute: str) -> Path:
    """A pipeline of one step, `main`: the_value set by the job, maybe_value and number by defaults."""
    (folder / "data").mkdir()
    (folder / "data" / DATA_NAME).write_text("a,b\n1,2\n")
    component = {
        "type": "command",
        "name": "every_context",
        "command": 'cp ${{inputs.data}} "${{outputs.out}}/data.csv"\n' + EVERY_CONTEXT,
        "environment": "azureml:python-3.11@latest",
        "inputs": {
            "data": {"type": "uri_file"},
            "the_value": {"type": "string"},
            "maybe_value": {"type": "string", "optional": True, "default": VALUE},
            "unset_value": {"type": "string", "optional": True},
            "number": {"type": "number", "default": 0.5},
        },
        "outputs": {"out": {"type": "uri_folder"}},
    }
    pipeline = {
        "type": "pipeline",
        "settings": {"default_compute": f"azureml:{compute}"},
        "jobs": {
            "main": {
                "component": "./component.yml",
                "inputs": {
                    "data": {"type": "uri_file", "path": f"./data/{DATA_NAME}"},
                    "the_value": VALUE,
                },
            }
        },
    }
    (folder / "component.yml").write_text(yaml.safe_dump(component, sort_keys=False))
    path = folder / "pipeline.yml"
    path.write_text(yaml.safe_dump(pipeline, sort_keys=False))
    return path


@pytest.mark.parametrize("compute", ["local", pytest.param("docker", marks=pytest.mark.docker)])
def test_values_reach_the_step_verbatim_and_never_run(compute, computes, library, worker, tmp_path):
    job = wait_for(submit_file(write_job(tmp_path, compute)), timeout=240)

    assert job.status == JobStatus.COMPLETED, job.status_reason
    out = step_output_path(job.name, "main", "out", kind="uri_folder")
    written = {path.name: path.read_text() for path in out.iterdir()}
    assert written == {**every_context_files(VALUE), "data.csv": "a,b\n1,2\n"}
    assert not (step_dir(job.name, "main") / ".work" / "pwned").exists()
    notes = [line["line"] for line in read_log(job.name, "main")]
    assert any(line.startswith("[studio] command: cp ") for line in notes), notes
    ran = [line for line in notes if line.startswith("[studio] runs as: ")]
    assert ran and '"${STUDIO_INPUT_the_value}"' in ran[0] and "$(touch pwned)" not in "\n".join(ran)
