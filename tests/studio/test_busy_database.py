"""A busy SQLite database answers 503 with Retry-After, never 500: another connection holds the
write lock (as a long submit once did) while the API and a page try to write."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import OperationalError, connection

from designer.models import PipelineDraft
from studio.database_busy import is_database_busy

pytestmark = pytest.mark.django_db(transaction=True)  # the lock must be taken outside any test transaction


@pytest.fixture
def locked_database():
    """Another connection holds the write lock; Django's waits 0.1 s for it instead of 20."""
    if connection.vendor != "sqlite":
        pytest.skip("the busy timeout is SQLite's")
    options = connection.settings_dict["OPTIONS"]
    timeout = options.get("timeout")
    connection.close()
    options["timeout"] = 0.1
    holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=0.1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield holder
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        connection.close()
        options["timeout"] = timeout


def test_it_answers_503_with_retry_after_from_the_api(admin_client, locked_database):
    response = admin_client.post("/api/v1/drafts/", {"name": "while busy"}, content_type="application/json")

    assert response.status_code == 503, response.content[:500]
    assert response["Retry-After"] == "1"
    assert response.json() == {
        "detail": "The database is busy with another change; try again in a moment.",
        "errors": {},
    }


def test_it_answers_503_with_retry_after_from_a_page(admin_client, locked_database):
    response = admin_client.post("/designer/", {"name": "while busy"})

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert "Studio is busy" in response.content.decode()


def test_the_same_request_succeeds_once_the_lock_is_gone(admin_client, locked_database):
    assert (
        admin_client.post("/api/v1/drafts/", {"name": "x"}, content_type="application/json").status_code
        == 503
    )
    locked_database.execute("ROLLBACK")
    locked_database.execute("BEGIN")  # what the fixture's ROLLBACK ends

    response = admin_client.post("/api/v1/drafts/", {"name": "after"}, content_type="application/json")

    assert response.status_code == 201, response.content[:500]
    assert list(PipelineDraft.objects.values_list("name", flat=True)) == ["after"]


@pytest.mark.parametrize(
    ("error", "busy"),
    [
        (OperationalError("database is locked"), True),
        (OperationalError("database table is locked: runner_steprun"), True),
        (OperationalError("no such table: runner_steprun"), False),
        (RuntimeError("database is locked"), False),
    ],
)
def test_it_tells_a_busy_database_from_other_errors(error, busy):
    assert is_database_busy(error) is busy
