"""Azure ML command jobs and steps written inline run as they are (issue #13, points 1, 2 and 7)."""

from __future__ import annotations

import textwrap

import pytest

from pipelines.compiler import resolve_pipeline
from runner.choices import JobStatus
from runner.logs import read_log
from studio.models import Component
from studio.schemas.loading import DefinitionError, LineIndex, load_document
from studio.storage.job_artifacts import step_output_path
from studio.storage.reading import read_snapshot_file
from tests.runner.jobs import PIPELINES, compile_file, submit_file, wait_for

FOLDER = PIPELINES / "command_jobs"
JOB = FOLDER / "job.yml"
INLINE = FOLDER / "inline.yml"


def resolve_text(text: str):
    document, index = load_document(textwrap.dedent(text), filename="job.yml")
    return resolve_pipeline(document, index=index, filename="job.yml", base_dir=FOLDER)


def problems_of(text: str) -> dict[str, tuple[str, int | None]]:
    with pytest.raises(DefinitionError) as caught:
        resolve_text(text)
    return {p.field: (p.message, p.line) for p in caught.value.problems}


@pytest.mark.django_db
@pytest.mark.usefixtures("library", "computes")
class TestCompiling:
    def test_a_command_job_is_a_job_of_one_inline_step(self):
        spec = compile_file(JOB)

        assert list(spec.steps) == ["main"]
        step = spec.steps["main"]
        assert (spec.display_name, spec.experiment_name, spec.tags) == (
            "Sum and scale",
            "command-jobs",
            {"team": "ml"},
        )
        assert step.compute == "docker" and step.limits.timeout == 600
        assert step.environment_variables == {"GREETING": "hello from the job", "DEBUG": "true"}
        ports = step.component.spec["inputs"]
        assert {name: port["type"] for name, port in ports.items()} == {
            "numbers": "uri_file",
            "factor": "number",
            "rounds": "integer",
        }
        assert step.inputs["rounds"].value == 3 and step.inputs["factor"].value == 2.5
        assert step.component.spec["outputs"] == {"scaled": {"type": "uri_folder"}}
        component = Component.objects.get(pk=step.component.id)
        assert component.name == "anonymous_component" and component.display_name == "main"

    def test_fields_with_no_effect_here_are_warned_with_their_line(self):
        spec = compile_file(JOB)

        warned = {w["field"]: (w["line"], w["message"]) for w in spec.warnings}
        assert warned["services"][0] == 32 and "not started" in warned["services"][1]
        assert warned["resources.instance_type"][0] == 31
        assert {w["file"] for w in spec.warnings} == {str(JOB)}

    def test_problems_of_a_command_job_name_its_own_fields_and_lines(self):
        problems = problems_of(
            """\
            type: command
            command: echo ${{inputs.x}}
            environment: azureml:python-3.11@latest
            inputs:
              x: 1
            limits:
              timeout: soon
            distribution:
              type: pytorch
            queue: high
            """
        )
        assert problems["limits.timeout"] == ("expected a whole number of seconds, got 'soon'", 7)
        assert "distributed steps" in problems["distribution"][0] and problems["distribution"][1] == 8
        assert problems["queue"] == ("is not a field of a command job, or one Studio does not support", 10)

    def test_a_command_job_without_type_is_recognised_by_its_command(self):
        resolution = resolve_text(
            """\
            command: echo hi
            environment: azureml:python-3.11@latest
            """
        )
        assert list(resolution.materialize().steps) == ["main"]

    def test_an_inline_step_needs_an_environment(self):
        problems = problems_of(
            """\
            jobs:
              hello:
                command: echo hi
            """
        )
        assert problems["jobs.hello.environment"][1] == 2  # the step's line: the field is missing

    def test_an_inline_step_takes_its_port_types_from_what_it_binds(self):
        spec = compile_file(INLINE)

        scale = spec.steps["scale"].component.spec
        assert {name: port["type"] for name, port in scale["inputs"].items()} == {
            "numbers": "uri_file",
            "factor": "integer",
            "rounds": "integer",
        }
        assert spec.steps["scale"].environment_variables == {"GREETING": "hi from a step", "DEBUG": "no"}
        shout = Component.objects.get(pk=spec.steps["shout"].component.id)
        assert (shout.name, shout.display_name) == ("anonymous_component", "shout")
        assert not Component.objects.filter(name="shout").exists()  # file components are anonymous
        assert spec.warnings == []  # settings.default_datastore is a setting Studio honours


@pytest.mark.django_db(transaction=True)
@pytest.mark.docker
def test_a_command_job_runs_on_docker_with_its_variables_and_outputs(computes, library, worker):
    job = wait_for(submit_file(JOB), timeout=240)

    assert job.status == JobStatus.COMPLETED, job.status_reason
    log = "\n".join(line["line"] for line in read_log(job.name, "main"))
    assert "GREETING=hello from the job DEBUG=true" in log
    total = step_output_path(job.name, "main", "scaled", kind="uri_folder") / "total.txt"
    assert total.read_text() == "75.0\n"  # (1+2+3+4) * 2.5 * 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.docker
def test_a_pipeline_of_inline_and_file_steps_runs_on_docker(computes, library, worker):
    job = wait_for(submit_file(INLINE), timeout=240)

    assert job.status == JobStatus.COMPLETED, job.status_reason
    loud = step_output_path(job.name, "shout", "loud", kind="uri_folder") / "loud.txt"
    assert loud.read_text() == "TOTAL 20.0\n"  # (1+2+3+4) * 2 * 1
    assert "GREETING=hi from a step DEBUG=no" in "\n".join(
        line["line"] for line in read_log(job.name, "scale")
    )


DATASTORES = FOLDER / "datastores.yml"


def put_in_blobstore(relative: str, text: str) -> None:
    from studio.datastores import datastore_folder

    target = datastore_folder("workspaceblobstore") / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


@pytest.mark.django_db
@pytest.mark.usefixtures("library", "computes")
class TestDatastorePaths:
    def test_inputs_are_read_and_outputs_are_bound_to_datastore_paths(self):
        put_in_blobstore("inputs/numbers.csv", "5\n6\n")
        spec = compile_file(DATASTORES)

        assert spec.inputs["numbers"].snapshot  # read from the datastore now, frozen with the job
        assert spec.steps["scale"].output_destinations == {
            "scaled": "azureml://datastores/workspaceblobstore/paths/azureml/${{name}}/${{output_name}}/"
        }
        assert spec.steps["shout"].output_destinations == {
            "loud": "azureml://datastores/workspaceblobstore/paths/results/${{name}}/final/"
        }
        assert spec.warnings == []  # settings.default_datastore is honoured, not warned

    def test_datastore_paths_that_cannot_work_are_refused_at_their_field(self):
        problems = problems_of(
            """\
            settings:
              default_datastore: azureml:nowhere
            inputs:
              named:
                type: uri_file
                path: azureml://datastores/workspaceblobstore/paths/${{name}}/x.csv
              missing:
                type: uri_file
                path: azureml://datastores/workspaceblobstore/paths/none/such.csv
              outside:
                type: uri_folder
                path: azureml://datastores/workspaceblobstore/paths/../../etc
            jobs:
              hello:
                command: echo ${{outputs.out}}
                environment: azureml:python-3.11@latest
                outputs:
                  out:
                    type: uri_folder
                    path: https://example.com/out
            """
        )
        assert "nowhere" in problems["settings.default_datastore"][0]
        assert (
            problems["inputs.named.path"][0]
            == "an input's datastore path can use ${{default_datastore}} only"
        )
        assert "does not exist" in problems["inputs.missing.path"][0]
        assert problems["inputs.outside.path"][1] == 12
        assert "datastore path" in problems["jobs.hello.outputs.out.path"][0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.docker
def test_a_pipeline_reads_from_and_writes_to_datastores_on_docker(computes, library, worker):
    from studio.datastores import datastore_folder

    put_in_blobstore("inputs/numbers.csv", "5\n6\n")
    job = wait_for(submit_file(DATASTORES), timeout=240)

    assert job.status == JobStatus.COMPLETED, job.status_reason
    blobstore = datastore_folder("workspaceblobstore")
    assert (blobstore / "azureml" / job.name / "scaled" / "total.txt").read_text() == "11.0\n"
    assert (blobstore / "results" / job.name / "final" / "loud.txt").read_text() == "TOTAL 11.0\n"
    log = "\n".join(line["line"] for line in read_log(job.name, "shout"))
    assert (
        f"output loud written to azureml://datastores/workspaceblobstore/paths/results/{job.name}/final/"
        in log
    )


NAMED_OUTPUTS = FOLDER / "named_outputs.yml"


@pytest.mark.django_db
@pytest.mark.usefixtures("library", "computes")
def test_an_output_name_and_version_are_checked_when_compiling():
    assert compile_file(NAMED_OUTPUTS).steps["main"].output_assets == {
        "scaled": {"name": "scaled_numbers", "version": None}
    }
    problems = problems_of(
        """\
        command: echo hi > ${{outputs.a}}/x
        environment: azureml:python-3.11@latest
        outputs:
          a: {type: uri_folder, name: "bad name"}
          b: {type: uri_folder, version: 2}
        """
    )
    assert problems["outputs.a.name"][1] == 4 and "is not an asset name" in problems["outputs.a.name"][0]
    assert problems["outputs.b.version"] == (
        "a version needs a name: the asset the output is registered as",
        5,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.docker
def test_a_named_output_becomes_a_data_asset_version_of_its_job(computes, library, worker):
    from studio.models import DataAsset

    job = wait_for(submit_file(NAMED_OUTPUTS), timeout=240)

    assert job.status == JobStatus.COMPLETED, job.status_reason
    asset = DataAsset.objects.get(name="scaled_numbers")
    assert (asset.version, asset.data_type) == ("1", "uri_folder")
    assert asset.tags == {"job": job.name, "step": "main", "output": "scaled"}
    step = job.steps.get()
    assert step.outputs["scaled"]["asset"] == "scaled_numbers:1"
    assert read_snapshot_file(asset.snapshot_digest, "total.txt") == b"20.0\n"  # (1+2+3+4) * 1 * 2


@pytest.mark.django_db
def test_an_asset_page_names_the_job_output_that_made_it(library, admin_client):
    from studio.registry.attachments import LocalAttachments
    from studio.registry.data import register_data
    from studio.schemas.loading import LineIndex

    document = {
        "name": "made_by_a_job",
        "type": "uri_file",
        "path": str(FOLDER / "data" / "numbers.csv"),
        "tags": {"job": "brave_owl_1", "step": "main", "output": "scaled"},
    }
    register_data(
        document, index=LineIndex(), filename="t", attachments=LocalAttachments(FOLDER, filename="t")
    )
    page = admin_client.get("/data/made_by_a_job/1/").content.decode()
    assert 'href="/jobs/brave_owl_1/" data-testid="produced-by"' in page
    assert "output <code>scaled</code> of step <code>main</code>" in page


@pytest.mark.django_db
@pytest.mark.usefixtures("library", "computes")
def test_a_registered_model_is_an_input(tmp_path):
    from studio.registry import register_file

    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "w.txt").write_text("0.5\n")
    (tmp_path / "model.yml").write_text("name: scorer\nversion: 1\ntype: custom_model\npath: ./weights\n")
    model, _ = register_file(tmp_path / "model.yml", kind="model")

    spec = resolve_text(
        """\
        command: cat ${{inputs.model}}/w.txt
        environment: azureml:python-3.11@latest
        inputs:
          model:
            type: custom_model
            path: azureml:scorer:1
        """
    ).materialize()
    binding = spec.steps["main"].inputs["model"]
    assert (binding.asset, binding.snapshot, binding.type) == (
        "scorer:1",
        model.snapshot_digest,
        "custom_model",
    )

    problems = problems_of(
        """\
        command: cat ${{inputs.model}}/MLmodel
        environment: azureml:python-3.11@latest
        inputs:
          model:
            type: mlflow_model
            path: azureml:scorer@latest
        """
    )
    assert problems["inputs.model.path"] == ("model scorer:1 is a custom_model, not a mlflow_model", 6)


COLLIDING = """\
type: command
name: hello
version: "1"
environment: azureml:python-3.11@latest
outputs:
  out: {{type: uri_folder}}
command: echo {text} > ${{{{outputs.out}}}}/said.txt
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.docker
def test_two_pipelines_whose_component_files_share_name_and_version_both_run(
    computes, library, worker, tmp_path
):
    from studio.registry import register_file

    (tmp_path / "named.yml").write_text(COLLIDING.format(text="registered"))
    named, _ = register_file(tmp_path / "named.yml", kind="component")
    jobs = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "hello.yml").write_text(COLLIDING.format(text=f"from {folder}"))
        (tmp_path / folder / "pipeline.yml").write_text(
            "type: pipeline\nsettings: {default_compute: azureml:docker}\n"
            "jobs:\n  say:\n    component: ./hello.yml\n"
        )
        jobs.append(submit_file(tmp_path / folder / "pipeline.yml"))
    for folder, job in zip(("a", "b"), jobs, strict=True):
        job = wait_for(job, timeout=240)
        assert job.status == JobStatus.COMPLETED, job.status_reason
        said = step_output_path(job.name, "say", "out", kind="uri_folder") / "said.txt"
        assert said.read_text() == f"from {folder}\n"
    named.refresh_from_db()
    assert Component.objects.filter(name="hello").count() == 1 and named.version == "1"


@pytest.mark.django_db
@pytest.mark.usefixtures("library", "computes")
def test_conda_channels_of_a_conda_file_the_job_names_are_warned(tmp_path):
    (tmp_path / "conda.yml").write_text("channels:\n  - conda-forge\ndependencies:\n  - pip:\n      - six\n")
    document = {
        "type": "command",
        "command": "echo hi",
        "environment": {"image": "studio/python:3.11-bookworm", "conda_file": "./conda.yml"},
    }
    from_disk = resolve_pipeline(document, index=LineIndex(), filename="job.yml", base_dir=tmp_path)
    [warning] = from_disk.warnings
    conda_file = str((tmp_path / "conda.yml").resolve())
    assert (warning.file, warning.field, warning.line) == (conda_file, "channels", 1)  # the key's line
    assert "conda-forge" in warning.message and "pip" in warning.message

    document["environment"]["conda_file"] = {"channels": ["conda-forge"], "dependencies": ["pip"]}
    inline = resolve_pipeline(document, index=LineIndex(), filename="request body")
    assert [w.field for w in inline.warnings] == ["environment.conda_file.channels"]
