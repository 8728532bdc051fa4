"""Schemathesis over the OpenAPI schema at /api/schema/, authenticated (issue #16).

Every operation of the schema is called with requests schemathesis generates from it (positive
data, a bounded and derandomized number of examples each) against the Django app in this process
(WSGI, the test database), signed in with an Admin's API token. The answers must hold to the
schema: no 5xx, only documented status codes, the documented content type, bodies that match the
documented schema, the documented response headers.

A second pass calls each operation once more with path parameters that name rows that exist (the
seeded library, the computes, a draft, a job, an endpoint), so the 200 answers of the detail views
are checked too, not only their 404s. A third sends requests the schema says are invalid (negative
data): they must be refused as documented, never with a 5xx.

Reads run first and deletions last, so each operation finds the rows the others name. Nothing is
skipped: in process with the stub broker, no operation starts a container or a build (a submitted
job stays Queued; the `local` compute's check runs on this machine).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import time

import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from studio.registry import register_file
from tests import factories
from tests.endpoints.pipelines import SPLIT_PIPELINE

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES_PER_OPERATION = 8  # generated requests per operation (path parameters mostly name nothing)
KNOWN_EXAMPLES = 3  # more per operation with path parameters that name rows that exist
NEGATIVE_EXAMPLES = 6  # requests the schema says are invalid: never a 5xx, and answered as documented

# Operations left out, each with why. Keep this tiny.
SKIPPED: dict[tuple[str, str], str] = {}


@contextlib.contextmanager
def _connections_kept():
    """As Django's test client does: a request must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _schema(token: str):
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=_auth(token))
    return schema, app


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _run_operation(
    operation,
    token: str,
    failures: list,
    counts: collections.Counter,
    answered: set,
    *,
    known=None,
    examples: int,
    mode: GenerationMode = GenerationMode.POSITIVE,
) -> None:
    headers = _auth(token)
    strategy = operation.as_strategy(mode, path_parameters=known) if known else operation.as_strategy(mode)

    @given(case=strategy)
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        response = case.call(headers=headers)
        counts["requests"] += 1
        counts[f"status {response.status_code // 100}xx"] += 1
        if response.status_code < 300:
            answered.add(operation.label)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (FailureGroup, Exception) as error:  # every failure is counted and reported below
            failures.append((operation.label, response.status_code, error))

    run()


def _rows(admin, folder) -> dict[str, dict]:
    """Rows that exist, made through the API as a client would; the path parameters that name
    them, by the first segment of the path after /api/v1/."""
    client = factories.api_client(admin)

    def made(response, status=(200, 201, 202)):
        assert response.status_code in status, response.content[:500]
        return response.json()

    body = {"name": "split-iris", "yaml": SPLIT_PIPELINE}
    endpoint = made(client.post("/api/v1/endpoints/", body, format="json"))
    key = made(client.post("/api/v1/endpoints/split-iris/keys/", {"name": "ci"}, format="json"))
    run = made(client.post("/api/v1/endpoints/split-iris/runs/", {}, format="json"))
    draft = made(client.post("/api/v1/drafts/", {"name": "a draft"}, format="json"))
    other = factories.make_user("ada")
    (folder / "weights.bin").write_bytes(b"\x00\x01\x02")
    (folder / "model.yml").write_text("name: weights\nversion: '1'\ntype: custom_model\npath: weights.bin\n")
    register_file(folder / "model.yml", kind="model", user=admin)
    token_id = made(client.post("/api/v1/tokens/", {"name": "to delete"}, format="json"))["id"]
    job = run["Id"]  # an endpoint's run is a job of that name
    return {
        "environments": {"name": "sklearn-1.5", "version": "1"},
        "components": {"name": "train_model", "version": "1"},
        "data": {"name": "iris", "version": "1"},
        "models": {"name": "weights", "version": "1"},
        "datastores": {"name": "workspaceblobstore"},
        "computes": {"name": "local"},
        "drafts": {"id": draft["id"]},
        "jobs": {"name": job, "step": "split", "output": "first_dataset", "path": "data.csv"},
        "endpoints": {
            "name": endpoint.get("name", "split-iris"),
            "run_id": job,
            "key_id": key.get("id"),
            "number": 1,
        },
        "users": {"username": other.username},
        "tokens": {"id": token_id},
    }


def test_every_operation_answers_as_documented(library, tmp_path):
    admin = factories.make_user("schemathesis-admin", admin=True)
    token = factories.make_token(admin, "schemathesis")
    factories.make_computes()

    rows = _rows(
        admin, tmp_path
    )  # before: Django's test client connects the signals again after each request
    quiet = logging.getLogger("studio.requests")  # a line per refused request: thousands of them
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with _connections_kept():
            _run_all(token, rows)
    finally:
        quiet.setLevel(level)


def _run_all(token: str, rows: dict) -> None:
    started = time.monotonic()
    schema, _ = _schema(token)
    failures: list = []
    counts: collections.Counter = collections.Counter()
    answered: set[str] = set()  # operations that answered 2xx at least once
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED:
            operations.append(operation)
    # Reads first, deletions last, so the rows the other operations name are still there for them.
    order = {"GET": 0, "DELETE": 2}
    operations.sort(key=lambda operation: order.get(operation.method.upper(), 1))
    for operation in operations:
        _run_operation(operation, token, failures, counts, answered, examples=EXAMPLES_PER_OPERATION)
        names = {parameter.name for parameter in operation.path_parameters}
        known = rows.get(operation.path.removeprefix("/api/v1/").split("/")[0], {})
        if names and names <= set(known):
            counts["operations with known rows"] += 1
            known = {name: value for name, value in known.items() if name in names}
            _run_operation(operation, token, failures, counts, answered, known=known, examples=KNOWN_EXAMPLES)
        if NEGATIVE_EXAMPLES:
            _run_operation(
                operation,
                token,
                failures,
                counts,
                answered,
                examples=NEGATIVE_EXAMPLES,
                known=known if names and names <= set(known) else None,
                mode=GenerationMode.NEGATIVE,
            )

    kinds = collections.Counter()
    seen = set()
    lines = []
    for label, status, error in failures:
        for failure in getattr(error, "exceptions", [error]):
            title = getattr(failure, "title", type(failure).__name__)
            kinds[title] += 1
            key = (label, status, title)
            if key not in seen:
                seen.add(key)
                message = str(getattr(failure, "message", failure)).splitlines()[:6]
                lines.append(f"{label} -> {status}: {title}: {' | '.join(message)}")
    never = sorted(operation.label for operation in operations if operation.label not in answered)
    print(f"never answered 2xx ({len(never)}): " + ", ".join(never))
    print("\n".join(lines))
    print(
        f"schemathesis: {len(operations)} operations, {len(SKIPPED)} skipped, {counts['requests']} requests "
        f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()) if k != 'requests')}), "
        f"{len(failures)} failing responses ({', '.join(f'{k}: {v}' for k, v in kinds.most_common())}) "
        f"in {time.monotonic() - started:.0f} s"
    )
    assert not failures, f"{len(failures)} responses do not hold to the schema:\n" + "\n".join(lines)
