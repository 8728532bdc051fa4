"""What one invocation with a key costs the database: each round trip counts under load (on
PostgreSQL an invocation waits on the database most of its time; bench/endpoint_load.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.endpoints.pipelines import new_key, publish, with_key

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/endpoints/split-iris/runs"
# The key (with its endpoint), the rate window, the version; the job, its compute and environment,
# its steps, the audit record and the invocation; the savepoints of this test's transaction.
MAX_QUERIES = 13


def test_an_invocation_reads_the_endpoint_once_with_its_key(api, seeded):
    publish(api)
    client = with_key(new_key(api))
    body = {"ParameterAssignments": {"fraction": 0.5, "seed": 1}}
    assert client.post(RUNS, body, format="json").status_code == 201  # the key's last use is recorded

    with CaptureQueriesContext(connection) as queries:
        response = client.post(RUNS, body, format="json")

    assert response.status_code == 201, response.json()
    statements = [query["sql"] for query in queries.captured_queries]
    assert not [sql for sql in statements if 'FROM "endpoints_pipelineendpoint"' in sql], statements
    assert len(statements) <= MAX_QUERIES, "\n".join(statements)
