"""Endpoint invocations run for real: published from YAML, invoked over REST with a key, executed in
Docker by the embedded worker, the parameter values visible in the outputs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from runner.models import PipelineJob
from tests.endpoints.pipelines import SPLIT_PIPELINE, new_key, publish, with_key
from tests.runner.jobs import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.docker]

RUNS = "/api/v1/endpoints/split-iris/runs"


def rows(job: PipelineJob, output: str) -> int:
    folder = Path(job.steps.get(name="split").outputs[output]["path"])
    with (folder / "data.csv").open() as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_invocations_run_with_their_parameters_on_docker(api, computes, library, worker):
    publish(api)
    publish(api, yaml=SPLIT_PIPELINE.replace("fraction: 0.7", "fraction: 0.4"))
    key = new_key(api)

    default = with_key(key).post(RUNS, {"ParameterAssignments": {"fraction": 0.2, "seed": 3}}, format="json")
    pinned = with_key(key).post(f"{RUNS}?version=2", {"ExperimentName": "pinned"}, format="json")
    assert (default.status_code, pinned.status_code) == (201, 201), (default.json(), pinned.json())

    first = wait_for(PipelineJob.objects.get(name=default.json()["Id"]), timeout=300)
    second = wait_for(PipelineJob.objects.get(name=pinned.json()["Id"]), timeout=300)
    assert first.status == "Completed", first.status_reason
    assert second.status == "Completed", second.status_reason
    assert (rows(first, "first_dataset"), rows(first, "second_dataset")) == (30, 120)  # 0.2 of 150 rows
    assert (rows(second, "first_dataset"), rows(second, "second_dataset")) == (60, 90)  # version 2's 0.4
    assert {s.compute.name for s in first.steps.all()} == {"docker"}

    status = with_key(key).get(default.json()["StatusUrl"]).json()
    assert status["Status"] == "Completed" and status["Version"] == 1
    assert [(s["Name"], s["Status"]) for s in status["Steps"]] == [
        ("load", "Completed"),
        ("split", "Completed"),
    ]
    assert status["Parameters"] == {"fraction": 0.2, "seed": 3}
