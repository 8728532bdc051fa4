"""Test harness: markers for outside systems, real servers started on loopback, and the shared fixtures.

The rows a test starts from (a user, an API client, the built-in library, the computes) are made by
tests/factories.py; a module that needs them otherwise writes a short fixture calling the factory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests import factories, requirements, servers


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


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """A fast hasher: the tests check who may sign in, not how slowly passwords hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db):
    """`ada`, a user who is not staff (password factories.PASSWORD)."""
    return factories.make_user("ada")


@pytest.fixture
def api(user):
    """A DRF client signed in as `user`."""
    return factories.api_client(user)


@pytest.fixture(scope="module")
def token(studio_server, request) -> str:
    """An API token of the session server's admin, one per test module."""
    return studio_server.issue_token(f"tests of {request.module.__name__}")


@pytest.fixture
def studio_home(settings):
    """STUDIO_HOME and artifacts in /tmp, readable by the unprivileged user steps run as."""
    home = Path(tempfile.mkdtemp(prefix="studio-test-", dir="/tmp"))
    home.chmod(0o755)
    settings.STUDIO_HOME = home
    settings.ARTIFACTS_ROOT = home / "artifacts"
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def library(db, settings, studio_home):
    """The built-in environments, data and components, with no compute aliases or data roots."""
    settings.STUDIO_COMPUTE_ALIASES = {}
    settings.STUDIO_DATA_ROOTS = []
    factories.seed_library()


@pytest.fixture
def computes(db):
    """`local` and `docker` computes, online, both taking two steps at a time."""
    return factories.make_computes()


@pytest.fixture
def worker(studio_home):
    """Control and step threads consuming the in-process broker; stopped after the test."""
    from runner.worker import start_workers

    group = start_workers(control_threads=2, step_threads=4, reconcile=False)
    yield group
    group.stop(timeout=5_000)
