"""Invoking endpoints over REST: validation, keys, idempotency, status, versions, OpenAPI, limits.

No worker runs here, so jobs stay Queued; tests/endpoints/test_invoke_runs.py runs them for real.
"""

from __future__ import annotations

import logging

import pytest
from openapi_spec_validator import validate

from endpoints.models import EndpointInvocation, EndpointKey
from pipelines.spec import PipelineSpec
from runner.models import PipelineJob
from tests.endpoints.pipelines import SPLIT_PIPELINE, new_key, publish, with_key

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/endpoints/split-iris/runs"


@pytest.fixture
def endpoint(api, seeded):
    return publish(api)


@pytest.fixture
def key(api, endpoint):
    return new_key(api)


def invoke(client, body=None, *, url=RUNS, **headers):
    return client.post(url, body if body is not None else {}, format="json", **headers)


def step_value(job_name: str, step: str, port: str):
    spec = PipelineSpec.model_validate(PipelineJob.objects.get(name=job_name).spec)
    return spec.steps[step].inputs[port]


# --- the happy path ------------------------------------------------------------------------------


def test_a_key_runs_the_endpoint_with_its_parameters(key):
    response = invoke(
        with_key(key),
        {
            "ExperimentName": "nightly",
            "ParameterAssignments": {"fraction": 0.5, "seed": 11},
            "DataPathAssignments": {"raw": {"DataAssetName": "iris", "Version": "1"}},
            "Description": "from CI",
            "Tags": {"team": "data"},
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"Id", "Status", "Url", "StatusUrl"}
    assert body["Status"] == "Queued"
    assert body["Url"] == f"http://testserver/jobs/{body['Id']}/"
    assert body["StatusUrl"] == f"http://testserver{RUNS}/{body['Id']}"
    job = PipelineJob.objects.get(name=body["Id"])
    assert job.experiment_name == "nightly" and job.description == "from CI" and job.source == "endpoint"
    assert job.tags == {"team": "data", "endpoint": "split-iris", "endpoint_version": "1"}
    assert step_value(job.name, "split", "fraction").value == 0.5
    assert step_value(job.name, "split", "seed").value == 11
    assert step_value(job.name, "split", "stratify_column").value == "species"  # the default stays
    assert step_value(job.name, "load", "source_file").asset == "iris:1"
    record = EndpointInvocation.objects.get(job=job)
    assert record.key.prefix == key[:12] and record.parameters == {"fraction": 0.5, "seed": 11}

    status = with_key(key).get(body["StatusUrl"])
    assert status.status_code == 200
    assert status.json()["Id"] == body["Id"] and status.json()["Version"] == 1
    assert [s["Name"] for s in status.json()["Steps"]] == ["load", "split"]


def test_snake_case_aliases_and_a_user_token_work_too(api, endpoint):
    response = invoke(
        api, {"experiment_name": "adhoc", "parameters": {"seed": 3}, "inputs": {"raw": "iris:1"}}
    )

    assert response.status_code == 201, response.json()
    job = PipelineJob.objects.get(name=response.json()["Id"])
    assert job.experiment_name == "adhoc" and job.created_by.username == "ada"
    assert step_value(job.name, "split", "seed").value == 3


def test_an_integer_parameter_takes_a_whole_float(key):
    response = invoke(with_key(key), {"ParameterAssignments": {"seed": 5.0}})
    assert response.status_code == 201
    value = step_value(response.json()["Id"], "split", "seed").value
    assert value == 5 and isinstance(value, int)


def test_a_pinned_version_and_a_new_default_choose_what_runs(api, key):
    publish(api, yaml=SPLIT_V2)  # version 2: fraction defaults to 0.25

    default = invoke(with_key(key))
    pinned = invoke(with_key(key), url=f"{RUNS}?version=2")
    assert step_value(default.json()["Id"], "split", "fraction").value == 0.7
    assert step_value(pinned.json()["Id"], "split", "fraction").value == 0.25

    api.patch("/api/v1/endpoints/split-iris/", {"default_version": 2}, format="json")
    again = invoke(with_key(key))
    assert step_value(again.json()["Id"], "split", "fraction").value == 0.25
    assert with_key(key).get(again.json()["StatusUrl"]).json()["Version"] == 2

    missing = invoke(with_key(key), url=f"{RUNS}?version=7")
    assert missing.status_code == 404 and "no version 7" in missing.json()["detail"]


SPLIT_V2 = SPLIT_PIPELINE.replace("fraction: 0.7", "fraction: 0.25")


# --- validation ----------------------------------------------------------------------------------

BAD_BODIES = [
    (
        {"ParameterAssignments": {"learning_rate": 0.1}},
        "ParameterAssignments.learning_rate",
        "not a parameter",
    ),
    ({"ParameterAssignments": {"fraction": "0.5"}}, "ParameterAssignments.fraction", "expects a number"),
    ({"ParameterAssignments": {"fraction": 1.5}}, "ParameterAssignments.fraction", "above the maximum 0.99"),
    ({"ParameterAssignments": {"fraction": 0}}, "ParameterAssignments.fraction", "below the minimum 0.01"),
    ({"ParameterAssignments": {"fraction": True}}, "ParameterAssignments.fraction", "expects a number"),
    ({"ParameterAssignments": {"seed": 2.5}}, "ParameterAssignments.seed", "whole number"),
    ({"ParameterAssignments": {"seed": -1}}, "ParameterAssignments.seed", "below the minimum 0"),
    ({"ParameterAssignments": {"seed": [1, 2]}}, "ParameterAssignments.seed", "single integer"),
    ({"ParameterAssignments": {"seed": None}}, "ParameterAssignments.seed", "cannot be null"),
    ({"ParameterAssignments": {"label": 5}}, "ParameterAssignments.label", "expects a string"),
    (
        {"ParameterAssignments": {"raw": "iris:1"}},
        "ParameterAssignments.raw",
        "set it in DataPathAssignments",
    ),
    ({"ParameterAssignments": [1]}, "ParameterAssignments", "must be an object"),
    ({"DataPathAssignments": {"fraction": "iris:1"}}, "DataPathAssignments.fraction", "ParameterAssignments"),
    ({"DataPathAssignments": {"raw": {"DataAssetName": "nope"}}}, "DataPathAssignments.raw", "nope"),
    (
        {"DataPathAssignments": {"raw": {"DataAssetName": "iris", "Version": "9"}}},
        "DataPathAssignments.raw",
        "9",
    ),
    (
        {"DataPathAssignments": {"raw": {"Path": "/etc/passwd"}}},
        "DataPathAssignments.raw",
        "STUDIO_DATA_ROOTS",
    ),
    (
        {"DataPathAssignments": {"raw": {"Path": "x", "DataAssetName": "iris"}}},
        "DataPathAssignments.raw",
        "either",
    ),
    ({"DataPathAssignments": {"raw": {"Bucket": "x"}}}, "DataPathAssignments.raw.Bucket", "not a field"),
    ({"DataPathAssignments": {"raw": 7}}, "DataPathAssignments.raw", "DataAssetName"),
    ({"ExperimentName": 5}, "ExperimentName", "must be text"),
    ({"ExperimentName": "  "}, "ExperimentName", "blank"),
    ({"ExperimentName": "x" * 300}, "ExperimentName", "longer than 255"),
    ({"Tags": ["a"]}, "Tags", "must be an object"),
    ({"Tags": {"a": {"b": 1}}}, "Tags.a", "must be text"),
    ({"Parameters": {"seed": 1}}, "Parameters", "not a field of an invocation"),
    ({"parameters": {"seed": 1}, "ParameterAssignments": {"seed": 2}}, "ParameterAssignments", "given twice"),
]


@pytest.mark.parametrize(("body", "field", "words"), BAD_BODIES, ids=[case[1] for case in BAD_BODIES])
def test_a_bad_body_gets_a_400_naming_the_parameter(key, body, field, words):
    response = invoke(with_key(key), body)

    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert field in errors, errors
    assert any(words in message for message in errors[field]), errors[field]
    assert not PipelineJob.objects.exists()
    assert EndpointInvocation.objects.get().status_code == 400  # recorded all the same


def test_every_problem_is_listed_at_once(key):
    response = invoke(
        with_key(key),
        {"ParameterAssignments": {"fraction": "x", "seed": -3, "nope": 1}, "Color": "red"},
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "ParameterAssignments.fraction",
        "ParameterAssignments.seed",
        "ParameterAssignments.nope",
        "Color",
    }


def test_a_body_that_is_not_an_object_is_refused(key):
    response = with_key(key).post(RUNS, "[1, 2]", content_type="application/json")
    assert response.status_code == 400 and "JSON object" in response.json()["detail"]
    broken = with_key(key).post(RUNS, "{", content_type="application/json")
    assert broken.status_code == 400


def test_a_required_parameter_must_be_given(api, seeded):
    publish(api, name="needs-label", yaml=REQUIRED_LABEL)
    key = new_key(api, "needs-label")

    response = invoke(with_key(key), url="/api/v1/endpoints/needs-label/runs")

    assert response.status_code == 400
    assert response.json()["errors"] == {"ParameterAssignments.label": ["is required (it has no default)"]}
    ok = invoke(
        with_key(key),
        {"ParameterAssignments": {"label": "species"}},
        url="/api/v1/endpoints/needs-label/runs",
    )
    assert ok.status_code == 201


REQUIRED_LABEL = """\
settings: {default_compute: azureml:local}
inputs:
  label: {type: string}
jobs:
  load:
    component: azureml:import_csv:1
    inputs:
      source_file: {type: uri_file, path: azureml:iris:1}
  train:
    component: azureml:train_model:1
    inputs:
      dataset: ${{parent.jobs.load.outputs.dataset}}
      label_column: ${{parent.inputs.label}}
"""


# --- keys ----------------------------------------------------------------------------------------


def test_keys_are_scoped_revocable_and_stored_hashed(api, anonymous, seeded):
    publish(api)
    publish(api, name="other")
    key = new_key(api)
    other_key = new_key(api, "other")
    revoked = new_key(api, name="old")
    EndpointKey.objects.get(name="old").revoke()
    # (ci: this endpoint's key; another endpoint's key is also named ci)

    refusals = {
        "no key": anonymous.post(RUNS, {}, format="json"),
        "wrong key": invoke(with_key("sep_" + "x" * 43)),
        "another endpoint's key": invoke(with_key(other_key)),
        "revoked key": invoke(with_key(revoked)),
        "not bearer": anonymous.post(RUNS, {}, format="json", HTTP_AUTHORIZATION=f"Basic {key}"),
        "garbage": anonymous.post(RUNS, {}, format="json", HTTP_AUTHORIZATION="Bearer a b"),
        "unknown endpoint, another's key": invoke(with_key(other_key), url="/api/v1/endpoints/nope/runs"),
        "unknown endpoint, no key": anonymous.post("/api/v1/endpoints/nope/runs", {}, format="json"),
    }
    for why, response in refusals.items():
        assert response.status_code == 401, why
    # The same answer whether or not the endpoint exists.
    assert len({r.content for r in refusals.values() if r.status_code == 401}) == 1
    assert not PipelineJob.objects.exists()

    assert invoke(with_key(key)).status_code == 201
    stored = EndpointKey.objects.get(name="ci", endpoint__name="split-iris")
    assert stored.key_hash != key and key not in stored.key_hash and stored.prefix == key[:12]
    assert stored.last_used_at is not None
    # A key cannot manage the endpoint.
    assert with_key(key).get("/api/v1/endpoints/split-iris/").status_code == 401
    assert with_key(key).post("/api/v1/endpoints/split-iris/keys/", {"name": "x"}).status_code == 401


def test_a_key_secret_is_shown_once(api, endpoint):
    created = api.post("/api/v1/endpoints/split-iris/keys/", {"name": "ci"}, format="json").json()
    assert created["key"].startswith("sep_")

    listed = api.get("/api/v1/endpoints/split-iris/keys/").json()["results"]
    detail = api.get("/api/v1/endpoints/split-iris/").json()
    assert created["key"] not in str(listed) and created["key"] not in str(detail)
    revoked = api.post(f"/api/v1/endpoints/split-iris/keys/{created['id']}/revoke/")
    assert revoked.json()["active"] is False


def test_a_key_reads_and_cancels_only_its_endpoints_runs(api, seeded):
    publish(api)
    publish(api, name="other")
    key, other_key = new_key(api), new_key(api, "other")
    run = invoke(with_key(key)).json()
    foreign = invoke(api, url="/api/v1/endpoints/other/runs").json()

    assert with_key(other_key).get(run["StatusUrl"]).status_code == 401
    assert with_key(key).get(f"{RUNS}/{foreign['Id']}").status_code == 404
    canceled = with_key(key).post(f"{RUNS}/{run['Id']}/cancel")
    assert canceled.status_code == 202
    assert canceled.json()["Status"] in ("CancelRequested", "Canceled")
    assert with_key(key).post(f"{RUNS}/{run['Id']}/cancel").status_code in (202, 409)


def test_a_key_never_reaches_the_logs(key, caplog):
    caplog.set_level(logging.DEBUG)
    invoke(with_key(key), {"ParameterAssignments": {"seed": 1}})
    invoke(with_key(key), {"ParameterAssignments": {"seed": "x"}})
    invoke(with_key(key + "x"))

    assert caplog.records  # the requests were logged …
    assert key not in caplog.text  # … without the key
    assert key[:20] not in str(list(EndpointInvocation.objects.values()))


# --- idempotency, status, limits -----------------------------------------------------------------


def test_an_idempotency_key_repeat_returns_the_first_run(key):
    client = with_key(key)
    body = {"ParameterAssignments": {"seed": 1}}

    first = invoke(client, body, HTTP_IDEMPOTENCY_KEY="nightly-2026-11-22")
    again = invoke(client, body, HTTP_IDEMPOTENCY_KEY="nightly-2026-11-22")
    different = invoke(
        client, {"ParameterAssignments": {"seed": 2}}, HTTP_IDEMPOTENCY_KEY="nightly-2026-11-22"
    )
    other = invoke(client, body, HTTP_IDEMPOTENCY_KEY="nightly-2026-11-23")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["Id"] == first.json()["Id"]
    assert different.status_code == 422 and "different request" in different.json()["detail"]
    assert other.status_code == 201 and other.json()["Id"] != first.json()["Id"]
    assert PipelineJob.objects.count() == 2


def test_an_idempotency_key_older_than_a_day_starts_a_new_run(key):
    from datetime import timedelta

    from django.utils import timezone

    client = with_key(key)
    first = invoke(client, {}, HTTP_IDEMPOTENCY_KEY="k1")
    EndpointInvocation.objects.update(created_at=timezone.now() - timedelta(hours=25))

    later = invoke(client, {}, HTTP_IDEMPOTENCY_KEY="k1")

    assert later.status_code == 201 and later.json()["Id"] != first.json()["Id"]


def test_a_disabled_endpoint_answers_409(api, key):
    api.patch("/api/v1/endpoints/split-iris/", {"status": "Disabled"}, format="json")
    assert invoke(with_key(key)).status_code == 409
    api.patch("/api/v1/endpoints/split-iris/", {"status": "Active"}, format="json")
    assert invoke(with_key(key)).status_code == 201


def test_invocations_are_rate_limited_per_endpoint(api, key, settings):
    settings.STUDIO_ENDPOINT_RATE_LIMIT = (3, 60)

    answers = [invoke(with_key(key)).status_code for _ in range(4)]

    assert answers == [201, 201, 201, 429]
    limited = invoke(with_key(key))
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "too many invocations of endpoint split-iris" in limited.json()["detail"]
    other = new_key(api, name="other")  # a new key gets no fresh budget, nor does a user
    assert invoke(with_key(other)).status_code == 429
    assert invoke(api).status_code == 429
    assert EndpointInvocation.objects.filter(status_code=429).count() == 4


def test_every_invocation_is_recorded(api, key):
    invoke(with_key(key), {"ParameterAssignments": {"seed": 4}})
    invoke(api, {"ParameterAssignments": {"seed": "x"}})

    rows = api.get("/api/v1/endpoints/split-iris/invocations/").json()["results"]
    assert [(r["status_code"], r["user"], bool(r["key"]), bool(r["job"])) for r in rows] == [
        (400, "ada", False, False),
        (201, None, True, True),
    ]
    assert (
        rows[1]["parameters"] == {"seed": 4}
        and rows[0]["problems"][0]["field"] == "ParameterAssignments.seed"
    )


# --- OpenAPI -------------------------------------------------------------------------------------


def test_the_endpoint_serves_an_openapi_document_of_its_parameters(api, key):
    publish(api, yaml=SPLIT_V2)
    document = with_key(key).get("/api/v1/endpoints/split-iris/openapi.json").json()

    validate(document)  # a valid OpenAPI 3 document
    request = document["components"]["schemas"]["InvokeRequest"]
    parameters = request["properties"]["ParameterAssignments"]["properties"]
    assert parameters == {
        "fraction": {
            "type": "number",
            "default": 0.7,
            "minimum": 0.01,
            "maximum": 0.99,
            "description": "The share of rows that go to the first output.",
        },
        "seed": {
            "type": "integer",
            "default": 7,
            "minimum": 0,
            "maximum": 4294967295,
            "description": "Shuffle seed",
        },
        "label": {
            "type": "string",
            "default": "species",
            "nullable": True,
            "description": "A column (usually the label) whose value shares are kept equal in both outputs.",
        },
    }
    assert set(request["properties"]["DataPathAssignments"]["properties"]) == {"raw"}
    assert "/api/v1/endpoints/split-iris/runs" in document["paths"]
    assert document["info"]["version"] == "1"

    pinned = with_key(key).get("/api/v1/endpoints/split-iris/openapi.json?version=2").json()
    validate(pinned)
    assert pinned["info"]["version"] == "2"
    fraction = pinned["components"]["schemas"]["InvokeRequest"]["properties"]["ParameterAssignments"]
    assert fraction["properties"]["fraction"]["default"] == 0.25
    assert with_key(key).get("/api/v1/endpoints/split-iris/openapi.json?version=5").status_code == 404
    assert with_key(key + "x").get("/api/v1/endpoints/split-iris/openapi.json").status_code == 401


def test_the_openapi_schema_matches_what_invoke_accepts(api, key):
    """Values the document allows are accepted; values just outside its bounds are refused."""
    document = with_key(key).get("/api/v1/endpoints/split-iris/openapi.json").json()
    properties = document["components"]["schemas"]["InvokeRequest"]["properties"]["ParameterAssignments"]
    for name, schema in properties["properties"].items():
        if "minimum" in schema:
            inside = invoke(with_key(key), {"ParameterAssignments": {name: schema["minimum"]}})
            assert inside.status_code == 201, (name, inside.json())
            below = schema["minimum"] - (1 if schema["type"] == "integer" else 0.001)
            outside = invoke(with_key(key), {"ParameterAssignments": {name: below}})
            assert outside.status_code == 400 and f"ParameterAssignments.{name}" in outside.json()["errors"]


def test_a_data_input_takes_a_server_path_under_the_data_roots(key, settings, tmp_path):
    root = tmp_path / "shared"
    root.mkdir()
    (root / "small.csv").write_text("a,b\n1,2\n")
    settings.STUDIO_DATA_ROOTS = [str(root)]

    accepted = invoke(with_key(key), {"DataPathAssignments": {"raw": {"Path": str(root / "small.csv")}}})
    outside = invoke(with_key(key), {"DataPathAssignments": {"raw": {"Path": str(tmp_path / "x.csv")}}})
    folder = invoke(with_key(key), {"DataPathAssignments": {"raw": {"Path": str(root)}}})

    assert accepted.status_code == 201, accepted.json()
    binding = step_value(accepted.json()["Id"], "load", "source_file")
    assert binding.kind == "data" and binding.snapshot and binding.asset is None
    assert (
        outside.status_code == 400
        and "STUDIO_DATA_ROOTS" in outside.json()["errors"]["DataPathAssignments.raw"][0]
    )
    assert (
        folder.status_code == 400 and "needs a file" in folder.json()["errors"]["DataPathAssignments.raw"][0]
    )


def test_an_invocation_is_json(key):
    response = with_key(key).post(RUNS, {"ExperimentName": "x"})  # multipart form

    assert response.status_code == 415 and "Unsupported media type" in response.json()["detail"]


def test_a_refused_body_is_recorded_with_its_parameters_only_when_they_are_an_object(key):
    invoke(with_key(key), {"ParameterAssignments": ["seed", 1]})
    invoke(with_key(key), {"parameters": {"seed": "x"}})

    assert [row.parameters for row in EndpointInvocation.objects.order_by("pk")] == [{}, {"seed": "x"}]


def test_publish_is_a_reserved_endpoint_name(api, seeded):
    response = api.post("/api/v1/endpoints/", {"name": "publish", "yaml": SPLIT_PIPELINE}, format="json")

    assert response.status_code == 400 and "reserved" in response.json()["errors"]["name"][0]
