"""Big jobs: a limit on steps at every front door, and submit, cancel, clone and layout of 10,000
steps in time that grows with the steps, not with their square (no timing is asserted: a
quadratic algorithm simply does not finish within the test's timeout)."""

from __future__ import annotations

import json

import pytest

from pipelines.graph.layout import LAYER_HEIGHT, layout
from pipelines.spec import PipelineSpec, find_cycle
from runner.choices import JobStatus, StepStatus
from runner.models import PipelineJob, StepRun
from runner.scheduler import advance_job

pytestmark = pytest.mark.django_db

LIMIT = 10_000
COMPONENT = "azureml:run_command:1"


def chain_document(steps: int) -> dict:
    """A pipeline of `steps` run_command steps, each reading the previous one's output."""
    jobs = {}
    for index in range(1, steps + 1):
        job: dict = {"type": "command", "component": COMPONENT}
        if index > 1:
            job["inputs"] = {"input_folder": f"${{{{parent.jobs.s{index - 1}.outputs.output_folder}}}}"}
        jobs[f"s{index}"] = job
    return {"type": "pipeline", "settings": {"default_compute": "azureml:local"}, "jobs": jobs}


def submit(client, document: dict):
    return client.post("/api/v1/jobs/", json.dumps(document), content_type="application/json")


def chain_spec(steps: int) -> dict:
    """The frozen spec of a chain of `steps` steps, as a job stores it (no database needed)."""
    pin = {
        "id": 1,
        "name": "run_command",
        "version": "1",
        "content_hash": "c" * 64,
        "spec": {"inputs": {"input_folder": {"type": "uri_folder", "optional": True}}},
        "environment_id": 1,
        "environment": "python-3.11:1",
        "environment_hash": "e" * 64,
    }
    steps_spec = {}
    for index in range(1, steps + 1):
        inputs = {}
        if index > 1:
            inputs["input_folder"] = {
                "kind": "step_output",
                "step": f"s{index - 1}",
                "output": "output_folder",
            }
        steps_spec[f"s{index}"] = {
            "name": f"s{index}",
            "component": pin,
            "compute": "local",
            "inputs": inputs,
        }
    return PipelineSpec.model_validate({"display_name": "big", "steps": steps_spec}).model_dump(mode="json")


# --- the limit ------------------------------------------------------------------------------------


def test_it_refuses_a_pipeline_of_more_steps_than_the_limit(admin_client):
    response = submit(admin_client, chain_document(LIMIT + 1))

    assert response.status_code == 400, response.content[:500]
    body = response.json()
    assert "at most 10000 steps" in body["detail"] and "10001" in body["detail"], body["detail"]
    assert "STUDIO_MAX_STEPS_PER_JOB" in body["detail"]
    assert body["errors"]["jobs"]
    assert not PipelineJob.objects.exists()


def test_the_designer_and_endpoint_publishing_refuse_it_too(admin_client, settings):
    settings.STUDIO_MAX_STEPS_PER_JOB = 2
    nodes = [
        {
            "id": f"n{i}",
            "type": "component",
            "position": {"x": 0, "y": 0},
            "data": {"component": "run_command:1"},
        }
        for i in range(3)
    ]
    draft = admin_client.post(
        "/api/v1/drafts/", {"name": "three", "graph": {"nodes": nodes}}, content_type="application/json"
    )
    assert draft.status_code == 201, draft.content[:500]

    submitted = admin_client.post(
        f"/api/v1/drafts/{draft.json()['id']}/submit/", {}, content_type="application/json"
    )
    assert submitted.status_code == 400, submitted.content[:500]
    assert "at most 2 steps" in submitted.json()["detail"] and "has 3" in submitted.json()["detail"]

    published = admin_client.post(
        "/api/v1/endpoints/",
        {"name": "too-big", "pipeline": chain_document(3)},
        content_type="application/json",
    )
    assert published.status_code == 400, published.content[:500]
    assert "at most 2 steps" in json.dumps(published.json())
    assert not PipelineJob.objects.exists()


# --- 10,000 steps ---------------------------------------------------------------------------------


def test_a_job_of_10000_steps_is_submitted_and_canceled_through_the_api(admin_client, computes, library):
    response = submit(admin_client, chain_document(LIMIT))
    assert response.status_code == 201, response.content[:500]
    row = response.json()
    assert row["steps"] == LIMIT and row["step_statuses"] == {StepStatus.NOT_STARTED: LIMIT}
    assert len(row["spec"]["steps"]) == LIMIT
    job = PipelineJob.objects.get(name=row["name"])

    advance_job(job.pk)  # the first pass queues the head of the chain
    assert StepRun.objects.get(job=job, name="s1").status == StepStatus.QUEUED
    assert StepRun.objects.filter(job=job, status=StepStatus.NOT_STARTED).count() == LIMIT - 1

    canceled = admin_client.post(f"/api/v1/jobs/{job.name}/cancel/")
    assert canceled.status_code == 202, canceled.content[:500]
    assert canceled.json()["status"] == JobStatus.CANCEL_REQUESTED
    assert canceled.json()["step_statuses"] == {StepStatus.CANCELED: LIMIT}

    advance_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED
    assert admin_client.post(f"/api/v1/jobs/{job.name}/cancel/").status_code == 409


def test_a_job_of_10000_steps_clones_into_a_laid_out_draft(admin_client):
    job = PipelineJob.objects.create(spec=chain_spec(LIMIT), status=JobStatus.COMPLETED)

    response = admin_client.post(f"/api/v1/jobs/{job.name}/clone/")

    assert response.status_code == 201, response.content[:500]
    graph = response.json()["graph"]
    assert len(graph["nodes"]) == LIMIT and len(graph["edges"]) == LIMIT - 1
    positions = {node["id"]: node["position"] for node in graph["nodes"]}
    assert positions["s1"] == {"x": 0, "y": 0}
    assert positions[f"s{LIMIT}"] == {"x": 0, "y": (LIMIT - 1) * LAYER_HEIGHT}
    listed = admin_client.get("/api/v1/drafts/").json()["results"]
    assert [(draft["name"], draft["node_count"]) for draft in listed] == [(f"Clone of {job.name}", LIMIT)]


def test_layout_places_10000_nodes_by_longest_path():
    """Every node reads the one before it and the one 100 before it: 100 layers' worth of
    shortcuts that a layout by shortest path, or by first sighting, would get wrong."""
    size = LIMIT
    nodes = [
        {"id": f"n{i}", "type": "component", "position": {"x": 0, "y": 0}, "data": {}} for i in range(size)
    ]
    edges = [
        {"id": f"{a}-{b}", "source": f"n{a}", "sourceHandle": "o", "target": f"n{b}", "targetHandle": "i"}
        for b in range(size)
        for a in (b - 1, b - 100)
        if a >= 0
    ]
    edges.append(
        {"id": "loop", "source": f"n{size - 1}", "sourceHandle": "o", "target": "n0", "targetHandle": "i"}
    )

    placed = layout({"nodes": nodes[::-1], "edges": edges})["nodes"]

    # The edge back to n0 makes everything a cycle: the first node listed is placed first.
    assert placed[0]["id"] == f"n{size - 1}" and placed[0]["position"] == {"x": 0, "y": 0}
    positions = {node["id"]: node["position"] for node in placed}
    assert positions["n0"] == {"x": 0, "y": LAYER_HEIGHT}
    assert positions[f"n{size - 2}"] == {"x": 0, "y": (size - 1) * LAYER_HEIGHT}
    assert {position["x"] for position in positions.values()} == {0}  # one node a layer


def test_a_cycle_closing_a_chain_of_10000_steps_is_found_without_recursion():
    steps = {f"s{i}": {f"s{i - 1}"} for i in range(1, LIMIT)}
    steps["s0"] = {f"s{LIMIT - 1}"}

    cycle = find_cycle(steps)

    assert cycle is not None and len(cycle) == LIMIT + 1 and cycle[0] == cycle[-1]
