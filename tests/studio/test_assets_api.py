"""The registry's REST API: create, list and filter, versions, detail, @latest, archive, export."""

from __future__ import annotations

import io
import json
import tarfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studio.models import ApiToken, Component, DataAsset, Environment
from studio.storage.reading import snapshot_files

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture(autouse=True)
def artifacts_root(settings, tmp_path):
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"


def _post_json(client, endpoint: str, document: dict, **extra):
    return client.post(f"{API}/{endpoint}/", json.dumps(document), content_type="application/json", **extra)


def _environment(name: str = "api-env", **fields) -> dict:
    return {"name": name, "image": "python:3.11-slim", **fields}


def _tar_gz(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            data = content.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _names_versions(response) -> list[tuple[str, str]]:
    return [(item["name"], item["version"]) for item in _results(response)]


# --- Creating -----------------------------------------------------------------------------------


def test_create_via_json_then_identical_again(admin_client, admin_user):
    document = _environment(version="1", description="From JSON.", tags={"team": "ml"})

    first = _post_json(admin_client, "environments", document)
    again = _post_json(admin_client, "environments", document)

    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    body = first.json()
    assert again.json()["id"] == body["id"]
    assert again.json()["content_hash"] == body["content_hash"]
    assert (body["name"], body["version"], body["reference"]) == ("api-env", "1", "azureml:api-env:1")
    assert body["tags"] == {"team": "ml"}
    assert body["created_by"] == admin_user.username
    assert Environment.objects.count() == 1


def test_create_without_version_numbers_versions(admin_client):
    first = _post_json(admin_client, "environments", _environment())
    second = _post_json(admin_client, "environments", _environment(description="changed"))
    same = _post_json(admin_client, "environments", _environment())

    assert [r.status_code for r in (first, second, same)] == [201, 201, 200]
    assert [first.json()["version"], second.json()["version"], same.json()["version"]] == ["1", "2", "1"]


def test_create_a_component_via_multipart_with_a_code_archive(admin_client):
    _post_json(admin_client, "environments", _environment(version="1"))
    definition = (
        "type: command\nname: uploaded\nversion: '1'\ncode: ./src\n"
        "environment: azureml:api-env:1\ninputs:\n  n:\n    type: integer\n    default: 3\n"
        "command: python main.py --n ${{inputs.n}}\n"
    )
    archive = _tar_gz(
        {"main.py": "print('hi')\n", "lib/util.py": "X = 1\n", "debug.log": "x", ".amlignore": "*.log\n"}
    )

    def post():
        return admin_client.post(
            f"{API}/components/",
            {
                "file": SimpleUploadedFile("component.yml", definition.encode()),
                "code": SimpleUploadedFile("src.tar.gz", archive, content_type="application/gzip"),
            },
        )

    response = post()

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["environment"] == "api-env:1"
    assert body["spec"]["code"] == body["code_digest"]
    files = {name for name, _ in snapshot_files(body["code_digest"])}
    assert files == {".amlignore", "main.py", "lib/util.py"}
    again = post()
    assert (again.status_code, again.json()["id"]) == (200, body["id"])


def test_create_data_and_environment_via_multipart_parts(admin_client):
    data = admin_client.post(
        f"{API}/data/",
        {
            "file": SimpleUploadedFile("data.yml", b"name: rows\ntype: uri_file\npath: ./rows.csv\n"),
            "path": SimpleUploadedFile("rows.csv", b"a,b\n1,2\n"),
        },
    )
    assert data.status_code == 201, data.content
    assert (data.json()["data_type"], data.json()["file_count"], data.json()["size_bytes"]) == (
        "uri_file",
        1,
        8,
    )
    assert snapshot_files(data.json()["snapshot_digest"]) == [("rows.csv", 8)]

    environment = admin_client.post(
        f"{API}/environments/",
        {
            "file": SimpleUploadedFile(
                "env.yml", b"name: conda-env\nimage: python:3.11\nconda_file: conda.yml\n"
            ),
            "conda_file": SimpleUploadedFile("conda.yml", b"dependencies:\n  - python=3.11\n"),
        },
    )
    assert environment.status_code == 201, environment.content
    assert environment.json()["spec"]["conda"] == {"dependencies": ["python=3.11"]}


def test_create_without_a_definition_is_400(admin_client):
    response = admin_client.post(f"{API}/environments/", {})

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["is required"]}


# --- Listing and filtering ----------------------------------------------------------------------


@pytest.fixture
def catalogue(admin_client):
    """Three environments, one of them with two versions and one archived version."""
    documents = [
        _environment("alpha", version="1", description="first alpha", tags={"team": "ml", "gpu": "yes"}),
        _environment("alpha", version="2", description="second alpha", tags={"team": "ml"}),
        _environment("beta", version="1", description="mentions ALPHA in passing", tags={"team": "data"}),
        _environment("gamma", version="1", description="old one", tags={"gpu": ""}),
    ]
    for document in documents:
        assert _post_json(admin_client, "environments", document).status_code == 201
    Environment.objects.get(name="gamma").set_archived(True)


def test_list_hides_archived_versions_by_default(admin_client, catalogue):
    listed = _names_versions(admin_client.get(f"{API}/environments/"))

    assert listed == [("alpha", "2"), ("alpha", "1"), ("beta", "1")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name=alpha", [("alpha", "2"), ("alpha", "1")]),
        ("name=alp", []),
        ("name__icontains=ALP", [("alpha", "2"), ("alpha", "1")]),
        ("name__icontains=et", [("beta", "1")]),
        ("q=alpha", [("alpha", "2"), ("alpha", "1"), ("beta", "1")]),
        ("q=second", [("alpha", "2")]),
        ("tag=team", [("alpha", "2"), ("alpha", "1"), ("beta", "1")]),
        ("tag=team:ml", [("alpha", "2"), ("alpha", "1")]),
        ("tag=team:data", [("beta", "1")]),
        ("tag=gpu", [("alpha", "1")]),
        ("tag=gpu&archived=all", [("alpha", "1"), ("gamma", "1")]),
        ("tag=gpu:&archived=all", [("gamma", "1")]),
        ("tag=missing", []),
        ("archived=true", [("gamma", "1")]),
        ("archived=false", [("alpha", "2"), ("alpha", "1"), ("beta", "1")]),
        ("archived=all", [("alpha", "2"), ("alpha", "1"), ("beta", "1"), ("gamma", "1")]),
        ("q=old&archived=all", [("gamma", "1")]),
    ],
)
def test_list_filters(admin_client, catalogue, query, expected):
    assert _names_versions(admin_client.get(f"{API}/environments/?{query}")) == expected


def test_list_refuses_an_unknown_archived_value(admin_client, catalogue):
    response = admin_client.get(f"{API}/environments/?archived=maybe")

    assert response.status_code == 400
    assert "archived" in response.json()["errors"]


def test_versions_lists_every_version_newest_first(admin_client, catalogue):
    Environment.objects.get(name="alpha", version="2").set_archived(True)

    versions = _results(admin_client.get(f"{API}/environments/alpha/versions/"))

    assert [(item["version"], item["archived"]) for item in versions] == [("2", True), ("1", False)]
    assert admin_client.get(f"{API}/environments/nothing/versions/").status_code == 404


# --- One version, @latest, archive --------------------------------------------------------------


def test_detail_by_version_and_latest(admin_client, catalogue):
    one = admin_client.get(f"{API}/environments/alpha/1/")
    latest = admin_client.get(f"{API}/environments/alpha@latest/")

    assert (one.status_code, one.json()["version"], one.json()["description"]) == (200, "1", "first alpha")
    assert (latest.status_code, latest.json()["version"]) == (200, "2")


def test_latest_skips_archived_versions(admin_client, catalogue):
    archived = admin_client.post(f"{API}/environments/alpha/2/archive/")
    assert (archived.status_code, archived.json()["archived"]) == (200, True)

    assert admin_client.get(f"{API}/environments/alpha@latest/").json()["version"] == "1"
    assert admin_client.get(f"{API}/environments/alpha/2/").json()["archived"] is True
    assert admin_client.get(f"{API}/environments/gamma@latest/").status_code == 404

    restored = admin_client.delete(f"{API}/environments/alpha/2/archive/")
    assert (restored.status_code, restored.json()["archived"]) == (200, False)
    assert admin_client.get(f"{API}/environments/alpha@latest/").json()["version"] == "2"


@pytest.mark.parametrize(
    "path",
    [
        "environments/nothing/1/",
        "environments/alpha/9/",
        "environments/nothing@latest/",
        "environments/nothing/1/export/",
        "environments/nothing@latest/export/",
        "components/alpha/1/",
        "data/alpha@latest/",
    ],
)
def test_unknown_assets_are_404(admin_client, catalogue, path):
    response = admin_client.get(f"{API}/{path}")

    assert response.status_code == 404
    assert response.json()["detail"]


def test_archiving_an_unknown_version_is_404(admin_client, catalogue):
    assert admin_client.post(f"{API}/environments/alpha/9/archive/").status_code == 404
    assert admin_client.delete(f"{API}/environments/nothing/1/archive/").status_code == 404


# --- Export -------------------------------------------------------------------------------------


def _export_and_register_back(client, endpoint: str, path: str) -> tuple[dict, dict]:
    original = client.get(f"{API}/{endpoint}/{path}/").json()
    exported = client.get(f"{API}/{endpoint}/{path}/export/")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith(("application/yaml", "application/json"))
    assert original["name"] in exported["Content-Disposition"]
    upload = SimpleUploadedFile("exported.yml", exported.content)
    response = client.post(f"{API}/{endpoint}/", {"file": upload})
    assert response.status_code == 200, response.content
    return original, response.json()


def test_export_registers_back_to_the_same_version(admin_client, catalogue):
    original, again = _export_and_register_back(admin_client, "environments", "alpha/1")
    assert (again["id"], again["content_hash"]) == (original["id"], original["content_hash"])

    latest = admin_client.get(f"{API}/environments/alpha@latest/export/")
    assert latest["Content-Type"].startswith("application/yaml")
    assert "version: '2'" in latest.content.decode()


def test_export_of_a_component_with_code_registers_back(admin_client):
    _post_json(admin_client, "environments", _environment(version="1"))
    definition = (
        "type: command\nname: coded\ncode: src\nenvironment: azureml:api-env:1\ncommand: python main.py\n"
    )
    created = admin_client.post(
        f"{API}/components/",
        {
            "file": SimpleUploadedFile("component.yml", definition.encode()),
            "code": SimpleUploadedFile("src.tar.gz", _tar_gz({"main.py": "print(1)\n"})),
        },
    )
    assert created.status_code == 201, created.content

    original, again = _export_and_register_back(admin_client, "components", "coded/1")

    assert (again["id"], again["content_hash"]) == (original["id"], original["content_hash"])
    assert Component.objects.count() == 1


def test_export_of_a_v1_environment_is_json(admin_client):
    document = {
        "name": "v1-env",
        "version": "1",
        "environmentVariables": {"A": "1"},
        "docker": {"enabled": True, "baseImage": "python:3.11"},
    }
    assert _post_json(admin_client, "environments", document).status_code == 201

    exported = admin_client.get(f"{API}/environments/v1-env/1/export/")

    assert exported["Content-Type"].startswith("application/json")
    assert json.loads(exported.content)["environmentVariables"] == {"A": "1"}
    original, again = _export_and_register_back(admin_client, "environments", "v1-env/1")
    assert again["id"] == original["id"]


def test_export_of_url_and_folder_data_registers_back(admin_client):
    url = {"name": "remote", "type": "uri_file", "path": "https://example.com/x.csv", "version": "1"}
    assert _post_json(admin_client, "data", url).status_code == 201
    folder = admin_client.post(
        f"{API}/data/",
        {
            "file": SimpleUploadedFile(
                "data.yml", b"name: folder\ntype: uri_folder\npath: ./d\nversion: '1'\n"
            ),
            "path": SimpleUploadedFile("d.tar.gz", _tar_gz({"a.csv": "a\n1\n", "b/c.csv": "c\n"})),
        },
    )
    assert folder.status_code == 201, folder.content

    for path in ("remote/1", "folder/1"):
        original, again = _export_and_register_back(admin_client, "data", path)
        assert again["content_hash"] == original["content_hash"]
    assert DataAsset.objects.count() == 2


# --- Authentication -----------------------------------------------------------------------------


def test_a_bearer_token_authenticates(client, django_user_model):
    user = django_user_model.objects.create_user("dora", password="a-long-test-password-7")
    _, raw = ApiToken.issue(user, "ci")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    assert client.get(f"{API}/environments/").status_code == 401
    assert _post_json(client, "environments", _environment()).status_code == 401
    created = _post_json(client, "environments", _environment(), **auth)
    assert created.status_code == 201, created.content
    assert created.json()["created_by"] == "dora"
    assert client.get(f"{API}/environments/api-env@latest/", **auth).status_code == 200
    assert client.get(f"{API}/environments/", HTTP_AUTHORIZATION="Bearer stu_wrong").status_code == 401


def test_export_of_a_file_data_asset_registers_back(admin_client):
    created = admin_client.post(
        f"{API}/data/",
        {
            "file": SimpleUploadedFile(
                "data.yml", b"name: rows\ntype: uri_file\npath: rows.csv\nversion: '1'\n"
            ),
            "path": SimpleUploadedFile("rows.csv", b"a,b\n1,2\n"),
        },
    )
    assert created.status_code == 201, created.content

    original, again = _export_and_register_back(admin_client, "data", "rows/1")

    assert (again["id"], again["content_hash"]) == (original["id"], original["content_hash"])
