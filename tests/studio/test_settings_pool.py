"""Which processes get a database connection pool: `studio serve` on PostgreSQL, nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.servers import REPO_ROOT

OURS = ("DATABASE_", "STUDIO_DB_", "STUDIO_SERVE", "DJANGO_SETTINGS")
POSTGRES = "postgres://studio:pw@127.0.0.1:5/studio"
SHOW = (
    "import json\n"
    "from config import settings\n"
    "db = settings.DATABASES['default']\n"
    "print(json.dumps({'max_age': db['CONN_MAX_AGE'], 'pool': db.get('OPTIONS', {}).get('pool')}))\n"
)


def database_settings(tmp_path, **variables: str) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(OURS)},
        "STUDIO_HOME": str(tmp_path),
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", SHOW], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_serve_on_postgresql_pools_with_the_sizes_set(tmp_path):
    result = database_settings(
        tmp_path,
        DATABASE_URL=POSTGRES,
        STUDIO_SERVE_PROCESS="1",
        STUDIO_DB_POOL_MIN_SIZE="1",
        STUDIO_DB_POOL_MAX_SIZE="4",
        STUDIO_DB_POOL_TIMEOUT_SECONDS="3",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "max_age": 0,
        "pool": {"min_size": 1, "max_size": 4, "timeout": 3, "name": "studio-web"},
    }


@pytest.mark.parametrize(
    "variables",
    [
        {"DATABASE_URL": POSTGRES},  # studio up, worker, manage: long-lived threads keep theirs
        {"DATABASE_URL": POSTGRES, "STUDIO_SERVE_PROCESS": "1", "STUDIO_DB_POOL_MAX_SIZE": "0"},
        {"STUDIO_SERVE_PROCESS": "1"},  # SQLite
    ],
    ids=["not-serve", "pool-off", "sqlite"],
)
def test_other_processes_keep_persistent_connections(tmp_path, variables):
    result = database_settings(tmp_path, **variables)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"max_age": 60, "pool": None}


def test_a_max_below_the_min_is_refused_by_name(tmp_path):
    result = database_settings(tmp_path, STUDIO_DB_POOL_MIN_SIZE="5", STUDIO_DB_POOL_MAX_SIZE="3")
    assert result.returncode != 0
    assert "STUDIO_DB_POOL_MAX_SIZE" in result.stderr
    assert "must be at least STUDIO_DB_POOL_MIN_SIZE (5), got 3" in result.stderr
