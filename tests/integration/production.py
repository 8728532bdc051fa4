"""Production-mode Studios for integration tests: real `studio` processes on PostgreSQL and Redis.

`production_studio()` makes a migrated, seeded Studio with a `docker` compute and its own
database, home and Redis database; `Studio` reads its state straight from PostgreSQL and its step
logs from disk; `Worker` is a `studio worker` process that a test can kill the hard way.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
import requests

from tests.servers import REPO_ROOT

STUDIO_BIN = Path(sys.executable).parent / "studio"
COMMAND_TIMEOUT = 180


def with_path(url: str, path: str) -> str:
    return urlunparse(urlparse(url)._replace(path=path))


def run_studio(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
    )


def manage(env: dict[str, str], *args: str) -> str:
    result = run_studio([str(STUDIO_BIN), "manage", *args], env)
    assert result.returncode == 0, (
        f"studio manage {' '.join(args)[:80]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def healthz_answers(url: str) -> bool:
    """Whether the Studio at `url` answers /healthz with 200 now."""
    try:
        return requests.get(f"{url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def superuser_token(env: dict[str, str]) -> str:
    """An API token of 'boss', a superuser created in this Studio's database."""
    output = manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        "from studio.models import ApiToken\n"
        "user = get_user_model().objects.create_superuser('boss', 'b@example.com', 'pw-for-the-boss-1')\n"
        "print('TOKEN', ApiToken.issue(user, name='tests')[1])\n",
    )
    return output.split("TOKEN ", 1)[1].split()[0]


# A one-step pipeline of the library's run_command on `docker` (an endpoint's or a job's).
ECHO_PIPELINE = """\
type: pipeline
display_name: echo
settings:
  default_compute: azureml:docker
inputs:
  script: "true"
jobs:
  only:
    component: azureml:run_command:1
    inputs:
      script: ${{parent.inputs.script}}
"""


def docker_client():
    import docker

    url = os.environ.get("STUDIO_DOCKER_URL") or os.environ.get("DOCKER_HOST")
    return docker.DockerClient(base_url=url) if url else docker.from_env()


@dataclass
class Worker:
    """A `studio worker` process in its own process group."""

    process: subprocess.Popen
    output: Path

    def text(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def signal(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL the whole group and reap it (works on a stopped process too)."""
        self.signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM (the worker's own clean stop), SIGKILL when that takes too long."""
        if self.process.poll() is not None:
            return
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class Studio:
    """One production-mode Studio: its environment, home and database."""

    env: dict[str, str]
    home: Path

    def db(self) -> psycopg.Connection:
        return psycopg.connect(self.env["DATABASE_URL"], autocommit=True)

    def submit(self, pipeline: Path, **inputs) -> str:
        """Compile a pipeline YAML file (with `inputs` set) and submit it; returns the job name."""
        code = (
            "from pathlib import Path\n"
            "from pipelines.compiler import compile_pipeline\n"
            "from runner.actions import submit_pipeline\n"
            "from studio.schemas.loading import load_document\n"
            f"path = Path({str(pipeline)!r})\n"
            "document, index = load_document(path.read_bytes(), filename=str(path))\n"
            f"document.setdefault('inputs', {{}}).update({inputs!r})\n"
            "spec = compile_pipeline(document, index=index, filename=str(path), base_dir=path.parent)\n"
            "print('JOB', submit_pipeline(spec).name)\n"
        )
        output = manage(self.env, "shell", "-c", code)
        return next(line.split()[1] for line in output.splitlines() if line.startswith("JOB "))

    def start_worker(self, output: Path, *, threads: int = 2) -> Worker:
        """A `studio worker` with `threads` step threads, in its own process group."""
        with output.open("wb") as sink:
            process = subprocess.Popen(
                [str(STUDIO_BIN), "worker", "--threads", str(threads)],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for killpg
            )
        return Worker(process, output)

    def job(self, name: str) -> dict:
        with self.db() as connection, connection.cursor(row_factory=psycopg.rows.dict_row) as cursor:
            return cursor.execute(
                "SELECT id, name, status, status_reason FROM runner_pipelinejob WHERE name = %s", (name,)
            ).fetchone()

    def steps(self, name: str) -> dict[str, dict]:
        with self.db() as connection, connection.cursor(row_factory=psycopg.rows.dict_row) as cursor:
            rows = cursor.execute(
                "SELECT s.name, s.status, s.status_reason, s.attempt, s.exit_code, s.container_id,"
                " s.worker_id, s.heartbeat_at, s.started_at, s.finished_at"
                " FROM runner_steprun s JOIN runner_pipelinejob j ON j.id = s.job_id"
                " WHERE j.name = %s ORDER BY s.id",
                (name,),
            ).fetchall()
        return {row["name"]: row for row in rows}

    def log(self, job: str, step: str) -> list[dict]:
        """The step's log entries ({seq, t, line}), read from its .log.jsonl."""
        path = self.home / "artifacts" / "jobs" / job / step / ".log.jsonl"
        entries = []
        if path.exists():
            for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    entries.append(json.loads(raw))
                except ValueError:
                    continue
        return entries

    def abandon(self, job: str) -> None:
        """Cancel whatever of `job` is unfinished, so that a later scenario's worker leaves it be."""
        with self.db() as connection:
            connection.execute(
                "UPDATE runner_steprun SET status = 'Canceled' WHERE status IN"
                " ('NotStarted', 'Queued', 'Preparing', 'Running')"
                " AND job_id = (SELECT id FROM runner_pipelinejob WHERE name = %s)",
                (job,),
            )
            connection.execute(
                "UPDATE runner_pipelinejob SET status = 'Canceled' WHERE name = %s"
                " AND status NOT IN ('Completed', 'Failed', 'Canceled')",
                (job,),
            )


@contextlib.contextmanager
def production_studio(
    postgres_url: str,
    redis_url: str,
    *,
    reconcile_seconds: int = 2,
    redis_db: int | None = None,
    **settings: str,
) -> Iterator[Studio]:
    """A migrated, seeded production-mode Studio with a `docker` compute; nothing running yet.

    `redis_db`: its Redis database (1-15; emptied first), a random one when not given: Studios
    that live at the same time need different ones. `settings`: more environment variables for
    every process of it (e.g. a shorter heartbeat).
    """
    name = f"studio_crash_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    home = Path(tempfile.mkdtemp(prefix="studio-crash-", dir="/tmp"))
    home.chmod(0o755)  # steps run as uid 1000 and must reach their folders
    redis_db_url = with_path(redis_url, f"/{redis_db or random.randint(1, 15)}")
    import redis

    redis.Redis.from_url(redis_db_url).flushdb()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_")) and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        STUDIO_HOME=str(home),
        DATABASE_URL=with_path(postgres_url, f"/{name}"),
        REDIS_URL=redis_db_url,
        STUDIO_RECONCILE_SECONDS=str(reconcile_seconds),
        STUDIO_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        **settings,
    )
    try:
        # One process, not three: each `studio manage` pays Django's start again.
        manage(
            env,
            "shell",
            "-c",
            "import os\n"
            "from django.core.management import call_command\n"
            "call_command('migrate', interactive=False, verbosity=0)\n"
            "call_command('seed_library', verbosity=0)\n"
            "from studio.models import Compute\n"
            "Compute.objects.update_or_create(name='docker', defaults={'kind': 'docker',"
            " 'state': 'online', 'max_concurrent_steps': 4,"
            " 'engine_url': os.environ.get('STUDIO_DOCKER_URL', '')})\n",
        )
        yield Studio(env, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
