"""Production mode end to end: PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) in real processes.

Django settings are process-wide and this test process runs on SQLite, so every Studio here runs
in a subprocess with DATABASE_URL / REDIS_URL in its environment. The module shares one fresh
database (`studio_it_<random>`) and one Redis database number, dropped / left at the end.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest
import requests

from tests.servers import REPO_ROOT, free_port

STUDIO_BIN = Path(sys.executable).parent / "studio"
MANAGE = [sys.executable, "manage.py"]
COMMAND_TIMEOUT = 120


def _with_path(url: str, path: str) -> str:
    return urlunparse(urlparse(url)._replace(path=path))


def _run(
    args: list[str], env: dict[str, str], *, timeout: float = COMMAND_TIMEOUT
) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _shell(env: dict[str, str], code: str) -> str:
    """Run Python in `manage.py shell -c` with `env` and return its stdout; fail on an error."""
    result = _run([*MANAGE, "shell", "-c", code], env)
    assert result.returncode == 0, (
        f"manage.py shell failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def _stop(process: subprocess.Popen, *, timeout: float = 30) -> int | None:
    """Send SIGINT and wait; return the exit code, or None when it had to be killed."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def _wait_for_output(process: subprocess.Popen, log: Path, needle: str, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(
        f"{needle!r} not printed (exit code {process.poll()}):\n{log.read_text(errors='replace')}"
    )


@pytest.fixture(scope="module")
def database_url(postgres_url: str):
    """A fresh PostgreSQL database for this module, dropped afterwards."""
    name = f"studio_it_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_path(postgres_url, f"/{name}")
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def module_redis_url(redis_url: str) -> str:
    """The session's Redis, on a database number of this module's own (queues stay separate)."""
    return _with_path(redis_url, f"/{random.randint(1, 15)}")


@pytest.fixture(scope="module")
def prod_env(database_url: str, module_redis_url: str, tmp_path_factory) -> dict[str, str]:
    """The environment of a production Studio process."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "REDIS_"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        STUDIO_HOME=str(tmp_path_factory.mktemp("studio-prod-home")),
        DATABASE_URL=database_url,
        REDIS_URL=module_redis_url,
        PYTHONUNBUFFERED="1",
        STUDIO_LOG_LEVEL="INFO",
    )
    return env


@pytest.fixture(scope="module")
def migrated(prod_env: dict[str, str]) -> subprocess.CompletedProcess:
    """`manage.py migrate` on the module's PostgreSQL database, run once."""
    result = _run([*MANAGE, "migrate", "--noinput"], prod_env)
    assert result.returncode == 0, f"migrate failed:\n{result.stdout}\n{result.stderr}"
    return result


def _db_connect(env: dict[str, str]) -> psycopg.Connection:
    return psycopg.connect(env["DATABASE_URL"], autocommit=True)


@pytest.mark.postgres
def test_it_migrate_applies_on_postgres(migrated, prod_env):
    assert "Traceback" not in migrated.stderr
    check = _run([*MANAGE, "migrate", "--check", "--noinput"], prod_env)
    assert check.returncode == 0, f"unapplied migrations remain:\n{check.stdout}\n{check.stderr}"
    with _db_connect(prod_env) as connection:
        tables = {
            row[0] for row in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
    assert {"studio_compute", "studio_apitoken", "django_migrations"} <= tables


@pytest.mark.postgres
@pytest.mark.redis
def test_it_check_deploy_is_clean_with_production_values(migrated, prod_env):
    env = {
        **prod_env,
        "DEBUG": "false",
        "STUDIO_HTTPS": "true",
        "SECRET_KEY": secrets.token_urlsafe(45)[:60],
        "ALLOWED_HOSTS": "studio.example.com",
    }
    assert len(env["SECRET_KEY"]) == 60
    result = _run([*MANAGE, "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, f"check --deploy reported problems:\n{result.stdout}\n{result.stderr}"
    assert "no issues" in result.stdout


@pytest.mark.postgres
@pytest.mark.redis
def test_it_worker_processes_a_message_sent_through_redis(migrated, prod_env, tmp_path):
    compute_id = int(
        _shell(
            prod_env,
            "from studio.models import Compute\n"
            "c, _ = Compute.objects.update_or_create(name='local', defaults={'kind': 'local',"
            " 'state': 'unknown', 'checked_at': None})\n"
            "print(c.pk)",
        )
        .strip()
        .splitlines()[-1]
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [str(STUDIO_BIN), "worker", "--threads", "2"],
            cwd=REPO_ROOT,
            env=prod_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    exit_code = None
    try:
        _wait_for_output(worker, log, "2 for steps")
        _shell(prod_env, f"from runner.actors import check_compute; check_compute.send({compute_id})")

        deadline = time.monotonic() + 30
        row = None
        with _db_connect(prod_env) as connection:
            while time.monotonic() < deadline:
                row = connection.execute(
                    "SELECT state, checked_at, state_detail FROM studio_compute WHERE id = %s", (compute_id,)
                ).fetchone()
                if row and row[1] is not None:
                    break
                assert worker.poll() is None, f"worker exited early:\n{log.read_text(errors='replace')}"
                time.sleep(0.2)
        assert row is not None and row[1] is not None, (
            f"the worker never checked compute {compute_id}: {row}\n{log.read_text(errors='replace')}"
        )
        assert row[0] == "online", row
        assert "CPUs" in row[2]
    finally:
        exit_code = _stop(worker, timeout=30)
    output_text = log.read_text(errors="replace")
    assert exit_code == 0, f"worker exit code {exit_code} after SIGINT:\n{output_text}"
    assert "Traceback" not in output_text, output_text
    assert "Stopping worker" in output_text


@pytest.mark.redis
def test_it_worker_without_redis_url_exits_2(prod_env):
    env = {key: value for key, value in prod_env.items() if key != "REDIS_URL"}
    env.pop("DATABASE_URL")  # no database needed to refuse
    result = _run([str(STUDIO_BIN), "worker", "--threads", "1"], env, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "REDIS_URL" in output
    assert "Traceback" not in output


@pytest.mark.postgres
@pytest.mark.redis
def test_it_serve_answers_health_and_websockets_through_channels_redis(migrated, prod_env, tmp_path):
    from websockets.sync.client import connect

    username = f"it-{secrets.token_hex(4)}"
    user_id, token = (
        _shell(
            prod_env,
            "from django.contrib.auth import get_user_model\n"
            "from studio.models import ApiToken\n"
            f"user = get_user_model().objects.create_user({username!r}, password=None)\n"
            "_, raw = ApiToken.issue(user, 'it')\n"
            "print(user.pk, raw)",
        )
        .strip()
        .splitlines()[-1]
        .split()
    )

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(STUDIO_BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env=prod_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    exit_code = None
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            assert server.poll() is None, f"studio serve exited:\n{log.read_text(errors='replace')}"
            try:
                health = requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        assert health is not None, f"/healthz never answered:\n{log.read_text(errors='replace')}"
        assert health.status_code == 200, health.text
        assert health.json() == {"status": "ok", "database": "ok", "broker": "redis"}

        with connect(
            f"ws://127.0.0.1:{port}/ws/notifications/",
            additional_headers={"Authorization": f"Bearer {token}"},
            open_timeout=10,
        ) as socket:
            hello = json.loads(socket.recv(timeout=10))
            assert hello == {"type": "hello", "user": username}

            # Another process sends through channels-redis; this socket is in the uvicorn process.
            _shell(
                prod_env,
                f"from runner.events import notify_user; notify_user({int(user_id)}, {{'text': 'hi'}})",
            )
            notification = json.loads(socket.recv(timeout=15))
            assert notification == {"type": "notification", "text": "hi"}
    finally:
        exit_code = _stop(server, timeout=30)
    output_text = log.read_text(errors="replace")
    assert exit_code == 0, f"studio serve exit code {exit_code} after SIGINT:\n{output_text}"
    assert "Traceback" not in output_text, output_text
