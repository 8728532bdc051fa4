"""Fixtures of the designer tests: compiling a draft picks a compute, so the library comes with them."""

from __future__ import annotations

import pytest


@pytest.fixture
def library(library, computes):
    """The built-in library (tests/conftest.py) and the `local` and `docker` computes."""
    return library
