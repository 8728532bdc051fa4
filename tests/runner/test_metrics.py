"""Step metrics: parsing `##studio[metric …]` lines and metrics.json, storing, live events, REST."""

from __future__ import annotations

import json
import os

import pytest

from runner import metrics
from runner.choices import JobStatus, StepStatus
from runner.events import reading, recording
from runner.logs import StepLog
from runner.models import JobEvent, PipelineJob, StepRun
from studio.storage.job_artifacts import step_dir

# --- Parsing log lines (pure) ---------------------------------------------------------------------


def test_a_metric_line_gives_one_point_per_name_at_the_line_time():
    assert metrics.parse_line("##studio[metric accuracy=0.93]", t=10.5) == [
        {"name": "accuracy", "value": 0.93, "t": 10.5}
    ]
    assert metrics.parse_line("  ##studio[metric loss=0.4 acc=1; f1=-2e-3 step=7]\r", t=1) == [
        {"name": "loss", "value": 0.4, "t": 1, "step": 7},
        {"name": "acc", "value": 1.0, "t": 1, "step": 7},
        {"name": "f1", "value": -0.002, "t": 1, "step": 7},
    ]
    assert metrics.parse_line("##studio[metric train/loss=.5] trailing text", t=2) == [
        {"name": "train/loss", "value": 0.5, "t": 2}
    ]


@pytest.mark.parametrize(
    "line",
    [
        "accuracy=0.93",
        "##studio[metric]",
        "##studio[metric accuracy]",
        "##studio[metric accuracy=]",
        "##studio[metric accuracy=high]",
        "##studio[metric accuracy=0.9",
        "##studio[metric accuracy=0x10]",
        "##studio[metric accuracy=1_000]",
        "##studio[metric accuracy=0.9 accuracy=0.8]",
        "##studio[metric accuracy=0.9 step=-1]",
        "##studio[metric accuracy=0.9 step=1.5]",
        "##studio[metric accuracy=0.9 step=1 step=2]",
        "##studio[metric bad name=1]",
        "##studio[metric na$me=1]",
        "##studio[metric " + "n" * 101 + "=1]",
        "##studio[metrics accuracy=0.9]",
        "##studio[task.complete]",
        "print('##studio[metric accuracy=0.9]')",
        "##studio[metric step=3]",
    ],
)
def test_malformed_lines_are_ignored(line):
    assert metrics.parse_line(line, t=0) == []


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e400"])
def test_non_finite_values_are_refused(value):
    assert metrics.parse_line(f"##studio[metric loss={value}]", t=0) == []
    assert metrics.parse_number(value) is None


def test_notes_and_build_lines_carry_no_metrics():
    entries = [
        {"seq": 1, "t": 1.0, "line": "##studio[metric a=1]"},
        {"seq": 2, "t": 2.0, "line": "[studio] command: echo '##studio[metric a=9]'"},
        {"seq": 3, "t": 3.0, "line": "##studio[metric a=8]", "source": "build"},
        {"seq": 4, "t": 4.0, "line": "##studio[metric a=2 step=1]"},
        {"seq": 5, "t": 5.0, "line": "just a line"},
    ]
    assert metrics.points_from_entries(entries) == [
        {"name": "a", "value": 1.0, "t": 1.0},
        {"name": "a", "value": 2.0, "t": 4.0, "step": 1},
    ]


def test_points_form_series_over_time():
    points = [
        {"name": "loss", "value": 0.9, "t": 1.0, "step": 0},
        {"name": "acc", "value": 0.5, "t": 1.5},
        {"name": "loss", "value": 0.3, "t": 3.0, "step": 2},
        {"name": "loss", "value": 0.6, "t": 2.0, "step": 1},
    ]
    series = metrics.as_series(points)
    assert list(series) == ["acc", "loss"]
    assert series["loss"] == [
        {"value": 0.9, "t": 1.0, "step": 0},
        {"value": 0.6, "t": 2.0, "step": 1},
        {"value": 0.3, "t": 3.0, "step": 2},
    ]
    assert metrics.last_values(series) == {"acc": 0.5, "loss": 0.3}


# --- Parsing metrics.json (pure) ------------------------------------------------------------------


def test_a_metrics_document_gives_scalars_series_and_stepped_points():
    document = {
        "accuracy": 0.93,
        "loss": [0.9, 0.5, 0.25],
        "lr": [{"value": 0.1, "step": 10}, {"value": 0.01, "step": 20}],
        "f1": {"value": 0.8, "step": 3},
    }
    points = metrics.parse_metrics_document(json.dumps(document), t=5.0)
    assert points == [
        {"name": "accuracy", "value": 0.93, "t": 5.0},
        {"name": "loss", "value": 0.9, "t": 5.0, "step": 0},
        {"name": "loss", "value": 0.5, "t": 5.0, "step": 1},
        {"name": "loss", "value": 0.25, "t": 5.0, "step": 2},
        {"name": "lr", "value": 0.1, "t": 5.0, "step": 10},
        {"name": "lr", "value": 0.01, "t": 5.0, "step": 20},
        {"name": "f1", "value": 0.8, "t": 5.0, "step": 3},
    ]
    assert metrics.as_series(points)["loss"][-1]["value"] == 0.25


def test_a_metrics_document_skips_what_is_not_a_finite_number():
    assert metrics.parse_metrics_document('{"ok": 1, "nan": NaN}', t=0) == []  # not strict JSON: refused
    text = '{"ok": 1, "flag": true, "text": "0.5", "bad name": 1, "step": 4, "mixed": [1, null, 2, 1e999]}'
    assert metrics.parse_metrics_document(text, t=0) == [
        {"name": "ok", "value": 1.0, "t": 0},
        {"name": "mixed", "value": 1.0, "t": 0, "step": 0},
        {"name": "mixed", "value": 2.0, "t": 0, "step": 2},
    ]
    for broken in ("", "[1, 2]", "{", "null", b"\xff\xfe"):
        assert metrics.parse_metrics_document(broken, t=0) == []


# --- Storing and reading --------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db(transaction=True)


@pytest.fixture
def job(db, studio_home):
    spec = {"steps": {"train": {"component": {"name": "train", "version": "1"}}}}
    job = PipelineJob.objects.create(spec=spec, status=JobStatus.RUNNING)
    StepRun.objects.create(job=job, name="train", status=StepStatus.RUNNING)
    yield job
    recording.log_buffer.flush_all(quiet=True)  # while the database is still there


def write_metrics_file(path, document: dict, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    os.utime(path, (mtime, mtime))


@pytestmark_db
def test_logged_metric_lines_are_kept_beside_the_log(job):
    log = StepLog(job.name, "train")
    log.write("epoch 1", at=100.0)
    log.write("##studio[metric loss=0.5 step=1]", at=101.0)
    log.note("##studio[metric loss=99]")
    log.write("##studio[metric loss=oops]", at=102.0)
    log.write("##studio[metric loss=0.25 acc=0.9 step=2]", at=103.0)

    assert metrics.logged_points(job.name, "train") == [
        {"name": "loss", "value": 0.5, "t": 100.0 + 1, "step": 1},
        {"name": "loss", "value": 0.25, "t": 103.0, "step": 2},
        {"name": "acc", "value": 0.9, "t": 103.0, "step": 2},
    ]
    step = job.steps.get()
    assert metrics.metrics_of(step) == {
        "acc": [{"value": 0.9, "t": 103.0, "step": 2}],
        "loss": [{"value": 0.5, "t": 101.0, "step": 1}, {"value": 0.25, "t": 103.0, "step": 2}],
    }


@pytestmark_db
def test_metrics_files_count_once_the_step_ended(job):
    step = job.steps.get()
    folder = step_dir(job.name, "train")
    write_metrics_file(folder / ".work" / "outputs" / "metrics.json", {"accuracy": 0.9}, 200.0)
    write_metrics_file(folder / "model" / "metrics.json", {"auc": [0.7, 0.8]}, 300.0)
    write_metrics_file(folder / "model" / "deeper" / "metrics.json", {"ignored": 1}, 300.0)
    write_metrics_file(folder / "report" / "metrics.json", {"not_a_folder_output": 1}, 300.0)
    step.outputs = {"model": {"type": "uri_folder", "path": str(folder / "model")}}
    step.save()
    StepLog(job.name, "train").write("##studio[metric accuracy=0.5]", at=150.0)

    assert metrics.metrics_of(step) == {"accuracy": [{"value": 0.5, "t": 150.0}]}  # still running

    step.status = StepStatus.COMPLETED
    step.save()
    series = metrics.metrics_of(step)
    assert series == {
        "accuracy": [{"value": 0.5, "t": 150.0}, {"value": 0.9, "t": 200.0}],
        "auc": [{"value": 0.7, "t": 300.0, "step": 0}, {"value": 0.8, "t": 300.0, "step": 1}],
    }
    assert metrics.last_values(series) == {"accuracy": 0.9, "auc": 0.8}


@pytestmark_db
def test_a_reused_step_has_the_metrics_of_the_step_it_reused(job):
    original = job.steps.get()
    StepLog(job.name, "train").write("##studio[metric loss=0.1]", at=10.0)
    original.status = StepStatus.COMPLETED
    original.save()
    second = PipelineJob.objects.create(spec={"steps": {"train": {}}}, status=JobStatus.COMPLETED)
    reused = StepRun.objects.create(
        job=second, name="train", status=StepStatus.COMPLETED, reused_from=original
    )

    assert metrics.metrics_of(reused) == {"loss": [{"value": 0.1, "t": 10.0}]}
    assert metrics.last_metric([job, second], "loss") == {
        job.name: {"value": 0.1, "t": 10.0, "step": "train"},
        second.name: {"value": 0.1, "t": 10.0, "step": "train"},
    }
    assert metrics.last_metric([job], "missing") == {job.name: None}


# --- Live events ----------------------------------------------------------------------------------


@pytestmark_db
def test_metric_lines_become_metric_events_after_their_log_event(job):
    log = StepLog(job.name, "train")
    log.write("starting", at=1.0)
    log.write("##studio[metric loss=0.5 step=1]", at=2.0)
    log.write("##studio[metric loss=nan]", at=3.0)
    recording.log_buffer.flush(job.name, "train")

    frames = reading.events_after(job.pk, 0)
    assert [f["type"] for f in frames] == ["log", "metric"]
    assert frames[1]["step"] == "train"
    assert frames[1]["points"] == [{"name": "loss", "value": 0.5, "t": 2.0, "step": 1}]
    assert [f["seq"] for f in frames] == [1, 2]


@pytestmark_db
def test_a_step_that_ends_publishes_its_file_metrics_before_its_status(job):
    step = job.steps.get()
    folder = step_dir(job.name, "train")
    write_metrics_file(folder / ".work" / "outputs" / "metrics.json", {"accuracy": 0.97}, 500.0)
    step.transition((StepStatus.RUNNING,), StepStatus.COMPLETED)

    frames = reading.events_after(job.pk, 0)
    assert [(f["type"], f.get("status")) for f in frames] == [("metric", None), ("step", "Completed")]
    assert frames[0]["points"] == [{"name": "accuracy", "value": 0.97, "t": 500.0}]


@pytestmark_db
def test_a_step_without_metrics_publishes_no_metric_event(job):
    step = job.steps.get()
    step.transition((StepStatus.RUNNING,), StepStatus.FAILED)
    assert [f["type"] for f in reading.events_after(job.pk, 0)] == ["step"]


@pytestmark_db
def test_a_reused_step_publishes_the_metrics_it_reused(job):
    original = job.steps.get()
    StepLog(job.name, "train").write("##studio[metric loss=0.1]", at=10.0)
    recording.log_buffer.flush(job.name, "train")
    original.status = StepStatus.COMPLETED
    original.save()
    second = PipelineJob.objects.create(spec={"steps": {"train": {}}}, status=JobStatus.RUNNING)
    reused = StepRun.objects.create(job=second, name="train", status=StepStatus.QUEUED)
    reused.transition((StepStatus.QUEUED,), StepStatus.COMPLETED, reused_from=original)

    frames = reading.events_after(second.pk, 0)
    assert [f["type"] for f in frames] == ["metric", "step"]
    assert frames[0]["points"] == [{"name": "loss", "value": 0.1, "t": 10.0}]


# --- REST -----------------------------------------------------------------------------------------


@pytestmark_db
def test_the_rest_api_serves_every_steps_series(job, admin_client, client):
    StepLog(job.name, "train").write("##studio[metric loss=0.5 step=1]", at=1.0)
    StepLog(job.name, "train").write("##studio[metric loss=0.2 step=2]", at=2.0)
    job.spec["steps"]["quiet"] = {"component": {"name": "quiet", "version": "1"}}
    job.save()
    StepRun.objects.create(job=job, name="quiet")
    recording.log_buffer.flush(job.name, "train")

    body = admin_client.get(f"/api/v1/jobs/{job.name}/metrics/").json()
    assert body["job"] == job.name
    assert body["seq"] == JobEvent.objects.filter(job=job).count()
    assert body["steps"] == {
        "train": {
            "metrics": {"loss": [{"value": 0.5, "t": 1.0, "step": 1}, {"value": 0.2, "t": 2.0, "step": 2}]},
            "last": {"loss": 0.2},
        },
        "quiet": {"metrics": {}, "last": {}},
    }
    only = admin_client.get(f"/api/v1/jobs/{job.name}/metrics/", {"step": "quiet"}).json()
    assert list(only["steps"]) == ["quiet"]

    missing_step = admin_client.get(f"/api/v1/jobs/{job.name}/metrics/", {"step": "nope"})
    assert missing_step.status_code == 404 and missing_step.json()["errors"] == {"step": ["not found"]}
    assert admin_client.get("/api/v1/jobs/no_such_job/metrics/").status_code == 404
    assert client.get(f"/api/v1/jobs/{job.name}/metrics/").status_code in (401, 403)


@pytestmark_db
def test_the_job_list_shows_a_chosen_metric(job, admin_client):
    StepLog(job.name, "train").write("##studio[metric accuracy=0.8]", at=1.0)
    StepLog(job.name, "train").write("##studio[metric accuracy=0.9]", at=2.0)
    other = PipelineJob.objects.create(spec={"steps": {}}, status=JobStatus.COMPLETED)

    rows = admin_client.get("/api/v1/jobs/", {"metric": "accuracy"}).json()["results"]
    by_name = {row["name"]: row["metric"] for row in rows}
    assert by_name == {job.name: {"name": "accuracy", "value": 0.9, "step": "train"}, other.name: None}
    plain = admin_client.get("/api/v1/jobs/").json()["results"]
    assert all("metric" not in row for row in plain)
    summaries = admin_client.get("/api/v1/jobs/summaries/", {"metric": "accuracy"}).json()["results"]
    assert {row["name"]: row["metric"] for row in summaries} == by_name


# --- A real job on the local compute --------------------------------------------------------------


@pytestmark_db
def test_a_real_step_reports_metrics_both_ways_and_a_reused_step_keeps_them(
    computes, library, worker, admin_client
):
    from tests.runner.jobs import PIPELINES, submit_file, wait_for

    pipeline = PIPELINES / "metrics" / "pipeline.yml"
    job = wait_for(submit_file(pipeline, default_compute="azureml:local"))
    assert job.status == JobStatus.COMPLETED, job.steps.get().status_reason

    body = admin_client.get(f"/api/v1/jobs/{job.name}/metrics/").json()
    train = body["steps"]["train"]
    assert [(p["value"], p["step"]) for p in train["metrics"]["loss"]] == [(1.0, 1), (0.5, 2), (0.3333, 3)]
    assert train["last"] == {"accuracy": 0.97, "auc": 0.9, "loss": 0.3333}

    frames = reading.events_after(job.pk, 0)
    points = [p for f in frames if f["type"] == "metric" for p in f["points"]]
    assert sorted({p["name"] for p in points}) == ["accuracy", "auc", "loss"]
    completed = next(f["seq"] for f in frames if f["type"] == "step" and f["status"] == "Completed")
    file_event = next(f for f in frames if f["type"] == "metric" and f["points"][0]["name"] != "loss")
    assert file_event["seq"] == completed - 1  # the files' points come right before the step ends

    again = wait_for(submit_file(pipeline, default_compute="azureml:local"))
    reused = again.steps.get()
    assert reused.reused_from_id is not None
    assert admin_client.get(f"/api/v1/jobs/{again.name}/metrics/").json()["steps"] == body["steps"]
    assert any(f["type"] == "metric" for f in reading.events_after(again.pk, 0))

    html = admin_client.get("/jobs/compare/", {"ids": f"{job.name},{again.name}"}).content.decode()
    assert html.count('<td class="compare-value">0.97</td>') == 2
