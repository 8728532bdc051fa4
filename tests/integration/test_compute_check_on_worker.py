"""A compute's health check runs on a worker that serves it, as in the compose deployment: the web
process (`studio serve`) has no Docker socket, the `studio worker --compute docker` has the
host's. PostgreSQL, Redis and both processes are real; the check goes through the REST API.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
import requests

from tests.integration.production import (
    STUDIO_BIN,
    Studio,
    Worker,
    production_studio,
    superuser_token,
)
from tests.servers import REPO_ROOT, free_port, wait_for_port

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.docker]

# The web process's Docker socket: none (compose gives the web service no socket, by design).
NO_SOCKET = "unix:///nonexistent/docker.sock"


def wait_until(condition, timeout: float, explain=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"still waiting after {timeout} s: {explain()}")


def compute_row(studio: Studio) -> dict:
    with studio.db() as connection:
        state, detail, checked_at = connection.execute(
            "SELECT state, state_detail, checked_at FROM studio_compute WHERE name = 'docker'"
        ).fetchone()
    return {"state": state, "detail": detail, "checked_at": checked_at}


def mark_offline(studio: Studio) -> None:
    """What a probe from the web process used to record."""
    with studio.db() as connection:
        connection.execute(
            "UPDATE studio_compute SET state = 'offline', state_detail = 'Cannot connect (test)',"
            " checked_at = now() - interval '1 hour' WHERE name = 'docker'"
        )


@pytest.fixture(scope="module")
def studio(postgres_url, redis_url):
    with production_studio(postgres_url, redis_url) as studio:
        yield studio


@pytest.fixture(scope="module")
def server(studio):
    """`studio serve` whose Docker endpoint does not exist; (base URL, API token)."""
    port = free_port()
    log = studio.home / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(STUDIO_BIN), "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env={**studio.env, "STUDIO_DOCKER_URL": NO_SOCKET},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, process=process, timeout=60)
    yield f"http://127.0.0.1:{port}", superuser_token(studio.env)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)


def start_worker(studio: Studio) -> Worker:
    output = studio.home / "worker.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [str(STUDIO_BIN), "worker", "--compute", "docker", "--threads", "1"],
            cwd=REPO_ROOT,
            env=studio.env,  # the host's Docker socket
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Worker(process, output)


def test_a_check_from_the_web_runs_on_the_worker_that_reaches_the_engine(studio, server):
    base, token = server
    headers = {"Authorization": f"Bearer {token}"}
    check = f"{base}/api/v1/computes/docker/check/"
    mark_offline(studio)

    # No worker yet: the web says so and leaves the state alone (it would have probed: Offline).
    answer = requests.post(check, headers=headers, timeout=30)
    assert answer.status_code == 409, answer.text
    assert answer.json()["detail"] == "No worker serves docker: start `studio worker --compute docker`"
    assert compute_row(studio)["detail"] == "Cannot connect (test)"

    worker = start_worker(studio)
    try:
        # The worker checks what it starts serving: Online, from its host.
        wait_until(
            lambda: compute_row(studio)["state"] == "online", 60, lambda: (compute_row(studio), worker.text())
        )
        wait_until(
            lambda: requests.get(f"{base}/api/v1/computes/docker/", headers=headers, timeout=30).json()[
                "workers"
            ],
            30,
            worker.text,
        )
        mark_offline(studio)
        answer = requests.post(check, headers=headers, timeout=30)
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert body["check"]["requested"] and len(body["check"]["workers"]) == 1
        assert body["state"] == "offline"  # not probed by the web process
        wait_until(
            lambda: compute_row(studio)["state"] == "online", 30, lambda: (compute_row(studio), worker.text())
        )
        assert compute_row(studio)["detail"].startswith("Docker ")  # "Docker <version>, N CPUs"
    finally:
        worker.stop()
