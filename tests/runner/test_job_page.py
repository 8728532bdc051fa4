"""The job page and the jobs list: what the islands are given, and the REST calls they make
(job summaries, output previews, log downloads). The live behaviour is in tests/e2e/test_job_live.py.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from runner.actions import submit_pipeline
from runner.choices import JobStatus, StepStatus
from runner.logs import log_path
from runner.models import PipelineJob, StepRun
from tests.runner.jobs import PIPELINES, compile_file

pytestmark = pytest.mark.django_db

THREE_STEPS = PIPELINES / "three_steps" / "pipeline.yml"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def island_props(page: str, view: str) -> dict:
    """The props of the page's `jobs` island, which must show `view` ("run" or "list")."""
    found = re.search(r'data-island="jobs" data-props="([^"]*)"', page)
    assert found, "no jobs island on the page"
    props = json.loads(html.unescape(found.group(1)))
    assert props["view"] == view
    return props


@pytest.fixture
def job(computes, library, admin_user) -> PipelineJob:
    """The three-step pipeline, submitted but not run (no worker)."""
    job = submit_pipeline(compile_file(THREE_STEPS, default_compute="azureml:docker"), user=admin_user)
    return job


@pytest.fixture
def outputs(studio_home) -> Path:
    """A step output folder with one file of every kind the page previews."""
    folder = studio_home / "artifacts" / "some-output"
    (folder / "nested").mkdir(parents=True)
    (folder / "table.csv").write_text('species,count\nsetosa,50\n"versi, color",50\n')
    (folder / "metrics.json").write_text('{"accuracy": 0.97, "classes": ["a", "b"]}')
    (folder / "big.json").write_text('{"values": [' + ",".join(["1"] * 600_000) + "]}")
    (folder / "notes.txt").write_text("héllo\n" * 20_000)
    (folder / "plot.png").write_bytes(PNG)
    (folder / "model.bin").write_bytes(bytes(range(256)))
    (folder / "nested" / "deep.csv").write_text("a,b\n1,2\n")
    (studio_home / "artifacts" / "secret.txt").write_text("not yours")
    single = studio_home / "artifacts" / "single"
    single.mkdir()
    (single / "only.csv").write_text("x\n1\n")
    (single / "sibling.txt").write_text("not an output")
    return folder


def test_the_job_page_mounts_the_live_island_with_the_graph(job, admin_client):
    page = admin_client.get(f"/jobs/{job.name}/").content.decode()
    props = island_props(page, "run")
    assert props["job"] == job.name
    assert props["createdBy"] == "admin"
    steps = [n for n in props["graph"]["nodes"] if n["kind"] == "step"]
    assert [n["id"] for n in steps] == ["a", "b", "c"]
    assert steps[0]["component"] == "Trail step (anonymous)"  # the job's own component: its name shown
    assert steps[0]["compute"] == "docker"
    assert {i["name"] for i in steps[1]["inputs"]} == {"name", "greeting", "source"}
    assert [o["name"] for o in steps[0]["outputs"]] == ["out"]
    edges = {
        (e["source"], e["sourceHandle"], e["target"], e["targetHandle"]) for e in props["graph"]["edges"]
    }
    assert edges == {("a", "out", "b", "source"), ("b", "out", "c", "source")}
    assert props["parameters"] == [{"name": "greeting", "value": "bonjour", "kind": "literal"}]
    assert props["urls"]["publish"] == f"/endpoints/publish/?job={job.name}"
    assert props["urls"]["socket"] == f"/ws/jobs/{job.name}/"
    assert props["urls"]["rerun"] == f"/jobs/{job.name}/rerun/"
    assert props["urls"]["clone"] == f"/designer/clone/{job.name}/"
    assert props["csrfToken"]
    # The server-rendered steps stay inside the island for browsers without JavaScript.
    assert 'id="step-c"' in page and "Cancel job" in page
    assert "/static/dist/" in page or "frontend bundle not built" in page


def test_the_job_page_draws_data_from_outside_as_nodes(computes, library, admin_client, tmp_path):
    pipeline = tmp_path / "pipeline.yml"
    pipeline.write_text(
        """
type: pipeline
settings: {default_compute: azureml:local}
inputs:
  raw: {type: uri_file, path: azureml:iris@latest}
jobs:
  load:
    component: azureml:import_csv@latest
    inputs: {source_file: "${{parent.inputs.raw}}"}
"""
    )
    job = submit_pipeline(compile_file(pipeline))
    props = island_props(admin_client.get(f"/jobs/{job.name}/").content.decode(), "run")
    data = [n for n in props["graph"]["nodes"] if n["kind"] == "data"]
    assert len(data) == 1 and data[0]["label"].startswith("iris:")
    assert props["graph"]["edges"] == [
        {
            "id": f"{data[0]['id']}->load.source_file",
            "source": data[0]["id"],
            "sourceHandle": "data",
            "target": "load",
            "targetHandle": "source_file",
        }
    ]
    assert props["parameters"][0]["name"] == "raw" and props["parameters"][0]["kind"] == "data"


def test_the_jobs_list_filters_searches_and_shows_duration_and_compute(job, admin_client, admin_user):
    now = timezone.now()
    other = PipelineJob.objects.create(
        name="nightly_walrus_1",
        display_name="Nightly training",
        experiment_name="forecast",
        spec={"steps": {}},
        status=JobStatus.COMPLETED,
        created_by=admin_user,
        started_at=now - timedelta(seconds=90),
        finished_at=now,
    )
    page = admin_client.get("/jobs/").content.decode()
    props = island_props(page, "list")
    rows = {row["name"]: row for row in props["initial"]["results"]}
    assert set(rows) == {job.name, other.name}
    assert rows[other.name]["duration"] == pytest.approx(90)
    assert rows[job.name]["duration"] is None
    assert rows[job.name]["computes"] == ["docker"]
    assert rows[job.name]["created_by"] == "admin"
    assert rows[job.name]["steps"] == 3
    assert "runner-tests" in props["experiments"] and "Running" in props["statuses"]
    assert "90 s" in page  # the no-JavaScript table

    searched = island_props(admin_client.get("/jobs/", {"q": "nightly forecast"}).content.decode(), "list")
    assert [row["name"] for row in searched["initial"]["results"]] == [other.name]
    assert searched["filters"]["q"] == "nightly forecast"
    filtered = island_props(admin_client.get("/jobs/", {"status": "Completed"}).content.decode(), "list")
    assert [row["name"] for row in filtered["initial"]["results"]] == [other.name]


def test_the_summaries_api_pages_filters_and_counts_active_jobs(job, admin_client):
    for number in range(3):
        PipelineJob.objects.create(
            name=f"done_{number}", experiment_name="exp", spec={"steps": {}}, status=JobStatus.FAILED
        )
    body = admin_client.get("/api/v1/jobs/summaries/", {"page_size": 2}).json()
    assert body["count"] == 4 and body["pages"] == 2 and len(body["results"]) == 2
    assert body["results"][0]["name"] == "done_2"  # newest first
    last = admin_client.get("/api/v1/jobs/summaries/", {"page_size": 2, "page": 2}).json()
    assert [row["name"] for row in last["results"]] == ["done_0", job.name]
    assert last["active"] == 1
    assert last["results"][1]["step_statuses"] == {"NotStarted": 3}
    failed = admin_client.get("/api/v1/jobs/summaries/", {"status": "Failed", "search": "done_1"}).json()
    assert [row["name"] for row in failed["results"]] == ["done_1"]
    assert admin_client.get("/api/v1/jobs/summaries/", {"page": "x"}).status_code == 400


def test_the_jobs_list_and_summaries_need_a_sign_in(client):
    assert client.get("/jobs/").status_code == 302
    assert client.get("/api/v1/jobs/summaries/").status_code in (401, 403)


@pytest.fixture
def step_with_outputs(outputs, studio_home) -> StepRun:
    job = PipelineJob.objects.create(name="preview_job", spec={"steps": {}}, status=JobStatus.COMPLETED)
    return StepRun.objects.create(
        job=job,
        name="train",
        status=StepStatus.COMPLETED,
        outputs={
            "out": {"path": str(outputs), "type": "uri_folder", "hash": "h", "size": 1},
            "file": {"path": str(studio_home / "artifacts" / "single" / "only.csv"), "type": "uri_file"},
        },
    )


def preview(client, output: str, path: str):
    return client.get("/api/v1/jobs/preview_job/steps/train/preview/", {"output": output, "path": path})


def test_it_previews_csv_json_images_text_and_binary_outputs(step_with_outputs, admin_client):
    csv = preview(admin_client, "out", "table.csv").json()
    assert csv["kind"] == "csv" and csv["truncated"] is False
    assert csv["text"].splitlines()[0] == "species,count"
    assert csv["download"] == "/api/v1/jobs/preview_job/steps/train/outputs/out/table.csv"
    assert preview(admin_client, "out", "nested/deep.csv").json()["text"] == "a,b\n1,2\n"

    data = preview(admin_client, "out", "metrics.json").json()
    assert data["kind"] == "json" and json.loads(data["text"]) == {"accuracy": 0.97, "classes": ["a", "b"]}
    big = preview(admin_client, "out", "big.json").json()
    assert big["kind"] == "text" and big["truncated"] is True and len(big["text"]) == 1024 * 1024

    text = preview(admin_client, "out", "notes.txt").json()
    assert text["kind"] == "text" and text["truncated"] is True
    assert len(text["text"].encode()) <= 64 * 1024 and text["text"].startswith("héllo\n")
    assert text["size"] == len("héllo\n".encode()) * 20_000

    image = preview(admin_client, "out", "plot.png").json()
    assert image["kind"] == "image" and image["content_type"] == "image/png" and image["text"] is None
    binary = preview(admin_client, "out", "model.bin").json()
    assert binary["kind"] == "binary" and binary["text"] is None and binary["size"] == 256

    single = preview(admin_client, "file", "only.csv").json()
    assert single["kind"] == "csv" and single["text"] == "x\n1\n"


def test_previews_and_downloads_stay_inside_the_output(step_with_outputs, admin_client):
    for output, path in [
        ("out", "../secret.txt"),
        ("out", "/etc/passwd"),
        ("out", "missing.csv"),
        ("out", "nested"),
        ("file", "sibling.txt"),
        ("file", "../some-output/table.csv"),
        ("nope", "table.csv"),
    ]:
        assert preview(admin_client, output, path).status_code == 404, (output, path)
        url = f"/api/v1/jobs/preview_job/steps/train/outputs/{output}/{path}"
        assert admin_client.get(url).status_code == 404, url
    response = admin_client.get("/api/v1/jobs/preview_job/steps/train/preview/", {"output": "out"})
    assert response.status_code == 400 and response.json()["errors"] == {"path": ["is required"]}
    assert (
        admin_client.get(
            "/api/v1/jobs/preview_job/steps/nope/preview/", {"output": "out", "path": "x"}
        ).status_code
        == 404
    )


def test_it_downloads_a_whole_log_as_text(step_with_outputs, admin_client):
    path = log_path("preview_job", "train")
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [{"seq": n, "t": 1.0 + n, "line": f"\x1b[32mline {n}\x1b[0m"} for n in range(1, 6)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + '{"seq": 6, "t"')
    response = admin_client.get("/api/v1/jobs/preview_job/steps/train/logs/download/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert 'filename="preview_job-train.log"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines() == [f"\x1b[32mline {n}\x1b[0m" for n in range(1, 6)]
    empty = admin_client.get("/api/v1/jobs/preview_job/steps/train/logs/download/")
    assert empty.status_code == 200
