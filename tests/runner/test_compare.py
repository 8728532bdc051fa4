"""`/jobs/compare?ids=…`: parameters (differences highlighted), metrics and durations side by side."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from runner import compare_views
from runner.choices import JobStatus, StepStatus
from runner.logs import StepLog
from runner.models import PipelineJob, StepRun

pytestmark = pytest.mark.django_db(transaction=True)


def spec(lr: float, *, seed: int = 42, fraction_from_input: bool = False, version: str = "1") -> dict:
    pin = {"name": "train", "version": version}
    train_inputs = {
        "seed": {"kind": "literal", "value": seed},
        "fraction": {"kind": "literal", "value": 0.8},
        "data": {"kind": "step_output", "step": "load", "output": "dataset"},
    }
    return {
        "inputs": {
            "lr": {"kind": "literal", "value": lr},
            "raw": {"kind": "data", "type": "uri_file", "asset": "iris:1"},
        },
        "steps": {
            "load": {"component": {"name": "load", "version": "1"}, "inputs": {}},
            "train": {
                "component": pin,
                "inputs": train_inputs,
                "input_sources": {"fraction": "frac"} if fraction_from_input else {},
            },
        },
    }


def make_job(name: str, job_spec: dict, *, minutes: float, metrics: list[str] = ()) -> PipelineJob:
    start = timezone.now() - timedelta(hours=1)
    job = PipelineJob.objects.create(
        name=name,
        spec=job_spec,
        status=JobStatus.COMPLETED,
        started_at=start,
        finished_at=start + timedelta(minutes=minutes),
    )
    StepRun.objects.create(
        job=job,
        name="load",
        status=StepStatus.COMPLETED,
        started_at=start,
        finished_at=start + timedelta(seconds=4.2),
    )
    StepRun.objects.create(
        job=job,
        name="train",
        status=StepStatus.COMPLETED,
        started_at=start + timedelta(seconds=5),
        finished_at=start + timedelta(minutes=minutes),
    )
    log = StepLog(name, "train")
    for at, line in enumerate(metrics, 1):
        log.write(line, at=float(at))
    return job


@pytest.fixture
def two_jobs(studio_home):
    from runner.events import recording

    first = make_job(
        "run_one", spec(0.1), minutes=3, metrics=["##studio[metric acc=0.5]", "##studio[metric acc=0.75]"]
    )
    second = make_job("run_two", spec(0.01), minutes=65, metrics=["##studio[metric acc=0.9 loss=0.25]"])
    recording.log_buffer.flush_all()
    return first, second


def rows_of(html: str, section: str) -> dict[str, tuple[bool, list[str]]]:
    """{label: (highlighted, [cell texts])} of one section of the comparison table."""
    body = re.search(rf'<tbody class="compare-section" id="compare-{section}">(.*?)</tbody>', html, re.S)
    assert body, html
    rows = {}
    for attrs, label, cells in re.findall(
        r'<tr( class="is-different")?>\s*<th scope="row">(.*?)</th>(.*?)</tr>', body.group(1), re.S
    ):
        text = re.sub(r"<[^>]+>", "|", label).split("|")
        key = " / ".join(part for part in text if part)
        rows[key] = (bool(attrs), re.findall(r'<td class="compare-value">(.*?)</td>', cells, re.S))
    return rows


def test_it_shows_parameters_metrics_and_durations_side_by_side(two_jobs, admin_client):
    response = admin_client.get("/jobs/compare/", {"ids": "run_one,run_two"})
    assert response.status_code == 200
    html = response.content.decode()

    parameters = rows_of(html, "parameters")
    assert parameters["lr / pipeline input"] == (True, ["0.1", "0.01"])
    assert parameters["raw / pipeline input"] == (False, ["iris:1", "iris:1"])
    assert parameters["train / component"] == (False, ["train:1", "train:1"])
    assert parameters["train.seed / step input"] == (False, ["42", "42"])
    assert parameters["train.fraction / step input"] == (False, ["0.8", "0.8"])
    assert not any(label.startswith("train.data") for label in parameters)  # wiring, not a value

    assert rows_of(html, "metrics") == {
        "acc / train": (False, ["0.75", "0.9"]),  # metrics differ by nature: not highlighted
        "loss / train": (False, ["—", "0.25"]),
    }
    durations = rows_of(html, "durations")
    assert durations["job / total"][1] == ["3 min 00 s", "1 h 05 min"]
    assert durations["load / step"][1] == ["4.2 s", "4.2 s"]
    assert "1 of 6 differ" in html


def test_only_differing_parameters_on_request(two_jobs, admin_client):
    html = admin_client.get("/jobs/compare/", {"ids": "run_one,run_two", "only": "diff"}).content.decode()
    assert list(rows_of(html, "parameters")) == ["lr / pipeline input"]
    assert len(rows_of(html, "durations")) == 3  # only parameters are filtered


def test_the_address_without_a_slash_works_too(two_jobs, admin_client):
    response = admin_client.get("/jobs/compare?ids=run_one,run_two", follow=True)
    assert response.status_code == 200 and b"run_two" in response.content


def test_unknown_jobs_are_named_and_the_rest_compared(two_jobs, admin_client):
    response = admin_client.get("/jobs/compare/", {"ids": "run_one,ghost,run_one"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "No job named <code>ghost</code>" in html
    assert rows_of(html, "parameters")["lr / pipeline input"] == (False, ["0.1"])

    missing = admin_client.get("/jobs/compare/", {"ids": "ghost,phantom"})
    assert missing.status_code == 404
    assert b"None of these jobs exist." in missing.content and b"<code>phantom</code>" in missing.content


def test_it_explains_what_to_pass(admin_client):
    empty = admin_client.get("/jobs/compare/")
    assert empty.status_code == 400 and b"Choose the jobs to compare" in empty.content
    many = admin_client.get("/jobs/compare/", {"ids": ",".join(f"j{n}" for n in range(11))})
    assert many.status_code == 400 and b"at most 10 jobs" in many.content


def test_it_needs_a_signed_in_user(two_jobs, client):
    response = client.get("/jobs/compare/", {"ids": "run_one,run_two"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- The table's pieces ---------------------------------------------------------------------------


def test_a_step_input_fed_by_a_pipeline_input_says_so_and_versions_differ(studio_home):
    first = make_job("a1", spec(0.1, version="1"), minutes=1)
    second = make_job("a2", spec(0.1, version="2", seed=7, fraction_from_input=True), minutes=1)
    rows = {row.label + "/" + row.hint: row for row in compare_views.parameter_rows([first, second])}
    assert rows["train/component"].values == ["train:1", "train:2"] and rows["train/component"].differs
    assert rows["train.seed/step input"].values == ["42", "7"]
    assert rows["train.fraction/step input"].values == ["0.8", "= inputs.frac"]


def test_requested_names_and_durations_read_well():
    assert compare_views.requested_names(" a, b,,a c ") == ["a", "b", "c"]
    assert compare_views.duration_text(None) == "—"
    assert compare_views.duration_text(59.94) == "59.9 s"
    assert compare_views.duration_text(185) == "3 min 05 s"
    assert compare_views.duration_text(3 * 3600 + 60) == "3 h 01 min"
    assert compare_views.binding_text({"kind": "literal", "value": True}) == "true"
    assert compare_views.binding_text({"kind": "data", "url": "https://x/y.csv"}) == "https://x/y.csv"
