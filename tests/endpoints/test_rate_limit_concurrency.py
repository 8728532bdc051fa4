"""An endpoint's rate limit is the endpoint's (every key and user shares it) and holds under
concurrency: N+k invocations at once get exactly N through, on SQLite (threads, each with its own
connection) and on PostgreSQL (two Studio processes on one database, real HTTP)."""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import requests
from django.db import connections

from endpoints.models import EndpointInvocation
from tests.endpoints.pipelines import SPLIT_PIPELINE, new_key, publish, with_key
from tests.servers import start_studio

RUNS = "/api/v1/endpoints/split-iris/runs"
# A refused body (400) costs an invocation as much as a run does, and starts no job.
REFUSED_BODY = {"ParameterAssignments": {"seed": "not a number"}}
LIMIT, EXTRA = 5, 7
# A window far longer than the test, so that it never straddles two.
RATE = "5/30days"


def _at_once(calls) -> Counter:
    """Run the callables together (released by one barrier) and count their status codes."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        try:
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(calls)) as pool:
        return Counter(pool.map(run, calls))


@pytest.mark.django_db(transaction=True)
def test_concurrent_invocations_with_two_keys_get_exactly_the_limit(api, seeded, settings):
    settings.STUDIO_ENDPOINT_RATE_LIMIT = (LIMIT, 30 * 86400)
    publish(api)
    keys = [new_key(api, name="first"), new_key(api, name="second")]

    def call(key):
        return lambda: with_key(key).post(RUNS, REFUSED_BODY, format="json").status_code

    answers = _at_once([call(keys[n % 2]) for n in range(LIMIT + EXTRA)])

    assert answers == {400: LIMIT, 429: EXTRA}
    assert with_key(new_key(api, name="third")).post(RUNS, REFUSED_BODY, format="json").status_code == 429
    assert EndpointInvocation.objects.exclude(status_code=429).count() == LIMIT


@pytest.fixture
def two_studios_on_postgres(postgres_url):
    """`studio up` and a second `studio serve` process on one fresh PostgreSQL database."""
    name = f"studio_rate_{secrets.token_hex(6)}"
    base = postgres_url.rsplit("/", 1)[0]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    root = Path(tempfile.mkdtemp(prefix="studio-rate-", dir="/tmp"))
    root.chmod(0o755)
    env = {"DATABASE_URL": f"{base}/{name}", "STUDIO_ENDPOINT_RATE_LIMIT": RATE}
    started = []
    try:
        first = start_studio(root / "one", extra_env=env)
        started.append(first)
        second = start_studio(root / "two", extra_env=env)
        started.append(second)
        yield first, second
    finally:
        for server in started:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_two_processes_on_postgres_share_one_budget_per_endpoint(two_studios_on_postgres):
    first, second = two_studios_on_postgres
    manager = {"Authorization": f"Bearer {first.issue_token('rate limit test')}"}
    published = requests.post(
        f"{first.url}/api/v1/endpoints/",
        json={"name": "split-iris", "yaml": SPLIT_PIPELINE},
        headers=manager,
        timeout=60,
    )
    assert published.status_code == 201, published.text

    def new_key_over_http(name):
        answer = requests.post(
            f"{first.url}/api/v1/endpoints/split-iris/keys/", json={"name": name}, headers=manager, timeout=30
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["key"]

    keys = [new_key_over_http("first"), new_key_over_http("second")]

    def call(server, key):
        headers = {"Authorization": f"Bearer {key}"}
        return lambda: (
            requests.post(f"{server.url}{RUNS}", json=REFUSED_BODY, headers=headers, timeout=60).status_code
        )

    calls = [call((first, second)[n % 2], keys[(n // 2) % 2]) for n in range(LIMIT + EXTRA)]
    answers = _at_once(calls)

    assert answers == {400: LIMIT, 429: EXTRA}
    third = new_key_over_http("third")
    refused = requests.post(
        f"{second.url}{RUNS}", json=REFUSED_BODY, headers={"Authorization": f"Bearer {third}"}, timeout=60
    )
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
