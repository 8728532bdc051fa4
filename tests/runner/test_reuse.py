"""Reuse: an unchanged step is not run again (no container), and any change to its key runs it.

The key is made of the component spec, its code, its environment, the parameter values and the
content of its inputs. Each test below changes exactly one of them in a copy of the pipeline
folder and checks that the affected step runs (and that its dependents run when their input
content changed, and are reused when it did not).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines.compiler import compile_pipeline
from runner.actions import rerun, submit_pipeline
from runner.choices import JobStatus, StepStatus
from runner.models import PipelineJob, StepRun
from runner.reuse_explain import explain
from studio.schemas.loading import load_document
from tests.runner.containers import ContainerEvents, containers_of
from tests.runner.jobs import PIPELINES, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.docker]

REUSE = PIPELINES / "reuse"


def variant(tmp_path: Path, edit: Callable[[Path], None] | None = None, folder: Path = REUSE) -> Path:
    """A copy of the pipeline folder with one change made by `edit`."""
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    if edit is not None:
        edit(copy)
    return copy


def submit(folder: Path, *, file: str = "pipeline.yml", inputs=None, steps=None, settings=None):
    """Compile and submit a pipeline of `folder`, with optional changes to the document."""
    path = folder / file
    document, index = load_document(path.read_bytes(), filename=str(path))
    document.setdefault("settings", {})["default_compute"] = "azureml:docker"
    document["settings"].update(settings or {})
    document.setdefault("inputs", {}).update(inputs or {})
    for name, fields in (steps or {}).items():
        document["jobs"][name].update(fields)
    spec = compile_pipeline(document, index=index, filename=str(path), base_dir=folder)
    return submit_pipeline(spec)


def completed(job: PipelineJob) -> dict[str, StepRun]:
    """Wait for the job and return its steps, failing with every reason when it did not complete."""
    wait_for(job, timeout=90)
    steps = {step.name: step for step in job.steps.select_related("reused_from__job")}
    assert job.status == JobStatus.COMPLETED, {n: (s.status, s.status_reason) for n, s in steps.items()}
    assert all(step.status == StepStatus.COMPLETED for step in steps.values())
    return steps


def value(step: StepRun, output: str = "out") -> str:
    return (Path(step.outputs[output]["path"]) / "value.txt").read_text().strip()


def assert_reused(step: StepRun, original: StepRun, events: ContainerEvents) -> None:
    assert step.reused_from_id == original.pk, (step.name, step.reuse_note)
    assert step.reuse_note.startswith(f"reused from {original.job.name}/{original.name}"), step.reuse_note
    assert step.reuse_key == original.reuse_key
    assert step.attempt == 0 and step.container_id == ""
    assert step.outputs == original.outputs
    assert events.count(step.job.name, step.name) == 0


def assert_ran(step: StepRun, original: StepRun, events: ContainerEvents) -> None:
    assert step.reused_from_id is None, (step.name, step.reuse_note)
    assert step.reuse_note.startswith("not reused"), step.reuse_note
    assert step.attempt == 1
    assert events.count(step.job.name, step.name) == 1
    assert step.outputs["out"]["path"] != original.outputs["out"]["path"]


@pytest.fixture
def first(computes, library, worker, container_events) -> dict[str, StepRun]:
    """The pipeline run once for real: every step in its own container."""
    steps = completed(submit(REUSE))
    job_name = steps["a"].job.name
    assert container_events.count(job_name) == 2, container_events.created
    assert value(steps["b"]) == "code-1|hello|apple|plain!"
    assert all(step.reuse_note.startswith("not reused") for step in steps.values())
    return steps


# --- identical resubmissions ---------------------------------------------------------------------


def test_a_rerun_reuses_every_step_without_a_container(first, container_events):
    again = rerun(first["a"].job)
    steps = completed(again)
    assert again.rerun_of_id == first["a"].job_id
    for name, step in steps.items():
        assert_reused(step, first[name], container_events)
        assert "same component, code, environment, parameters and inputs" in step.reuse_note
    assert container_events.count(again.name) == 0
    assert containers_of(again.name) == []
    assert value(steps["b"]) == "code-1|hello|apple|plain!"


def test_a_fresh_submit_of_the_same_yaml_reuses_every_step(first, container_events, tmp_path):
    job = submit(variant(tmp_path))  # a byte-identical copy elsewhere on disk
    steps = completed(job)
    for name, step in steps.items():
        assert_reused(step, first[name], container_events)
        assert step.reuse_parts == first[name].reuse_parts
    assert container_events.count(job.name) == 0


def test_a_third_run_reuses_the_original_not_the_reuse(first, container_events):
    second = completed(rerun(first["a"].job))
    third = completed(rerun(second["a"].job))
    for name, step in third.items():
        assert_reused(step, first[name], container_events)


# --- each part of the key, changed alone -------------------------------------------------------------


def test_a_changed_parameter_runs_the_step_and_its_dependents(first, container_events):
    steps = completed(submit(REUSE, inputs={"greeting": "hi"}))
    assert steps["a"].reuse_parts["parameters"] == {"greeting": "hi"}
    assert first["a"].reuse_parts["parameters"] == {"greeting": "hello"}
    assert_ran(steps["a"], first["a"], container_events)
    assert_ran(steps["b"], first["b"], container_events)
    assert steps["b"].reuse_parts["inputs"] != first["b"].reuse_parts["inputs"]
    assert value(steps["b"]) == "code-1|hi|apple|plain!"


def test_a_changed_downstream_parameter_runs_only_that_step_on_the_reused_data(first, container_events):
    steps = completed(submit(REUSE, steps={"b": {"inputs": {**_b_inputs(), "suffix": "?!"}}}))
    assert_reused(steps["a"], first["a"], container_events)
    assert_ran(steps["b"], first["b"], container_events)
    # The consumer of a reused step reads the original step's data.
    assert value(steps["b"]) == "code-1|hello|apple|plain?!"


def test_changed_input_data_runs_the_step_and_its_dependents(first, container_events, tmp_path):
    folder = variant(tmp_path, lambda copy: (copy / "data" / "value.txt").write_text("banana\n"))
    steps = completed(submit(folder))
    assert steps["a"].reuse_parts["inputs"] != first["a"].reuse_parts["inputs"]
    assert steps["a"].reuse_parts["component"] == first["a"].reuse_parts["component"]
    assert_ran(steps["a"], first["a"], container_events)
    assert_ran(steps["b"], first["b"], container_events)
    assert value(steps["b"]) == "code-1|hello|banana|plain!"


def test_changed_code_runs_the_step_and_its_dependents(first, container_events, tmp_path):
    def edit(copy: Path) -> None:
        script = copy / "producer" / "produce.py"
        script.write_text(script.read_text().replace('CODE = "code-1"', 'CODE = "code-2"'))

    steps = completed(submit(variant(tmp_path, edit)))
    version = steps["a"].job.spec["steps"]["a"]["component"]["version"]
    assert version != first["a"].job.spec["steps"]["a"]["component"]["version"]  # another anonymous one
    assert steps["a"].reuse_parts["code"] != first["a"].reuse_parts["code"]
    assert steps["a"].reuse_parts["environment"] == first["a"].reuse_parts["environment"]
    assert_ran(steps["a"], first["a"], container_events)
    assert_ran(steps["b"], first["b"], container_events)
    assert value(steps["b"]) == "code-2|hello|apple|plain!"


def test_a_changed_environment_runs_the_step_and_its_dependents(first, container_events, tmp_path):
    def edit(copy: Path) -> None:
        component = copy / "producer.yml"
        component.write_text(
            component.read_text().replace(
                "environment: azureml:python-3.11@latest",
                "environment:\n  image: studio/python:3.11-bookworm\n"
                "  conda_file: {dependencies: [], variables: {FLAVOR: salted}}",
            )
        )

    steps = completed(submit(variant(tmp_path, edit)))
    assert steps["a"].reuse_parts["environment"] != first["a"].reuse_parts["environment"]
    assert steps["a"].reuse_parts["code"] == first["a"].reuse_parts["code"]
    assert_ran(steps["a"], first["a"], container_events)
    assert_ran(steps["b"], first["b"], container_events)
    assert value(steps["b"]) == "code-1|hello|apple|salted!"


def test_a_changed_component_spec_runs_the_step_but_not_unchanged_dependents(
    first, container_events, tmp_path
):
    def edit(copy: Path) -> None:
        component = copy / "producer.yml"
        component.write_text(component.read_text().replace("description: Writes", "description: Now writes"))

    steps = completed(submit(variant(tmp_path, edit)))
    version = steps["a"].job.spec["steps"]["a"]["component"]["version"]
    assert version != first["a"].job.spec["steps"]["a"]["component"]["version"]  # another anonymous one
    parts, before = steps["a"].reuse_parts, first["a"].reuse_parts
    assert parts["component"] != before["component"]
    assert {k: v for k, v in parts.items() if k != "component"} == {
        k: v for k, v in before.items() if k != "component"
    }
    assert_ran(steps["a"], first["a"], container_events)
    # a wrote the same bytes: b's input content is unchanged, so b is reused.
    assert steps["b"].reuse_parts == first["b"].reuse_parts
    assert_reused(steps["b"], first["b"], container_events)


# --- turning reuse off ---------------------------------------------------------------------------------


def test_job_level_force_rerun_runs_every_step(first, container_events):
    steps = completed(submit(REUSE, settings={"force_rerun": True}))
    for name, step in steps.items():
        assert_ran(step, first[name], container_events)
        assert step.reuse_note == "not reused: the job asked to force a rerun"
        assert step.reuse_key == first[name].reuse_key  # same key, run anyway


def test_step_level_force_rerun_runs_that_step_only(first, container_events):
    steps = completed(submit(REUSE, steps={"b": {"force_rerun": True}}))
    assert_reused(steps["a"], first["a"], container_events)
    assert_ran(steps["b"], first["b"], container_events)
    assert steps["b"].reuse_note == "not reused: this step asks to force a rerun"
    assert value(steps["b"]) == value(first["b"])  # it read the reused step's data


def test_a_non_deterministic_component_is_never_reused(computes, library, worker, container_events):
    runs = [completed(submit(REUSE, file="nondeterministic_pipeline.yml"))["clock"] for _ in range(2)]
    for step in runs:
        assert step.reused_from_id is None
        assert step.reuse_note == "not reused: reuse_clock is not deterministic"
        assert container_events.count(step.job.name, "clock") == 1
    assert runs[0].reuse_key == runs[1].reuse_key


def test_a_step_whose_original_outputs_were_deleted_runs_again(first, container_events):
    shutil.rmtree(first["a"].outputs["out"]["path"])
    steps = completed(rerun(first["a"].job))
    assert_ran(steps["a"], first["a"], container_events)
    assert Path(steps["a"].outputs["out"]["path"]).is_dir()
    # a wrote the same content again, so b (whose outputs still exist) is reused.
    assert_reused(steps["b"], first["b"], container_events)
    assert value(steps["a"]) == "code-1|hello|apple|plain"


def _b_inputs() -> dict:
    return {"source": "${{parent.jobs.a.outputs.out}}", "suffix": "!"}


@pytest.fixture
def fruit_server(settings):
    """An HTTP server answering /value.txt with whatever `server.fruit` is now (on loopback: allowed)."""
    settings.STUDIO_ALLOW_PRIVATE_URLS = True
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            body = f"{server.fruit}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.fruit = "apple"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_step_reading_a_url_always_runs_and_its_dependents_follow_the_content(
    computes, library, worker, container_events, fruit_server
):
    url = f"http://127.0.0.1:{fruit_server.server_port}/value.txt"
    from_url = {"data": {"type": "uri_folder", "path": url}}
    original = completed(submit(REUSE, inputs=from_url))
    assert value(original["b"]) == "code-1|hello|apple|plain!"

    # The same address with the same content: the step fetches and runs again (the address alone
    # says nothing of the content), and b, whose input content is unchanged, is reused.
    same = completed(submit(REUSE, inputs=from_url))
    assert_ran(same["a"], original["a"], container_events)
    why = f"not reused: input data is read from {url}, whose content may have changed"
    assert same["a"].reuse_note == why
    assert explain(same["a"])["summary"] == "N" + why[1:] + "."
    assert_reused(same["b"], original["b"], container_events)

    # The same address with new content: both run, on the new data.
    fruit_server.fruit = "cherry"
    changed = completed(submit(REUSE, inputs=from_url))
    assert_ran(changed["a"], original["a"], container_events)
    assert_ran(changed["b"], original["b"], container_events)
    assert value(changed["b"]) == "code-1|hello|cherry|plain!"
