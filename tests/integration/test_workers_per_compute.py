"""Workers per compute, end to end: PostgreSQL, Redis, `studio serve` and three `studio worker`s.

Two `local` computes, `left` and `right`: two workers take only `left`'s steps, one only `right`'s
(`studio worker --compute NAME`). A fan-out/fan-in job pinned to both completes with each step run
by a worker of its compute; a worker killed with SIGKILL mid-step leaves its step to the other
`left` worker; Redis stopped for 10 s mid-job only delays the job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.integration.production import (
    STUDIO_BIN,
    Studio,
    Worker,
    manage,
    production_studio,
    superuser_token,
)
from tests.servers import REPO_ROOT, free_port, wait_for_port

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

PIPELINE = Path(__file__).parent / "pipelines" / "per_compute" / "pipeline.yml"
STALE_AFTER_SECONDS = 6
JOB_TIMEOUT = 180


class Redis:
    """A Redis of this module's own, which a test may stop and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, process=self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def redis_server():
    server = Redis()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def studio(postgres_url, redis_server) -> Studio:
    with production_studio(
        postgres_url,
        redis_server.url,
        reconcile_seconds=2,
        STUDIO_HEARTBEAT_TIMEOUT_SECONDS=str(STALE_AFTER_SECONDS),
        STUDIO_WORKER_STOP_GRACE_SECONDS="2",
    ) as studio:
        manage(
            studio.env,
            "shell",
            "-c",
            "from studio.models import Compute\n"
            "for name in ('left', 'right'):\n"
            "    Compute.objects.create(name=name, kind='local', state='online', max_concurrent_steps=4)\n",
        )
        yield studio


def start_worker(studio: Studio, name: str, compute: str) -> Worker:
    output = studio.home / f"worker-{name}.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [str(STUDIO_BIN), "worker", "--compute", compute, "--threads", "2"],
            cwd=REPO_ROOT,
            env=studio.env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(process, output)
    wait_until(lambda: "Worker serving computes" in worker.text(), 60, lambda: worker.text())
    return worker


def worker_id(worker: Worker) -> str:
    return f"{os.uname().nodename}:{worker.process.pid}"


def wait_until(condition, timeout: float, explain=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"still waiting after {timeout} s: {explain()}")


def wait_for_job(studio: Studio, job: str, timeout: float = JOB_TIMEOUT) -> dict:
    wait_until(
        lambda: studio.job(job)["status"] in ("Completed", "Failed", "Canceled"),
        timeout,
        lambda: (
            {name: (row["status"], row["status_reason"][:200]) for name, row in studio.steps(job).items()}
            | {"job": studio.job(job)}
        ),
    )
    return studio.job(job)


@pytest.fixture(scope="module")
def workers(studio):
    started = {
        "left-1": start_worker(studio, "left-1", "left"),
        "left-2": start_worker(studio, "left-2", "left"),
        "right": start_worker(studio, "right", "right"),
    }
    yield started
    for worker in started.values():
        worker.stop()


@pytest.fixture(scope="module")
def server(studio, workers):
    port = free_port()
    log = studio.home / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(STUDIO_BIN), "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env=studio.env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, process=process, timeout=60)
    yield f"http://127.0.0.1:{port}", superuser_token(studio.env)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)


def assert_events_complete(studio: Studio, job: str, steps: dict) -> None:
    """The job's events, written by three workers at once: seqs 1..n without a gap (the job's
    counter at n), payloads stored as JSON objects, each step's statuses in order."""
    with studio.db() as connection:
        rows = connection.execute(
            "SELECT e.seq, e.kind, e.step, jsonb_typeof(e.payload), e.payload->>'status', j.event_seq"
            " FROM runner_jobevent e JOIN runner_pipelinejob j ON j.id = e.job_id"
            " WHERE j.name = %s ORDER BY e.seq",
            (job,),
        ).fetchall()
    assert [row[0] for row in rows] == list(range(1, len(rows) + 1)) and rows[-1][5] == len(rows)
    assert {row[3] for row in rows} == {"object"} and "log" in {row[1] for row in rows}
    for name in steps:
        statuses = [row[4] for row in rows if row[1] == "step" and row[2] == name]
        assert statuses == ["Queued", "Preparing", "Running", "Completed"], (name, statuses)


def test_a_fan_out_runs_each_step_on_a_worker_of_its_compute(studio, workers, server):
    job = studio.submit(PIPELINE, pause=0.2)
    assert wait_for_job(studio, job)["status"] == "Completed", studio.steps(job)
    steps = studio.steps(job)
    left = {worker_id(workers["left-1"]), worker_id(workers["left-2"])}
    for name in ("start", "left_a", "join"):
        assert steps[name]["worker_id"] in left, (name, steps[name]["worker_id"], left)
    for name in ("right_a", "right_b"):
        assert steps[name]["worker_id"] == worker_id(workers["right"]), (name, steps[name]["worker_id"])
    assert_events_complete(studio, job, steps)

    url, token = server
    shown = {}
    for compute in ("left", "right"):
        response = requests.get(
            f"{url}/api/v1/computes/{compute}/", headers={"Authorization": f"Token {token}"}, timeout=30
        )
        assert response.status_code == 200, response.text
        shown[compute] = {worker["worker_id"] for worker in response.json()["workers"]}
    assert shown == {"left": left, "right": {worker_id(workers["right"])}}
    cli = subprocess.run(
        [str(STUDIO_BIN), "compute", "show", "right"],
        env={**studio.env, "STUDIO_URL": url, "STUDIO_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert worker_id(workers["right"]) in cli.stdout and "2 threads" in cli.stdout, cli.stdout


def test_a_worker_killed_mid_step_leaves_it_to_the_other_worker_of_its_compute(studio, workers):
    job = studio.submit(PIPELINE, pause=1)
    wait_until(lambda: studio.steps(job)["left_a"]["status"] == "Running", 120, lambda: studio.steps(job))
    holder = studio.steps(job)["left_a"]["worker_id"]
    victim, survivor = (
        (workers["left-1"], workers["left-2"])
        if holder == worker_id(workers["left-1"])
        else (workers["left-2"], workers["left-1"])
    )
    assert holder == worker_id(victim), (holder, worker_id(victim))
    victim.kill()

    assert wait_for_job(studio, job)["status"] == "Completed", studio.steps(job)
    step = studio.steps(job)["left_a"]
    assert step["worker_id"] == worker_id(survivor), step
    lines = [entry["line"] for entry in studio.log(job, "left_a")]
    assert any("recovery:" in line and holder in line for line in lines), lines[-20:]
    workers["left-1"] = survivor  # the module's workers stop at the end: the dead one is gone
    workers["left-2"] = survivor


def test_redis_stopped_for_10_s_mid_job_delays_but_loses_nothing(studio, workers, redis_server):
    job = studio.submit(PIPELINE, pause=0.5)
    wait_until(lambda: studio.steps(job)["right_a"]["status"] == "Running", 120, lambda: studio.steps(job))
    redis_server.stop()
    time.sleep(10)
    redis_server.start()
    assert wait_for_job(studio, job)["status"] == "Completed", studio.steps(job)
    assert {row["status"] for row in studio.steps(job).values()} == {"Completed"}
    for name, worker in workers.items():
        assert worker.process.poll() is None, f"{name} died:\n{worker.text()[-3000:]}"
