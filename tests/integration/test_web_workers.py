"""`studio serve --workers 2` for real, on PostgreSQL and Redis: two web processes share the port
and each answers; concurrent endpoint invocations all succeed; SIGTERM stops the supervisor with
exit 0 and no child left; a supervisor killed outright takes its children with it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.integration.production import (
    ECHO_PIPELINE,
    STUDIO_BIN,
    Studio,
    healthz_answers,
    production_studio,
    superuser_token,
)
from tests.servers import REPO_ROOT, free_port

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

PIPELINE = ECHO_PIPELINE


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as gone)."""
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


class Serve:
    """A `studio serve --workers 2` in its own process group; its web workers once both serve."""

    def __init__(self, studio: Studio, name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = studio.home / f"{name}.log"
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [str(STUDIO_BIN), "serve", "--no-migrate", "--workers", "2", "--port", str(self.port)],
                cwd=REPO_ROOT,
                env={**studio.env, "STUDIO_HOST": "127.0.0.1"},
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a failed test still reaps the whole group
            )
        self.workers: list[int] = []
        wait_until(self._two_workers, 60, f"two web workers never started:\n{self.text()}")
        wait_until(self._answers, 60, f"/healthz never answered:\n{self.text()}")

    def _two_workers(self) -> bool:
        assert self.process.poll() is None, self.text()
        # The spawned children; multiprocessing's resource tracker is another child.
        self.workers = [pid for pid in children(self.process.pid) if "multiprocessing.spawn" in cmdline(pid)]
        return len(self.workers) == 2

    def _answers(self) -> bool:
        return healthz_answers(self.url)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def descendants(self) -> list[int]:
        return [*children(self.process.pid), *self.workers]

    def close(self) -> None:
        """Whatever is left of the group, killed (a test that failed half-way)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def studio(postgres_url, redis_url):
    with production_studio(postgres_url, redis_url) as made:
        yield made


@pytest.fixture(scope="module")
def token(studio):
    return superuser_token(studio.env)


def test_two_web_processes_serve_and_sigterm_stops_them(studio, token):
    serve = Serve(studio, "serve-term")
    try:
        first, second = serve.workers
        # Each process answers alone while the other is paused (briefly: the supervisor restarts
        # a child that misses its health checks for 5 s). A new connection per request.
        for paused, serving in ((first, second), (second, first)):
            os.kill(paused, signal.SIGSTOP)
            try:
                answer = requests.get(f"{serve.url}/healthz", timeout=4)
            finally:
                os.kill(paused, signal.SIGCONT)
            assert answer.status_code == 200, (serving, answer.text)
            assert answer.json()["broker"] == "redis"

        headers = {"Authorization": f"Bearer {token}"}
        published = requests.post(
            f"{serve.url}/api/v1/endpoints/",
            json={"name": "echo", "yaml": PIPELINE, "make_default": True},
            headers=headers,
            timeout=60,
        )
        assert published.status_code == 201, published.text

        def invoke(n: int) -> int:
            body = {"ParameterAssignments": {"script": f"echo {n}"}}
            response = requests.post(
                f"{serve.url}/api/v1/endpoints/echo/runs", json=body, headers=headers, timeout=60
            )
            return response.status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(invoke, range(16)))
        assert codes == [201] * 16
        with studio.db() as connection:
            count = connection.execute("SELECT count(*) FROM endpoints_endpointinvocation").fetchone()[0]
        assert count == 16

        started = serve.descendants()
        serve.process.send_signal(signal.SIGTERM)
        assert serve.process.wait(timeout=40) == 0, serve.text()
        wait_until(lambda: not any(alive(pid) for pid in started), 10, f"left running: {started}")
        log = serve.text()
        assert "with 2 web processes" in log
        assert "Traceback" not in log, log
    finally:
        serve.close()


def test_web_processes_end_with_a_supervisor_killed_outright(studio):
    serve = Serve(studio, "serve-kill")
    try:
        serve.process.kill()  # the supervisor alone, not its group
        serve.process.wait(timeout=10)
        wait_until(
            lambda: not any(alive(pid) for pid in serve.workers),
            20,
            f"web workers {serve.workers} outlived their supervisor:\n{serve.text()}",
        )
    finally:
        serve.close()
