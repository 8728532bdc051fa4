"""A step's `./outputs` and `./logs` are kept as its artifacts, as Azure ML keeps them.

Real jobs on the docker and local computes (the corpus job `job-artifacts-default.yml` among them),
read back through REST; and the collection itself on folders a step could leave behind.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from pipelines.compiler import compile_pipeline
from runner import default_artifacts
from runner.actions import submit_pipeline
from runner.choices import JobStatus, StepStatus
from runner.logs import read_log
from studio.schemas.loading import load_document
from studio.storage.job_artifacts import step_dir
from tests.runner.jobs import wait_for

CORPUS = Path(__file__).parents[1] / "compat" / "corpus"
COMPUTES = ["local", pytest.param("docker", marks=pytest.mark.docker)]
IMAGE = "studio/python:3.11-bookworm"


def submit(path: Path, *, compute: str | None = None, default_compute: str | None = None):
    """Compile a job file as `studio job create` does (on `compute`) and submit it."""
    document, index = load_document(path.read_bytes(), filename=str(path))
    if compute:
        document["compute"] = f"azureml:{compute}"
    if default_compute:
        document.setdefault("settings", {})["default_compute"] = f"azureml:{default_compute}"
    return submit_pipeline(compile_pipeline(document, index=index, filename=str(path), base_dir=path.parent))


# Steps of one pipeline (one environment build): what each leaves in ./outputs and ./logs.
PIPELINE = f"""\
type: pipeline
settings:
  continue_on_step_failure: true
jobs:
  writes:
    code: ./src
    command: python artifacts.py
    environment: {{image: {IMAGE}}}
  fails:
    command: mkdir -p logs && echo 'why it failed' > logs/error.log && exit 2
    environment: {{image: {IMAGE}}}
  links:
    command: >-
      mkdir -p outputs/deep && echo kept > outputs/deep/real.txt && ln -s /etc/passwd outputs/passwd
      && ln -s / outputs/root && rmdir logs && ln -s /etc logs
    environment: {{image: {IMAGE}}}
  quiet:
    command: echo nothing kept
    environment: {{image: {IMAGE}}}
"""


def pipeline_file(tmp_path: Path) -> Path:
    shutil.copytree(CORPUS / "src", tmp_path / "src")
    path = tmp_path / "pipeline.yml"
    path.write_text(PIPELINE)
    return path


def artifacts_of(client, job, step="main") -> dict:
    response = client.get(f"/api/v1/jobs/{job.name}/steps/{step}/artifacts/")
    assert response.status_code == 200, response.content
    return response.json()


def content(response) -> bytes:
    return b"".join(response.streaming_content)


# --- Real jobs --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.docker
def test_the_corpus_job_keeps_its_outputs_and_logs_on_docker(computes, library, worker, admin_client):
    job = wait_for(submit(CORPUS / "job-artifacts-default.yml", compute="docker"), timeout=240)
    assert job.status == JobStatus.COMPLETED, job.status_reason

    body = artifacts_of(admin_client, job)
    assert [(f["path"], f["size"]) for f in body["files"]] == [
        ("logs/run.log", len("the run wrote this log\n")),
        ("outputs/metrics.json", len('{"accuracy": 0.9}')),
    ]
    assert body["skipped"] == [] and body["reused_from"] is None
    log = admin_client.get(body["files"][0]["download"])
    assert log.status_code == 200
    assert content(log) == b"the run wrote this log\n"
    metrics = admin_client.get(f"/api/v1/jobs/{job.name}/steps/main/artifacts/outputs/metrics.json")
    assert content(metrics) == b'{"accuracy": 0.9}'
    assert metrics["Content-Disposition"].startswith('attachment; filename="metrics.json"')


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("compute", COMPUTES)
def test_every_step_keeps_them_failed_or_not_and_links_are_never_followed(
    compute, computes, library, worker, admin_client, tmp_path
):
    path = pipeline_file(tmp_path)
    job = wait_for(submit(path, default_compute=compute), timeout=240)
    steps = {step.name: step for step in job.steps.all()}
    reasons = {name: (step.status, step.status_reason) for name, step in steps.items()}
    assert steps["fails"].status == StepStatus.FAILED and steps["fails"].exit_code == 2, reasons
    assert all(steps[name].status == StepStatus.COMPLETED for name in ("writes", "links", "quiet")), reasons

    writes = artifacts_of(admin_client, job, "writes")
    assert [f["path"] for f in writes["files"]] == ["logs/run.log", "outputs/metrics.json"]

    # A failed step's logs are kept: they matter most then.
    fails = artifacts_of(admin_client, job, "fails")
    assert [f["path"] for f in fails["files"]] == ["logs/error.log"]
    assert content(admin_client.get(fails["files"][0]["download"])) == b"why it failed\n"

    links = artifacts_of(admin_client, job, "links")
    assert [f["path"] for f in links["files"]] == ["outputs/deep/real.txt"]
    assert {entry["path"]: entry["reason"] for entry in links["skipped"]} == {
        "logs": "a symbolic link (to /etc); links are not followed",
        "outputs/passwd": "a symbolic link (to /etc/passwd); links are not followed",
        "outputs/root": "a symbolic link (to /); links are not followed",
    }
    for bad in ("outputs/passwd", "outputs/root/etc/passwd", "logs/passwd", "../.work/outputs/passwd"):
        response = admin_client.get(f"/api/v1/jobs/{job.name}/steps/links/artifacts/{bad}")
        assert response.status_code == 404, bad
    kept = default_artifacts.artifacts_dir(job.name, "links")
    assert not any(p.is_symlink() for p in kept.rglob("*"))
    assert "artifacts: left out outputs/passwd: a symbolic link" in "\n".join(
        line["line"] for line in read_log(job.name, "links")
    )

    # A step that wrote neither folder keeps nothing.
    assert artifacts_of(admin_client, job, "quiet") == {
        "step": "quiet",
        "reused_from": None,
        "files": [],
        "skipped": [],
    }
    assert not default_artifacts.artifacts_dir(job.name, "quiet").exists()

    # Run again: a reused step shows the artifacts of the run it reused.
    again = wait_for(submit(path, default_compute=compute), timeout=240)
    assert again.steps.get(name="writes").reused_from_id == steps["writes"].pk
    reused = artifacts_of(admin_client, again, "writes")
    assert reused["reused_from"] == f"{job.name}/writes"
    assert reused["files"] == [
        {**f, "download": f["download"].replace(job.name, again.name)} for f in writes["files"]
    ]
    log = admin_client.get(f"/api/v1/jobs/{again.name}/steps/writes/artifacts/logs/run.log")
    assert content(log) == b"the run wrote this log\n"


@pytest.mark.django_db
def test_an_unknown_step_or_file_is_a_404(admin_client):
    assert admin_client.get("/api/v1/jobs/nope/steps/main/artifacts/").status_code == 404
    assert admin_client.get("/api/v1/jobs/nope/steps/main/artifacts/logs/x.log").status_code == 404


# --- The collection itself -------------------------------------------------------------------------


@pytest.fixture
def work(settings, tmp_path) -> Path:
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    folder = step_dir("job", "step") / ".work"
    folder.mkdir(parents=True)
    return folder


def test_files_are_kept_as_the_very_files_and_a_new_attempt_replaces_them(work):
    (work / "outputs").mkdir()
    (work / "outputs" / "model.bin").write_bytes(b"\x00" * 1000)
    (work / "logs").mkdir()
    (work / "logs" / "old.log").write_text("attempt 1\n")
    (work / "other").mkdir()
    (work / "other" / "ignored.txt").write_text("not an artifact folder\n")

    result = default_artifacts.collect("job", "step")

    assert (result.files, result.size, result.skipped) == (2, 1010, [])
    kept = default_artifacts.artifacts_dir("job", "step")
    assert os.path.samefile(kept / "outputs" / "model.bin", work / "outputs" / "model.bin")
    assert not (kept / "other").exists()

    (work / "logs" / "old.log").unlink()
    (work / "logs" / "new.log").write_text("attempt 2\n")
    default_artifacts.collect("job", "step")
    assert default_artifacts.listing(kept)["files"] == [
        {"path": "logs/new.log", "size": 10},
        {"path": "outputs/model.bin", "size": 1000},
    ]
    assert sorted(p.name for p in kept.parent.iterdir()) == [".artifacts", ".work"]  # nothing left over


def test_fifos_and_files_that_are_no_folder_are_left_out_with_why(work):
    (work / "outputs").mkdir()
    os.mkfifo(work / "outputs" / "pipe")
    (work / "logs").write_text("a file, not a folder\n")

    result = default_artifacts.collect("job", "step")

    assert result.files == 0
    assert result.skipped == [
        {"path": "outputs/pipe", "reason": "not a regular file"},
        {"path": "logs", "reason": "not a folder"},
    ]
    kept = default_artifacts.artifacts_dir("job", "step")
    assert default_artifacts.listing(kept) == {"files": [], "skipped": result.skipped}
    assert default_artifacts.artifact_file(kept, "skipped.json") is None  # Studio's note, not the step's


def test_a_nul_or_a_path_out_is_no_artifact(work):
    """A NUL in the path (which os calls refuse with ValueError: it was a 500) and `..` name nothing."""
    (work / "outputs").mkdir()
    (work / "outputs" / "ok.csv").write_text("a\n")
    default_artifacts.collect("job", "step")
    kept = default_artifacts.artifacts_dir("job", "step")

    assert default_artifacts.artifact_file(kept, "outputs/ok.csv") is not None
    assert default_artifacts.artifact_file(kept, "outputs/ok.csv\0/../ok.csv") is None
    assert default_artifacts.artifact_file(kept, "outputs/../../../../etc/passwd") is None


def test_the_log_says_what_was_kept_and_left_out(work):
    (work / "outputs").mkdir()
    (work / "outputs" / "a.txt").write_text("a")
    (work / "outputs" / "link").symlink_to("/etc/hostname")
    notes: list[str] = []

    default_artifacts.keep("job", "step", notes.append)

    assert notes == [
        "kept 1 file(s) of ./outputs and ./logs as the step's artifacts (1 bytes)",
        "artifacts: left out outputs/link: a symbolic link (to /etc/hostname); links are not followed",
    ]


def test_nothing_is_kept_when_the_step_folder_is_missing(settings, tmp_path):
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    assert default_artifacts.collect("job", "step").files == 0
    assert not (tmp_path / "artifacts").exists()


# --- `studio job download` ---------------------------------------------------------------------------


@pytest.mark.docker
def test_studio_job_download_fetches_them_next_to_the_outputs(studio_server, token, tmp_path):
    from tests.studio.cli_helpers import cli_runner

    cli = cli_runner(studio_server, token, tmp_path)
    job_file = CORPUS / "job-artifacts-default.yml"
    created = cli(
        "job", "create", "-f", str(job_file), "--set", "compute=azureml:docker", "--stream", "-o", "json"
    )
    assert created.returncode == 0, created.stdout + created.stderr
    name = json.loads(created.stdout)["name"]

    target = tmp_path / "downloaded"
    download = cli("job", "download", name, "--path", str(target))
    assert download.returncode == 0, download.stdout + download.stderr
    assert (target / "main" / "artifacts" / "outputs" / "metrics.json").read_text() == '{"accuracy": 0.9}'
    assert (target / "main" / "artifacts" / "logs" / "run.log").read_text() == "the run wrote this log\n"
    assert "main/artifacts/logs/run.log (" in download.stdout
