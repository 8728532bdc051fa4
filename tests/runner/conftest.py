"""Fixtures of the runner tests: watching the containers a test starts.

Compiling, submitting and waiting for jobs are in tests/runner/jobs.py; the world-readable
STUDIO_HOME, the library, the computes and the embedded worker in tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PIPELINES = Path(__file__).parent / "pipelines"


@pytest.fixture
def container_events():
    """The step containers the engine creates while the test runs (`ContainerEvents`)."""
    from tests.runner.containers import ContainerEvents

    events = ContainerEvents()
    yield events
    events.close()
