"""API errors share one shape; lists paginate and filter; the schema and docs are served locally."""

from __future__ import annotations

import pytest

from studio.models import ApiToken, Compute, Environment
from tests.factories import make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {make_token(user)}"}


def _assert_error_shape(body) -> None:
    assert set(body) == {"detail", "errors"}, body
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["errors"], dict)
    for field, messages in body["errors"].items():
        assert isinstance(field, str)
        assert isinstance(messages, list)
        assert all(isinstance(message, str) for message in messages)


def test_it_answers_401_in_the_error_shape(client):
    response = client.get("/api/v1/computes/")

    assert response.status_code == 401
    _assert_error_shape(response.json())
    assert response.json()["errors"] == {}


def test_it_answers_401_for_a_bad_token_in_the_error_shape(client):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer stu_nope")

    assert response.status_code == 401
    _assert_error_shape(response.json())
    assert "token" in response.json()["detail"].lower()


@pytest.mark.parametrize(
    "path", ["/api/v1/computes/999999/", "/api/v1/tokens/999999/", "/api/v1/environments/999999/"]
)
def test_it_answers_404_in_the_error_shape(client, auth, path):
    response = client.get(path, **auth)

    assert response.status_code == 404
    _assert_error_shape(response.json())


def test_it_names_a_missing_field(client, auth):
    response = client.post("/api/v1/tokens/", {}, content_type="application/json", **auth)

    assert response.status_code == 400
    body = response.json()
    _assert_error_shape(body)
    assert list(body["errors"]) == ["name"]
    assert body["errors"]["name"]
    assert body["detail"].startswith("name:")


def test_it_names_a_field_that_is_too_long(client, auth):
    response = client.post("/api/v1/tokens/", {"name": "x" * 101}, content_type="application/json", **auth)

    assert response.status_code == 400
    body = response.json()
    _assert_error_shape(body)
    assert list(body["errors"]) == ["name"]
    assert "100" in body["errors"]["name"][0]
    assert ApiToken.objects.count() == 1  # only the fixture's own token


def test_it_accepts_a_name_of_100_characters(client, auth):
    response = client.post("/api/v1/tokens/", {"name": "x" * 100}, content_type="application/json", **auth)

    assert response.status_code == 201


def test_it_answers_400_for_malformed_json(client, auth):
    response = client.post("/api/v1/tokens/", "{not json", content_type="application/json", **auth)

    assert response.status_code == 400
    _assert_error_shape(response.json())


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/api/v1/computes/local/"),
        ("delete", "/api/v1/computes/"),
        ("put", "/api/v1/tokens/"),
        ("post", "/api/v1/me/"),
        ("patch", "/api/v1/environments/"),
    ],
)
def test_it_answers_405_in_the_error_shape(client, auth, method, path):
    response = getattr(client, method)(path, {}, content_type="application/json", **auth)

    assert response.status_code == 405
    _assert_error_shape(response.json())
    assert method.upper() in response.json()["detail"]


def _computes(*names: str) -> None:
    for name in names:
        Compute.objects.create(name=name, kind="local")


def test_it_paginates_lists(client, auth):
    _computes("alpha", "beta", "gamma")

    first = client.get("/api/v1/computes/", {"page_size": 2}, **auth).json()

    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["next"] is not None
    assert "page=2" in first["next"]
    assert first["previous"] is None

    second = client.get(first["next"], **auth).json()
    assert len(second["results"]) == 1
    assert second["next"] is None
    names = [c["name"] for c in first["results"] + second["results"]]
    assert names == ["alpha", "beta", "gamma"]


def test_it_caps_the_page_size(client, auth):
    _computes("alpha", "beta", "gamma")

    body = client.get("/api/v1/computes/", {"page_size": 100000}, **auth).json()

    assert len(body["results"]) == 3
    assert body["next"] is None


def test_it_answers_404_for_a_page_past_the_end(client, auth):
    _computes("alpha")

    response = client.get("/api/v1/computes/", {"page": 5}, **auth)

    assert response.status_code == 404
    _assert_error_shape(response.json())


def test_it_filters_computes_by_name(client, auth):
    _computes("gpu-box", "gpu-box-2", "cpu-box")

    exact = client.get("/api/v1/computes/", {"name": "gpu-box"}, **auth).json()
    assert [c["name"] for c in exact["results"]] == ["gpu-box"]

    contains = client.get("/api/v1/computes/", {"name__icontains": "GPU"}, **auth).json()
    assert sorted(c["name"] for c in contains["results"]) == ["gpu-box", "gpu-box-2"]

    none = client.get("/api/v1/computes/", {"name": "gpu"}, **auth).json()
    assert none["count"] == 0


def _environment(name: str, version: str) -> Environment:
    content_hash = f"{name}-{version}".ljust(64, "0")
    return Environment.objects.create(name=name, version=version, content_hash=content_hash)


def test_it_filters_environments_by_name(client, auth):
    _environment("sklearn", "1")
    _environment("sklearn", "2")
    _environment("sklearn-gpu", "1")
    _environment("torch", "1")

    exact = client.get("/api/v1/environments/", {"name": "sklearn"}, **auth).json()
    assert exact["count"] == 2
    assert {(e["name"], e["version"]) for e in exact["results"]} == {("sklearn", "1"), ("sklearn", "2")}

    contains = client.get("/api/v1/environments/", {"name__icontains": "SKLEARN"}, **auth).json()
    assert sorted({e["name"] for e in contains["results"]}) == ["sklearn", "sklearn-gpu"]
    assert contains["count"] == 3

    versioned = client.get("/api/v1/environments/", {"name": "sklearn", "version": "2"}, **auth).json()
    assert [(e["name"], e["version"]) for e in versioned["results"]] == [("sklearn", "2")]


def test_it_serves_an_openapi_document_to_a_signed_in_user(client, user):
    client.force_login(user)

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/tokens/" in document["paths"]
    assert "/api/v1/me/" in document["paths"]
    assert "post" in document["paths"]["/api/v1/tokens/"]


def test_it_renders_the_api_docs_from_local_static_files(client, user):
    client.force_login(user)

    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "drf_spectacular_sidecar" in page
    assert "/static/" in page
    assert "cdn.jsdelivr" not in page
    assert "unpkg" not in page


def test_it_serves_the_sidecar_files_the_docs_page_references(client, user):
    import re

    client.force_login(user)
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="(/static/drf_spectacular_sidecar/[^"]+)"', page)

    assert sources
    for source in sources:
        assert client.get(source).status_code == 200, source
