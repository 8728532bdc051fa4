"""Test harness: markers for outside systems, and real servers started on loopback."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests import requirements, servers


def pytest_report_header(config) -> str:
    return f"STUDIO_REQUIRE={os.environ.get('STUDIO_REQUIRE', '')!r}"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a test whose outside system is missing, or fail it when STUDIO_REQUIRE names it."""
    for marker in item.iter_markers():
        check = requirements.CHECKS.get(marker.name)
        if check is None:
            continue
        reason = check()
        if reason is None:
            continue
        if marker.name in requirements.required():
            pytest.fail(f"STUDIO_REQUIRE names {marker.name}, but {reason}", pytrace=False)
        pytest.skip(f"{marker.name}: {reason}")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL server for the session: STUDIO_TEST_POSTGRES_URL, or one started here."""
    if os.environ.get("STUDIO_TEST_POSTGRES_URL"):
        yield os.environ["STUDIO_TEST_POSTGRES_URL"]
        return
    server = servers.start_postgres()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis server for the session: STUDIO_TEST_REDIS_URL, or one started here."""
    if os.environ.get("STUDIO_TEST_REDIS_URL"):
        yield os.environ["STUDIO_TEST_REDIS_URL"]
        return
    server = servers.start_redis()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def studio_server(tmp_path_factory) -> servers.StudioServer:
    """One `studio up` for the session, with admin / studio-test-password-1."""
    # Not under pytest's own temp folder: only root may enter that, and steps never run as root.
    home = Path(tempfile.mkdtemp(prefix="studio-home-", dir="/tmp"))
    home.chmod(0o755)
    server = servers.start_studio(home)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
