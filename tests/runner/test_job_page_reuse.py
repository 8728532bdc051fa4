"""Why a step was or was not reused: its key parts against the nearest earlier run of its component."""

from __future__ import annotations

import itertools

import pytest

from runner.choices import JobStatus, StepStatus
from runner.models import PipelineJob, StepRun
from runner.reuse_explain import compare_parts, describe_change, explain, nearest_earlier_run

pytestmark = pytest.mark.django_db

_names = itertools.count(1)


def parts(**overrides) -> dict:
    base = {
        "component": "sha256:comp-1",
        "code": "snapshot:code-1",
        "environment": "sha256:env-1",
        "parameters": {"greeting": "hello", "rounds": 3},
        "inputs": {"source": "output:sha256:aaaaaaaaaaaaaaaaaaaa"},
    }
    base.update(overrides)
    return base


def run(
    component: str = "trail_step",
    version: str = "1",
    *,
    step: str = "train",
    status: str = StepStatus.COMPLETED,
    key_parts: dict | None = None,
    outputs: dict | None = None,
    note: str = "not reused: no earlier completed run with this key",
    reused_from: StepRun | None = None,
    steps: dict[str, dict] | None = None,
) -> StepRun:
    """A job with one step (or several, `steps`: name -> run() keyword arguments); the first step."""
    steps = steps or {step: {}}
    spec = {
        "steps": {
            name: {
                "component": {"name": kw.get("component", component), "version": kw.get("version", version)}
            }
            for name, kw in steps.items()
        }
    }
    job = PipelineJob.objects.create(name=f"job_{next(_names)}", spec=spec, status=JobStatus.COMPLETED)
    created = []
    for name, kw in steps.items():
        created.append(
            StepRun.objects.create(
                job=job,
                name=name,
                status=kw.get("status", status),
                reuse_parts=kw.get("key_parts", key_parts if key_parts is not None else parts()),
                reuse_key="key",
                reuse_note=kw.get("note", note),
                reused_from=kw.get("reused_from", reused_from),
                outputs=kw.get("outputs", outputs or {}),
            )
        )
    return created[0]


def test_it_compares_parts_key_by_key():
    before = parts()
    now = parts(
        code="snapshot:code-2",
        parameters={"greeting": "bonjour", "seed": 1},
        inputs={"source": "output:sha256:bbbb"},
    )
    changes = compare_parts(before, now)
    assert [(c["part"], c["name"], c["change"]) for c in changes] == [
        ("code", None, "changed"),
        ("parameters", "greeting", "changed"),
        ("parameters", "rounds", "removed"),
        ("parameters", "seed", "added"),
        ("inputs", "source", "changed"),
    ]
    assert compare_parts(before, parts()) == []
    texts = [describe_change(c) for c in changes]
    assert texts == [
        "code snapshot changed",
        "parameter greeting changed from 'hello' to 'bonjour'",
        "parameter rounds was removed (was 3)",
        "parameter seed was added (1)",
        "input source has different content",
    ]
    component = compare_parts(before, parts(component="sha256:comp-2"))[0]
    assert describe_change(component, versions=("1", "2")) == "component version changed from 1 to 2"
    assert describe_change(component, versions=("1", "1")) == "component definition changed"


def test_it_names_the_parameter_that_changed_since_the_nearest_earlier_run():
    run(key_parts=parts(parameters={"greeting": "hi", "rounds": 3}))  # older still
    previous = run()
    run(status=StepStatus.CANCELED, key_parts={}, note="")  # never got a key: not compared with
    step = run(key_parts=parts(parameters={"greeting": "bonjour", "rounds": 3}))
    explained = explain(step)
    assert explained["reused"] is False
    assert explained["compared_with"]["job"] == previous.job.name
    assert [c["name"] for c in explained["changes"]] == ["greeting"]
    assert explained["summary"] == (
        f"Not reused: since {previous.job.name}/train, parameter greeting changed from 'hello' to 'bonjour'."
    )
    assert explained["parts"]["parameters"] == {"greeting": "bonjour", "rounds": 3}


def test_it_says_the_component_version_and_the_inputs_changed():
    previous = run(version="1")
    step = run(
        version="2",
        key_parts=parts(component="sha256:comp-2", inputs={"source": "output:sha256:cccc"}),
    )
    explained = explain(step)
    assert explained["compared_with"]["version"] == "1"
    assert explained["summary"] == (
        f"Not reused: since {previous.job.name}/train, component version changed from 1 to 2; "
        "input source has different content."
    )


def test_it_compares_only_with_runs_of_the_same_component_from_earlier_jobs():
    other = run(component="something_else", key_parts=parts(code="x"))
    step = run()
    assert nearest_earlier_run(step) is None
    assert "no earlier job ran trail_step" in explain(step)["summary"]
    later = run()
    assert nearest_earlier_run(step) is None  # a later job is not "earlier"
    assert nearest_earlier_run(later) == step
    assert other.pk < step.pk


def test_it_prefers_the_step_of_the_same_name_then_the_closest_match():
    # An older job ran the component as `train`; the newest one as `a` and `b` with other values.
    same_name = run(key_parts=parts(parameters={"greeting": "old", "rounds": 3}))
    newest = run(
        steps={
            "a": {"key_parts": parts(parameters={"greeting": "x", "rounds": 9})},
            "b": {"key_parts": parts(parameters={"greeting": "x", "rounds": 3})},
        }
    )
    probe = run(step="z", key_parts=parts(parameters={"greeting": "x", "rounds": 3}))
    assert nearest_earlier_run(run()) == same_name
    closest = nearest_earlier_run(probe)
    assert (closest.job, closest.name) == (newest.job, "b")  # the newest job's closest run
    assert explain(probe)["summary"] == (
        f"Not reused: {newest.job.name}/b has the same key; it may have finished after this step was "
        "scheduled."
    )


def test_it_explains_a_reused_step_and_a_forced_rerun():
    original = run()
    reused = run(reused_from=original, note=f"reused from {original.job.name}/train: same …")
    explained = explain(reused)
    assert explained["reused"] is True
    assert explained["reused_from"] == {"job": original.job.name, "step": "train"}
    assert explained["summary"].startswith(f"Reused from {original.job.name}/train")
    forced = run(note="not reused: the job asked to force a rerun")
    assert explain(forced)["summary"] == "Not reused: the job asked to force a rerun."
    assert explain(forced)["changes"] == []


def test_it_explains_a_same_key_without_reusable_outputs():
    failed = run(status=StepStatus.FAILED)
    step = run()
    assert explain(step)["summary"] == (
        f"Not reused: {failed.job.name}/train had the same key but ended Failed, "
        "so there was nothing to reuse."
    )
    gone = run(outputs={"out": {"path": "/nonexistent/studio/output", "type": "uri_folder"}})
    later = run()
    assert explain(later)["summary"] == (
        f"Not reused: {gone.job.name}/train had the same key but its outputs no longer exist."
    )


def test_it_explains_a_step_that_has_no_key_yet():
    waiting = run(status=StepStatus.NOT_STARTED, key_parts={}, note="")
    assert explain(waiting)["summary"] == "The reuse key is computed when the step's inputs are ready."
    canceled = run(status=StepStatus.CANCELED, key_parts={}, note="")
    assert "never got a reuse key" in explain(canceled)["summary"]


def test_the_api_serves_the_explanation(admin_client):
    run()
    step = run(key_parts=parts(parameters={"greeting": "bonjour", "rounds": 3}))
    body = admin_client.get(f"/api/v1/jobs/{step.job.name}/steps/train/reuse/").json()
    assert body["step"] == "train"
    assert body["changes"][0]["text"] == "parameter greeting changed from 'hello' to 'bonjour'"
    assert admin_client.get(f"/api/v1/jobs/{step.job.name}/steps/nope/reuse/").status_code == 404
