"""A `studio worker` killed with SIGKILL while it builds a step's environment image.

Its build claim must die with it: the step's heartbeat and the build's lease both go stale after
STUDIO_HEARTBEAT_TIMEOUT_SECONDS, a new worker's reconciler retries the step once (saying the
worker stopped while preparing), the retry takes the dead build over and builds the image, and
no step thread stays parked on the dead build: the new worker has a single step thread, and an
unrelated job submitted right after the kill completes too.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tests.integration.production import Studio, Worker, docker_client, production_studio

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.postgres]

HEARTBEAT_TIMEOUT = 6
BUILD_SECONDS = 8
BASE_IMAGE = "studio/python:3.11-bookworm"


def _write_pipeline(folder: Path, name: str, *, dockerfile: str | None, command: str) -> Path:
    folder.mkdir(parents=True)
    environment = "azureml:python-3.11@latest"
    if dockerfile is not None:
        (folder / "env").mkdir()
        (folder / "env" / "Dockerfile").write_text(dockerfile)
        environment = "\n  build: {path: ./env}"
    (folder / "component.yml").write_text(
        f"type: command\nname: {name}\nenvironment: {environment}\ncommand: {command}\n"
    )
    (folder / "pipeline.yml").write_text(
        "type: pipeline\nexperiment_name: build-crash-tests\n"
        "settings: {default_compute: azureml:docker, force_rerun: true}\n"
        "jobs:\n  only:\n    type: command\n    component: ./component.yml\n"
    )
    return folder / "pipeline.yml"


def _build_row(where: Studio, job: str) -> dict | None:
    with where.db() as connection, connection.cursor(row_factory=psycopg.rows.dict_row) as cursor:
        return cursor.execute(
            "SELECT i.status, i.builds, i.builder, i.log FROM runner_environmentimage i"
            " JOIN runner_steprun s ON s.environment_id = i.environment_id"
            " JOIN runner_pipelinejob j ON j.id = s.job_id WHERE j.name = %s AND i.target = ''",
            (job,),
        ).fetchone()


def _log_lines(where: Studio, job: str) -> list[str]:
    return [entry["line"] for entry in where.log(job, "only")]


@dataclass
class Outcome:
    """What happened around the crash, for the tests to assert on (and to explain a failure)."""

    studio: Studio
    job: str = ""
    other_job: str = ""
    workers: list[Worker] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recovery_seconds: float = 0.0
    final_job: dict = field(default_factory=dict)
    final_step: dict = field(default_factory=dict)
    other_final: dict = field(default_factory=dict)
    build: dict = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(f"{time.strftime('%X')} {text}")

    def start_worker(self, *, threads: int) -> Worker:
        output = self.studio.home / f"worker-build-crash-{len(self.workers) + 1}.log"
        worker = self.studio.start_worker(output, threads=threads)
        self.workers.append(worker)
        self.note(f"started worker {worker.process.pid} with {threads} step threads")
        return worker

    def diagnostics(self) -> str:
        parts = [f"job {self.job}, unrelated job {self.other_job}", *self.notes]
        if self.job:
            parts += [f"job: {self.studio.job(self.job)}", f"steps: {self.studio.steps(self.job)}"]
            parts += [
                f"build: {_build_row(self.studio, self.job)}",
                "--- log:",
                *_log_lines(self.studio, self.job),
            ]
        for worker in self.workers:
            parts.append(f"--- {worker.output.name} (exit {worker.process.poll()}):\n{worker.text()[-6000:]}")
        return "\n".join(parts)

    def wait(self, what: str, condition, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.3)
        pytest.fail(f"timed out after {timeout} s waiting for {what}\n{self.diagnostics()}", pytrace=False)


@pytest.fixture(scope="module")
def build_crash(postgres_url: str, redis_url: str, tmp_path_factory) -> Iterator[Outcome]:
    marker = uuid.uuid4().hex[:12]
    folder = tmp_path_factory.mktemp("build-crash")
    slow = _write_pipeline(
        folder / "slow",
        f"slow_build_{marker}",
        dockerfile=f"FROM {BASE_IMAGE}\nRUN echo building-{marker} && sleep {BUILD_SECONDS}\n",
        command="echo ran-after-the-build",
    )
    other = _write_pipeline(
        folder / "other", f"unrelated_{marker}", dockerfile=None, command="echo unrelated"
    )
    timeout = str(HEARTBEAT_TIMEOUT)
    with production_studio(postgres_url, redis_url, STUDIO_HEARTBEAT_TIMEOUT_SECONDS=timeout) as studio:
        outcome = Outcome(studio)
        try:
            outcome.job = studio.submit(slow)
            first = outcome.start_worker(threads=2)

            def building() -> bool:
                row = _build_row(studio, outcome.job)
                return (
                    bool(row) and row["status"] == "building" and f"building-{marker}" in (row["log"] or "")
                )

            outcome.wait("the image build to be running", building, timeout=240)
            first.kill()
            outcome.note("SIGKILLed the first worker in the middle of the image build")
            killed_at = time.monotonic()
            second = outcome.start_worker(threads=1)
            outcome.other_job = studio.submit(other)

            def both_ended() -> bool:
                ended = ("Completed", "Failed", "Canceled")
                return all(studio.job(name)["status"] in ended for name in (outcome.job, outcome.other_job))

            outcome.wait("both jobs to end", both_ended, timeout=HEARTBEAT_TIMEOUT + BUILD_SECONDS + 150)
            outcome.recovery_seconds = time.monotonic() - killed_at
            outcome.final_job = studio.job(outcome.job)
            outcome.final_step = studio.steps(outcome.job)["only"]
            outcome.other_final = studio.job(outcome.other_job)
            outcome.build = _build_row(studio, outcome.job)
            outcome.lines = _log_lines(studio, outcome.job)
            assert second.process.poll() is None, outcome.diagnostics()
            yield outcome
        finally:
            for worker in outcome.workers:
                worker.stop()
            client = docker_client()
            for image in client.images.list(filters={"label": "studio.purpose=environment"}):
                if any(marker in tag for tag in image.tags):
                    client.images.remove(image.id, force=True)


def test_a_build_killed_with_its_worker_is_taken_over_and_the_step_completes(build_crash):
    assert build_crash.final_job["status"] == "Completed", build_crash.diagnostics()
    step = build_crash.final_step
    assert step["status"] == "Completed" and step["attempt"] == 2, build_crash.diagnostics()
    assert build_crash.build["status"] == "ready" and build_crash.build["builds"] == 2, build_crash.build
    assert any("stopped while building its environment" in line for line in build_crash.lines)
    assert any("stopped (no heartbeat since" in line for line in build_crash.lines), build_crash.lines
    assert "ran-after-the-build" in build_crash.lines


def test_recovery_takes_about_the_heartbeat_timeout_plus_the_build(build_crash):
    # the step's heartbeat goes stale, the reconciler passes, the retry waits out its backoff and
    # takes the build over: a few timeouts and one build, not the hour a dead build held before
    limit = 3 * HEARTBEAT_TIMEOUT + BUILD_SECONDS + 90
    assert build_crash.recovery_seconds < limit, build_crash.diagnostics()


def test_no_step_thread_stays_parked_on_the_dead_build(build_crash):
    # the new worker has one step thread: the unrelated job ran, so it was not left waiting
    assert build_crash.other_final["status"] == "Completed", build_crash.diagnostics()
