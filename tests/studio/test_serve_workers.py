"""`studio serve` refuses several web processes without Redis: they would each have their own
in-process broker and channel layer (jobs never leave, websockets miss events)."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests import servers


def serve(tmp_path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
        },
        "STUDIO_HOME": str(tmp_path / "home"),
        "STUDIO_HOST": "127.0.0.1",
        "STUDIO_PORT": str(servers.free_port()),
        **variables,
    }
    return subprocess.run(
        [str(servers.STUDIO_BIN), "serve", "--no-migrate", *args],
        cwd=servers.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "variables", "named"),
    [(("--workers", "2"), {}, "--workers 2"), ((), {"STUDIO_WEB_WORKERS": "3"}, "STUDIO_WEB_WORKERS=3")],
)
def test_several_web_processes_need_redis(tmp_path, args, variables, named):
    result = serve(tmp_path, *args, **variables)

    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{named} needs REDIS_URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Serving" not in result.stdout


def test_workers_must_be_positive(tmp_path):
    result = serve(tmp_path, "--workers", "0")

    assert result.returncode == 2
    assert "--workers must be at least 1" in result.stderr
