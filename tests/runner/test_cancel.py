"""Cancel: running containers stop, nothing else starts, and the job ends Canceled exactly once."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import docker
import pytest
from django.db import connection

from pipelines.compiler import compile_pipeline
from runner.actions import request_cancel, submit_pipeline
from runner.choices import JOB_TERMINAL, JobStatus, StepStatus
from runner.logs import read_log
from runner.models import PipelineJob
from runner.scheduler import advance_job
from studio.choices import ComputeState
from studio.schemas.loading import load_document
from tests.runner.containers import containers_gone, containers_of
from tests.runner.jobs import PIPELINES, submit_file, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.docker]

CANCEL = PIPELINES / "cancel" / "pipeline.yml"
SINGLE = PIPELINES / "cancel" / "single.yml"
SLOW_INPUT = PIPELINES / "cancel" / "slow_input.yml"
ON_DOCKER = {"default_compute": "azureml:docker"}


def steps_of(job: PipelineJob) -> dict:
    return {step.name: step for step in job.steps.all()}


def step_running(name: str):
    def check(job: PipelineJob) -> bool:
        step = job.steps.get(name=name)
        assert not job.is_terminal, (job.status, job.status_reason, step.status_reason)
        return step.status == StepStatus.RUNNING and bool(step.container_id)

    return check


def assert_stays(job: PipelineJob, status: str) -> None:
    """The job keeps its one terminal status, even when the scheduler looks at it again."""
    job.refresh_from_db()
    finished = job.finished_at
    assert job.status == status and finished is not None
    advance_job(job.pk)
    time.sleep(0.5)
    job.refresh_from_db()
    assert (job.status, job.finished_at) == (status, finished)


def test_cancel_stops_the_running_container_and_starts_nothing_else(
    computes, library, worker, container_events
):
    job = submit_file(CANCEL, **ON_DOCKER)
    wait_for(job, timeout=60, until=step_running("a"))
    assert [c.status for c in containers_of(job.name, step="a")] == ["running"]

    started = time.monotonic()
    assert request_cancel(job) is True
    wait_for(job, timeout=15)
    assert containers_gone(job.name, within=15 - (time.monotonic() - started), step="a"), containers_of(
        job.name
    )
    assert time.monotonic() - started < 15

    steps = steps_of(job)
    assert job.status == JobStatus.CANCELED, job.status_reason
    assert job.status_reason == "canceled by request"
    assert steps["a"].status == StepStatus.CANCELED, steps["a"].status_reason
    assert steps["b"].status == StepStatus.CANCELED, steps["b"].status_reason
    assert steps["b"].attempt == 0 and steps["b"].container_id == "" and steps["b"].started_at is None
    assert containers_of(job.name) == []
    assert container_events.count(job.name, "a") == 1
    assert container_events.count(job.name, "b") == 0
    assert any("canceling" in line["line"] for line in read_log(job.name, "a"))
    assert_stays(job, JobStatus.CANCELED)


def test_cancel_of_a_job_whose_steps_all_wait(computes, library, worker, container_events):
    computes["docker"].state = ComputeState.DRAINING
    computes["docker"].save(update_fields=["state"])
    job = submit_file(CANCEL, **ON_DOCKER)
    wait_for(job, timeout=15, until=lambda j: j.steps.get(name="a").status == StepStatus.QUEUED)
    time.sleep(1.5)  # the worker has tried (and put off) the step a few times
    assert job.steps.get(name="a").status == StepStatus.QUEUED

    assert request_cancel(job) is True
    wait_for(job, timeout=15)
    assert job.status == JobStatus.CANCELED
    for step in job.steps.all():
        assert step.status == StepStatus.CANCELED, (step.name, step.status_reason)
        assert step.attempt == 0 and step.container_id == ""
    assert container_events.count(job.name) == 0
    assert_stays(job, JobStatus.CANCELED)
    assert request_cancel(job) is False  # it has ended


def test_cancelling_an_ended_job_returns_false(computes, library, worker):
    job = wait_for(submit_file(SINGLE, **ON_DOCKER), timeout=60)
    assert job.status == JobStatus.COMPLETED, job.status_reason
    assert request_cancel(job) is False
    assert request_cancel(PipelineJob.objects.get(pk=job.pk)) is False
    assert_stays(job, JobStatus.COMPLETED)


def test_the_cancel_route_accepts_then_conflicts(computes, library, worker, admin_client):
    computes["docker"].state = ComputeState.DRAINING
    computes["docker"].save(update_fields=["state"])
    job = submit_file(CANCEL, **ON_DOCKER)
    url = f"/api/v1/jobs/{job.name}/cancel/"

    response = admin_client.post(url)
    assert response.status_code == 202, response.content
    assert response.json()["status"] in (JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED)
    wait_for(job, timeout=15)
    assert job.status == JobStatus.CANCELED

    response = admin_client.post(url)
    assert response.status_code == 409, response.content
    assert "already ended" in response.json()["detail"]
    assert admin_client.post("/api/v1/jobs/no_such_job/cancel/").status_code == 404


def test_a_step_ending_as_the_cancel_arrives_leaves_one_terminal_status(computes, library, worker):
    """Cancel each job just as (or just after) its only container exits: the moment the worker is
    collecting the result. Either the cancel came first (Canceled) or the job had ended
    (Completed, and the cancel says so); never Running, never both."""
    computes["docker"].max_concurrent_steps = 4
    computes["docker"].save(update_fields=["max_concurrent_steps"])
    delays = [0.0, 0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8]
    answers: dict[str, bool] = {}
    client = docker.from_env()
    stream = client.api.events(
        decode=True, filters={"type": "container", "event": "die", "label": "studio.job"}
    )
    delay_of: dict[str, float] = {}

    def cancel_on_exit() -> None:
        try:
            for event in stream:
                name = (event.get("Actor") or {}).get("Attributes", {}).get("studio.job")
                if name in delay_of and name not in answers:
                    time.sleep(delay_of[name])
                    answers[name] = request_cancel(PipelineJob.objects.get(name=name))
        except Exception:
            return
        finally:
            connection.close()

    listener = threading.Thread(target=cancel_on_exit, daemon=True)
    listener.start()
    try:
        jobs = []
        for delay in delays:
            job = submit_file(SINGLE, **ON_DOCKER)
            delay_of[job.name] = delay
            jobs.append(job)
        for job in jobs:
            wait_for(job, timeout=60)
    finally:
        stream.close()
        client.close()
        listener.join(timeout=5)

    outcomes = []
    for job in jobs:
        step = job.steps.get()
        assert job.name in answers, f"{job.name}: its container never exited"
        assert job.status in JOB_TERMINAL
        if answers[job.name]:
            assert job.status == JobStatus.CANCELED, (job.status, step.status, step.status_reason)
            assert step.status in (StepStatus.COMPLETED, StepStatus.CANCELED)
        else:
            assert job.status == JobStatus.COMPLETED
            assert step.status == StepStatus.COMPLETED
        assert_stays(job, job.status)
        outcomes.append((answers[job.name], job.status, step.status))
    assert any(answer for answer, _, _ in outcomes), outcomes  # the race was really run


@pytest.fixture
def slow_server(settings):
    """An HTTP server whose answers wait until the test releases them (on loopback: allowed)."""
    settings.STUDIO_ALLOW_PRIVATE_URLS = True
    requested, release = threading.Event(), threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            requested.set()
            release.wait(20)
            body = b"x,y\n1,2\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.requested, server.release = requested, release
    yield server
    release.set()
    server.shutdown()
    server.server_close()


def test_a_step_canceled_while_preparing_never_starts_a_container(
    computes, library, worker, container_events, slow_server
):
    document, index = load_document(SLOW_INPUT.read_bytes(), filename=str(SLOW_INPUT))
    document["settings"] = dict(ON_DOCKER)
    document["inputs"]["table"]["path"] = f"http://127.0.0.1:{slow_server.server_port}/table.csv"
    spec = compile_pipeline(document, index=index, filename=str(SLOW_INPUT), base_dir=SLOW_INPUT.parent)
    job = submit_pipeline(spec)
    assert slow_server.requested.wait(30), "the step never fetched its input"
    assert job.steps.get().status == StepStatus.PREPARING

    assert request_cancel(job) is True
    time.sleep(0.5)
    slow_server.release.set()
    wait_for(job, timeout=20)
    step = job.steps.get()
    assert job.status == JobStatus.CANCELED
    assert step.status == StepStatus.CANCELED, step.status_reason
    assert containers_gone(job.name, within=5)
    assert container_events.count(job.name) == 0
