"""Web requests on PostgreSQL hold no more connections than they need, for real.

Under ASGI each request runs in a thread of its own, so a persistent connection per thread was
one connection per request, open until collected (2 -> 82 backends in 8 s at 50 requests/s;
two web processes reached `max_connections` and answered 500). Now `studio serve` takes them
from a pool of STUDIO_DB_POOL_MAX_SIZE per web process, and `studio up` closes a request's
connection when the request ends. Concurrent clients hammer each server while a sampler
counts the database's backends in pg_stat_activity; every answer must be 2xx.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests

from config.request_connections import DETAIL
from tests.integration.production import (
    ECHO_PIPELINE,
    STUDIO_BIN,
    healthz_answers,
    production_studio,
    superuser_token,
)
from tests.servers import REPO_ROOT, free_port

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

CLIENTS = 16
POOL_MAX = 3
WEB_PROCESSES = 2
PIPELINE = ECHO_PIPELINE


@pytest.fixture(scope="module")
def studio(postgres_url, redis_url):
    with production_studio(postgres_url, redis_url, STUDIO_ENDPOINT_RATE_LIMIT="off") as made:
        yield made


@pytest.fixture(scope="module")
def token(studio):
    return superuser_token(studio.env)


class Server:
    """A `studio` server command in its own process group, once /healthz answers."""

    def __init__(self, studio, args: list[str], name: str, **variables: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = studio.home / f"{name}.log"
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [str(STUDIO_BIN), *args, "--port", str(self.port)],
                cwd=REPO_ROOT,
                env={**studio.env, "STUDIO_HOST": "127.0.0.1", **variables},
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 90
        while not self._answers():
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, f"/healthz never answered:\n{self.text()}"
            time.sleep(0.1)

    def _answers(self) -> bool:
        return healthz_answers(self.url)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


class Backends:
    """Samples the number of other backends connected to the Studio's database, every 20 ms."""

    def __init__(self, studio) -> None:
        self.connection = psycopg.connect(studio.env["DATABASE_URL"], autocommit=True)
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def count(self) -> int:
        return self.connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchone()[0]

    def _run(self) -> None:
        while not self._stop.is_set():
            self.most = max(self.most, self.count())
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.connection.close()


def hammer(calls, count: int) -> list[int]:
    """`count` calls from CLIENTS threads, each with its own keep-alive session; their statuses."""
    local = threading.local()

    def one(n: int) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return calls(local.session, n)

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, range(count)))


def test_serve_takes_connections_from_a_bounded_pool(studio, token):
    server = Server(
        studio,
        ["serve", "--no-migrate", "--workers", str(WEB_PROCESSES)],
        "serve",
        STUDIO_DB_POOL_MIN_SIZE="1",
        STUDIO_DB_POOL_MAX_SIZE=str(POOL_MAX),
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        published = requests.post(
            f"{server.url}/api/v1/endpoints/",
            json={"name": "echo", "yaml": PIPELINE, "make_default": True},
            headers=headers,
            timeout=60,
        )
        assert published.status_code == 201, published.text

        def invoke_or_list(session: requests.Session, n: int) -> int:
            if n % 2:
                body = {"ParameterAssignments": {"script": f"echo {n}"}}
                url = f"{server.url}/api/v1/endpoints/echo/runs"
                return session.post(url, json=body, headers=headers, timeout=60).status_code
            return session.get(f"{server.url}/api/v1/jobs/?limit=5", headers=headers, timeout=60).status_code

        with Backends(studio) as backends:
            codes = hammer(invoke_or_list, 300)
            after = backends.count()
        assert sorted(set(codes)) == [200, 201], {code: codes.count(code) for code in set(codes)}
        # Each web process holds at most its pool, the supervisor none (+1: a backend that is
        # still exiting after the pool replaced its connection).
        assert backends.most <= WEB_PROCESSES * POOL_MAX + 1, (backends.most, after)
        assert "Traceback" not in server.text(), server.text()
    finally:
        server.stop()


def test_up_closes_each_requests_connection(studio, token):
    # `studio up` keeps persistent connections for its worker threads (a handful); requests no
    # longer add one each. No Docker engine: nothing to build or run here.
    server = Server(
        studio,
        ["up"],
        "up",
        STUDIO_DOCKER_URL="unix:///nonexistent/docker.sock",
        STUDIO_WORKER_THREADS="1",
        STUDIO_STEP_THREADS="1",
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:

        def list_jobs(session: requests.Session, n: int) -> int:
            return session.get(f"{server.url}/api/v1/jobs/?limit=5", headers=headers, timeout=60).status_code

        hammer(list_jobs, 20)  # the worker threads have connected
        with Backends(studio) as backends:
            idle = backends.count()
            codes = hammer(list_jobs, 300)
            most = backends.most
            deadline = time.monotonic() + 5
            while (after := backends.count()) > idle + 2 and time.monotonic() < deadline:
                time.sleep(0.1)
        assert codes == [200] * len(codes), {code: codes.count(code) for code in set(codes)}
        # At most one connection per client in flight beyond the worker threads' own (+4: a worker
        # thread that connects meanwhile, backends still exiting), and none left once they end.
        assert most <= idle + CLIENTS + 4, (idle, most)
        assert after <= idle + 2, (idle, after)
    finally:
        server.stop()


def test_serve_answers_503_while_its_pool_stays_empty(studio, token):
    server = Server(
        studio,
        ["serve", "--no-migrate", "--workers", "1"],
        "serve-empty-pool",
        STUDIO_DB_POOL_MIN_SIZE="1",
        STUDIO_DB_POOL_MAX_SIZE="1",
        STUDIO_DB_POOL_TIMEOUT_SECONDS="1",
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with psycopg.connect(studio.env["DATABASE_URL"]) as blocker, ThreadPoolExecutor(1) as pool:
            # The only pooled connection is held by a request waiting on a lock of the token table.
            blocker.execute("LOCK TABLE studio_apitoken IN ACCESS EXCLUSIVE MODE")
            waiting = pool.submit(requests.get, f"{server.url}/api/v1/jobs/", headers=headers, timeout=60)
            deadline = time.monotonic() + 20
            with psycopg.connect(studio.env["DATABASE_URL"], autocommit=True) as watcher:
                while not watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                ).fetchone()[0]:
                    assert time.monotonic() < deadline, server.text()
                    time.sleep(0.05)
            api = requests.get(f"{server.url}/api/v1/computes/", headers=headers, timeout=30)
            page = requests.get(f"{server.url}/login/", timeout=30)
            blocker.rollback()  # the lock goes: the waiting request ends well
            assert waiting.result().status_code == 200
        assert api.status_code == 503, api.text
        assert api.headers["Retry-After"] == "1"
        assert api.json() == {"detail": DETAIL, "errors": {}}
        assert page.status_code == 503 and DETAIL in page.text
        log = server.text()
        assert "no database connection free in the pool in time" in log
        assert "Traceback" not in log, log
        assert requests.get(f"{server.url}/api/v1/computes/", headers=headers, timeout=30).status_code == 200
    finally:
        server.stop()
