"""Fixtures of the endpoint tests (the user, the API client, the library and the computes are the
root conftest's)."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def anonymous(db):
    """A DRF client signed in as nobody."""
    return factories.api_client()


@pytest.fixture
def seeded(library, computes):
    """The built-in library and the two computes, without a worker (jobs stay Queued)."""
