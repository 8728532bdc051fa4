"""The other lists and summaries with big things present — a job of 10,000 steps (its spec ~10 MB)
run by an endpoint whose version holds the same spec, and a draft of 10,000 nodes: each answers in
a bounded number of queries, and none reads a spec or a graph it does not show.

The job lists themselves (`/api/v1/jobs/`, summaries, metric names, /jobs/, the dashboard) are
pinned by test_metric_queries.py; here also the routes a job's page and `studio job stream` poll.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designer.models import PipelineDraft
from endpoints.models import EndpointInvocation, EndpointVersion, PipelineEndpoint
from runner.choices import JobStatus, StepStatus
from runner.models import PipelineJob, StepRun
from studio.choices import ComputeKind, ComputeState
from studio.models import Compute

pytestmark = pytest.mark.django_db

BIG = 10_000
MAX_QUERIES = 25
# A spec or graph column in a SELECT list (not in an expression the database evaluates, such as
# the count of a graph's nodes).
LARGE_COLUMN = re.compile(r'\."(?:spec|graph)"(?:, "|, T\d|\s+FROM)')


@pytest.fixture(scope="module")
def big_things(django_db_setup, django_db_blocker):
    """Made once for the module (committed, so every test's transaction sees them), removed after."""
    with django_db_blocker.unblock():
        compute = Compute.objects.create(name="big-local", kind=ComputeKind.LOCAL, state=ComputeState.ONLINE)
        spec = {
            "steps": {
                f"s{i}": {"component": {"name": "noop", "spec": {"command": "x" * 1000}}} for i in range(BIG)
            }
        }
        job = PipelineJob.objects.create(name="big_job", spec=spec, status=JobStatus.RUNNING)
        StepRun.objects.bulk_create(
            StepRun(
                job=job,
                name=f"s{i}",
                compute=compute,
                status=StepStatus.RUNNING if i < 4 else StepStatus.QUEUED,
            )
            for i in range(BIG)
        )
        small = PipelineJob.objects.create(name="small_job", spec={"steps": {}}, status=JobStatus.COMPLETED)
        endpoint = PipelineEndpoint.objects.create(name="big-endpoint")
        version = EndpointVersion.objects.create(
            endpoint=endpoint, number=1, spec=spec, parameters=[], source="job", source_ref=job.name
        )
        EndpointInvocation.objects.create(
            endpoint=endpoint, version=version, job=job, caller="user:0", status_code=201
        )
        nodes = [
            {
                "id": f"n{i}",
                "type": "component",
                "position": {"x": 0, "y": 0},
                "data": {"component": "noop:1"},
            }
            for i in range(BIG)
        ]
        draft = PipelineDraft.objects.create(name="big draft", graph={"nodes": nodes, "edges": []})
        yield {"job": job, "small": small, "endpoint": endpoint, "draft": draft}
        draft.delete()
        endpoint.delete()
        PipelineJob.objects.filter(pk__in=[job.pk, small.pk]).delete()
        compute.delete()


@pytest.mark.parametrize(
    "route",
    [
        "/api/v1/drafts/",
        "/designer/",
        "/api/v1/endpoints/",
        "/endpoints/",
        "/endpoints/big-endpoint/",
        "/api/v1/endpoints/big-endpoint/invocations/",
        "/api/v1/endpoints/big-endpoint/runs/",
        "/computes/big-local/",
        "/jobs/compare/?ids=small_job",
        # What the job page and `studio job stream` poll every few seconds.
        "/api/v1/jobs/big_job/metrics/",
        "/api/v1/jobs/big_job/metrics/?step=s1",
        "/api/v1/jobs/big_job/events/",
        "/api/v1/jobs/big_job/steps/s1/logs/",
        "/api/v1/jobs/big_job/steps/s1/outputs/",
    ],
)
def test_lists_read_no_spec_or_graph_and_few_queries(route, big_things, admin_client):
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(route)

    assert response.status_code == 200, response.content[:300]
    queries = [query["sql"] for query in captured.captured_queries]
    large = [sql for sql in queries if LARGE_COLUMN.search(sql)]
    if route.startswith("/jobs/compare/"):  # the compared jobs' own specs are what it shows
        assert all('"runner_pipelinejob"."name" IN (' in sql for sql in large), large
    else:
        assert large == [], [sql[:300] for sql in large]
    assert len(queries) <= MAX_QUERIES, [sql[:200] for sql in queries]


def test_the_lists_still_show_what_they_counted(big_things, admin_client):
    drafts = admin_client.get("/api/v1/drafts/").json()["results"]
    assert [(draft["name"], draft["node_count"]) for draft in drafts] == [("big draft", BIG)]
    assert f"<td>{BIG}</td>" in admin_client.get("/designer/").content.decode()

    [endpoint] = admin_client.get("/api/v1/endpoints/").json()["results"]
    assert endpoint["last_run"]["id"] == "big_job" and endpoint["last_run"]["status"] == JobStatus.RUNNING
    [run] = admin_client.get("/api/v1/endpoints/big-endpoint/runs/").json()["results"]
    assert len(run["Steps"]) == BIG and run["Steps"][0] == {
        "Name": "s0",
        "DisplayName": "",
        "Status": StepStatus.RUNNING,
        "Reused": False,
        "StartedAt": None,
        "FinishedAt": None,
    }
    page = admin_client.get("/computes/big-local/").content.decode()
    assert page.count("/jobs/big_job/") == 4
