"""Which outside systems a test needs, and whether this machine has them.

A test marked `docker`, `chromium`, `postgres` or `redis` is skipped with the reason when the
system is missing, unless STUDIO_REQUIRE names it (as CI does): then it fails instead, so a
broken install step cannot hide behind a skip.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

CHROMIUM_PATH = Path(os.environ.get("STUDIO_CHROMIUM", "/usr/bin/chromium"))


def required() -> set[str]:
    """The systems STUDIO_REQUIRE says must be present."""
    return {name.strip() for name in os.environ.get("STUDIO_REQUIRE", "").split(",") if name.strip()}


@functools.cache
def docker_missing() -> str | None:
    """Why Docker tests cannot run here, or None."""
    from runner.executors.docker import engine_answers

    if engine_answers(os.environ.get("STUDIO_DOCKER_URL") or None):
        return None
    return "no Docker engine answers (start dockerd)"


@functools.cache
def chromium_missing() -> str | None:
    """Why browser tests cannot run here, or None."""
    if not CHROMIUM_PATH.exists():
        return f"no Chromium at {CHROMIUM_PATH} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


@functools.cache
def postgres_missing() -> str | None:
    """Why PostgreSQL tests cannot run here, or None."""
    if os.environ.get("STUDIO_TEST_POSTGRES_URL"):
        return None
    from tests.servers import postgres_bindir

    if postgres_bindir() is None:
        return "no PostgreSQL server binaries (apt-get install postgresql) and no STUDIO_TEST_POSTGRES_URL"
    return None


@functools.cache
def redis_missing() -> str | None:
    """Why Redis tests cannot run here, or None."""
    if os.environ.get("STUDIO_TEST_REDIS_URL") or shutil.which("redis-server"):
        return None
    return "no redis-server (apt-get install redis-server) and no STUDIO_TEST_REDIS_URL"


CHECKS = {
    "docker": docker_missing,
    "chromium": chromium_missing,
    "postgres": postgres_missing,
    "redis": redis_missing,
}
