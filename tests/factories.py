"""Rows the tests start from: users, API tokens, the built-in library and computes.

Plain functions, so a fixture or a test body can make one more of anything with the changes it
needs; the shared fixtures in tests/conftest.py are built on them.
"""

from __future__ import annotations

import os

from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from studio.choices import ComputeKind, ComputeState
from studio.models import ApiToken, Compute

PASSWORD = "pw-for-tests-1"


def make_user(username: str = "ada", *, admin: bool = False, password: str = PASSWORD, **fields):
    """A user who can sign in with `password`; `admin` makes a superuser."""
    users = get_user_model().objects
    if admin:
        return users.create_superuser(username, password=password, **fields)
    return users.create_user(username, password=password, **fields)


def make_token(user, name: str = "tests") -> str:
    """A new API token of `user`; returns the raw key (what goes after `Bearer `)."""
    _, raw = ApiToken.issue(user, name)
    return raw


def api_client(user=None) -> APIClient:
    """A DRF test client signed in as `user` (anonymous without one)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def seed_library() -> None:
    """Register the built-in environments, data and components, as `manage.py seed_library` does.

    Their files go under settings.ARTIFACTS_ROOT: point it somewhere of the test's own first.
    """
    call_command("seed_library", verbosity=0)


def make_compute(
    name: str, kind: str = ComputeKind.LOCAL, *, state: str = ComputeState.ONLINE, **fields
) -> Compute:
    """A compute, online unless told; a docker one uses the engine STUDIO_DOCKER_URL names."""
    if kind == ComputeKind.DOCKER:
        fields.setdefault("engine_url", os.environ.get("STUDIO_DOCKER_URL", ""))
    return Compute.objects.create(name=name, kind=kind, state=state, **fields)


def make_computes() -> dict[str, Compute]:
    """The `local` and `docker` computes every Studio has, online, two steps at a time each."""
    return {
        "local": make_compute("local", ComputeKind.LOCAL, max_concurrent_steps=2),
        "docker": make_compute("docker", ComputeKind.DOCKER, max_concurrent_steps=2),
    }
