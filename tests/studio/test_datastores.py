"""Datastores: server folders named by Azure ML datastore YAML, the built-ins, URIs into them,
their REST routes, pages and CLI verbs."""

from __future__ import annotations

import json
import os
import stat
import textwrap
import uuid
from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from studio.datastores import (
    DatastoreError,
    UnknownDatastoreError,
    datastore_folder,
    datastore_uri_path,
    default_datastore,
)
from studio.models import Datastore
from studio.registry import DefinitionError, export_asset, register_file, register_text
from studio.registry.attachments import UploadedAttachments
from tests.studio.cli_helpers import cli_runner

API = "/api/v1"

BLOB = """\
$schema: https://azuremlschemas.azureedge.net/latest/azureBlob.schema.json
name: {name}
type: azure_blob
description: Training data from the lake.
account_name: mytestblobstore
container_name: data-container
endpoint: core.windows.net
protocol: https
credentials:
  account_key: "XXXxxxXXXxXXXXxxXXXXXxXXXXXxXxxXxXXXxXXXxXXxxxXXxxXXXxXxXXXxxXxxXXXXxxxxxXXxxxxxxXXxxXXX"
tags:
  team: data
"""


@pytest.fixture
def home(db, settings, tmp_path):
    settings.STUDIO_HOME = tmp_path / "home"
    settings.ARTIFACTS_ROOT = tmp_path / "home" / "artifacts"
    settings.STUDIO_DATA_ROOTS = []
    return settings.STUDIO_HOME


def _register(tmp_path: Path, text: str, name: str = "datastore.yml"):
    definition = tmp_path / name
    definition.write_text(textwrap.dedent(text))
    return register_file(definition, kind="datastore")


# --- Built-ins and the compiler's API -----------------------------------------------------------


def test_it_has_the_two_workspace_datastores_after_migrate(db):
    built_in = Datastore.objects.filter(built_in=True).values_list("name", flat=True)

    assert sorted(built_in) == ["workspaceartifactstore", "workspaceblobstore"]
    assert default_datastore() == "workspaceblobstore"


def test_it_creates_a_datastore_folder_private_to_the_server_user(home):
    folder = datastore_folder("workspaceblobstore")

    assert folder == (home / "datastores" / "workspaceblobstore").resolve()
    assert folder.is_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_it_brings_the_built_ins_back_when_the_database_lost_them(home):
    Datastore.objects.all().delete()

    assert datastore_folder("workspaceartifactstore").name == "workspaceartifactstore"
    assert Datastore.objects.filter(name="workspaceblobstore", built_in=True).exists()


def test_it_refuses_an_unknown_datastore_with_the_registered_names(home):
    with pytest.raises(UnknownDatastoreError) as caught:
        datastore_folder("nosuchstore")

    assert caught.value.status == 400
    assert "nosuchstore" in str(caught.value)
    assert "workspaceblobstore" in str(caught.value)


@pytest.mark.parametrize(
    "uri, relative",
    [
        ("azureml://datastores/workspaceblobstore/paths/data/iris.csv", "data/iris.csv"),
        ("azureml://datastores/workspaceblobstore/paths/runs/one/", "runs/one"),
        ("azureml://datastores/workspaceblobstore/paths/", ""),
        (
            "azureml://subscriptions/s/resourcegroups/g/workspaces/w/datastores/workspaceblobstore/paths/a/b",
            "a/b",
        ),
    ],
)
def test_it_maps_a_datastore_uri_to_a_path_in_its_folder(home, uri, relative):
    name, path = datastore_uri_path(uri)

    folder = (home / "datastores" / "workspaceblobstore").resolve()
    assert name == "workspaceblobstore"
    assert path == (folder / relative if relative else folder)


@pytest.mark.parametrize(
    "uri, says",
    [
        ("azureml://datastores/workspaceblobstore/paths/../secret", "leaves the datastore"),
        ("azureml://datastores/workspaceblobstore/paths/a/../../b", "leaves the datastore"),
        ("azureml://datastores/workspaceblobstore/paths//etc/passwd", "absolute path"),
        ("azureml://datastores/nosuchstore/paths/x", "no datastore named 'nosuchstore'"),
        ("azureml:workspaceblobstore", "not a datastore URI"),
    ],
)
def test_it_refuses_uris_that_leave_the_datastore_or_name_nothing(home, uri, says):
    with pytest.raises(DatastoreError) as caught:
        datastore_uri_path(uri)

    assert says in str(caught.value)
    assert caught.value.status == 400


def test_it_refuses_a_symbolic_link_out_of_the_datastore(home, tmp_path):
    folder = datastore_folder("workspaceblobstore")
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "escape").symlink_to(outside)
    (folder / "inside").symlink_to(folder)

    with pytest.raises(DatastoreError, match="symbolic link"):
        datastore_uri_path("azureml://datastores/workspaceblobstore/paths/escape/file.txt")
    assert (
        datastore_uri_path("azureml://datastores/workspaceblobstore/paths/inside/x")[1]
        == folder / "inside" / "x"
    )


# --- Registering from YAML ----------------------------------------------------------------------


def test_it_registers_azure_blob_yaml_keeping_azure_fields_with_warnings(home, tmp_path):
    datastore, created = _register(tmp_path, BLOB.format(name="lake"))

    assert created
    assert datastore.folder() == home / "datastores" / "lake"
    assert (home / "datastores" / "lake").is_dir()
    assert datastore.spec["account_name"] == "mytestblobstore"
    assert datastore.tags == {"team": "data"}
    warned = {problem.field: problem for problem in datastore.registration_warnings}
    assert list(warned) == ["account_name", "container_name", "endpoint", "protocol", "credentials"]
    assert warned["account_name"].line == 5
    assert warned["account_name"].file.endswith("datastore.yml")
    assert "has no effect here: Studio keeps this datastore's files under" in warned["container_name"].message
    assert str(home / "datastores" / "lake") in warned["container_name"].message
    assert warned["credentials"].line == 9
    assert "not stored" in warned["credentials"].message


def test_it_never_stores_credentials(home, tmp_path):
    datastore, _ = _register(tmp_path, BLOB.format(name="lake"))

    stored = Datastore.objects.get(name="lake")
    assert "credentials" not in stored.spec
    assert "XXXxxx" not in json.dumps(
        [stored.spec, stored.warnings, stored.description, stored.tags, export_asset(stored)]
    )


def test_its_export_registers_back_to_the_same_datastore(home, tmp_path):
    datastore, _ = _register(tmp_path, BLOB.format(name="lake"))
    exported = export_asset(datastore)

    again, created = _register(tmp_path, exported, "exported.yml")

    assert not created
    assert again.pk == datastore.pk
    assert Datastore.objects.get(pk=datastore.pk).spec == datastore.spec
    assert yaml.safe_load(exported)["$schema"].endswith("azureBlob.schema.json")


def test_it_updates_a_datastore_in_place_under_the_same_name(home, tmp_path):
    first, _ = _register(tmp_path, BLOB.format(name="lake"))

    second, created = _register(
        tmp_path, "name: lake\ntype: azure_file\naccount_name: acct\nfile_share_name: share\n"
    )

    assert not created
    assert second.pk == first.pk
    stored = Datastore.objects.get(name="lake")
    assert stored.datastore_type == "azure_file"
    assert stored.spec == {
        "name": "lake",
        "type": "azure_file",
        "account_name": "acct",
        "file_share_name": "share",
    }
    assert Datastore.objects.filter(name="lake").count() == 1


@pytest.mark.parametrize(
    "text, field, line, says",
    [
        ("name: s\ntype: one_lake\n", "type", 2, "must be one of azure_blob"),
        (
            "name: s\ntype: azure_file\ncontainer_name: c\n",
            "container_name",
            3,
            "not a field of an azure_file",
        ),
        ("name: s\ntype: azure_blob\nbucket: b\n", "bucket", 3, "is not a field"),
        ("name: bad name\n", "name", 1, "not a valid datastore name"),
        ("type: azure_blob\n", "name", None, "is required"),
        ("name: s\nserver_folder: relative/x\n", "server_folder", 2, "not an absolute path"),
        ("name: s\nserver_folder: /srv\n", "server_folder", 2, "STUDIO_DATA_ROOTS, which is not set"),
        ("name: workspaceblobstore\nserver_folder: /srv\n", "server_folder", 2, "is built in"),
        ("name: s\ntags: [a, b]\n", "tags", 2, ""),
    ],
)
def test_it_refuses_bad_datastore_yaml_naming_field_and_line(home, tmp_path, text, field, line, says):
    with pytest.raises(DefinitionError) as caught:
        _register(tmp_path, text)

    problem = caught.value.problems[0]
    assert problem.field == field
    assert problem.file.endswith("datastore.yml")
    if line is not None:
        assert problem.line == line
    assert says in problem.message


def test_it_uses_an_existing_server_folder_under_the_data_roots(home, tmp_path, settings):
    root = tmp_path / "shared"
    (root / "lake").mkdir(parents=True)
    (root / "lake" / "rows.csv").write_text("a\n1\n")
    settings.STUDIO_DATA_ROOTS = [str(root)]

    datastore, _ = _register(tmp_path, f"name: shared\nserver_folder: {root / 'lake'}\n")

    assert datastore.folder() == root / "lake"
    assert datastore_uri_path("azureml://datastores/shared/paths/rows.csv")[1] == (root / "lake" / "rows.csv")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with pytest.raises(DefinitionError, match="must lie under STUDIO_DATA_ROOTS"):
        _register(tmp_path, f"name: other\nserver_folder: {outside}\n")


# --- REST ---------------------------------------------------------------------------------------


def test_the_api_creates_updates_shows_and_lists_datastores(home, admin_client):
    upload = SimpleUploadedFile(
        "blob.yml", BLOB.format(name="lake").encode(), content_type="application/yaml"
    )

    created = admin_client.post(f"{API}/datastores/", {"file": upload})

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["folder"] == str(home / "datastores" / "lake")
    assert body["uri"] == "azureml://datastores/lake/paths/"
    assert {"file": "blob.yml", "field": "account_name", "line": 5} == {
        key: body["warnings"][0][key] for key in ("file", "field", "line")
    }
    assert "credentials" not in body["spec"]

    updated = admin_client.post(
        f"{API}/datastores/",
        json.dumps({"name": "lake", "description": "now"}),
        content_type="application/json",
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["description"] == "now"
    assert updated.json()["warnings"] == []

    shown = admin_client.get(f"{API}/datastores/lake/")
    assert shown.status_code == 200
    assert shown.json()["description"] == "now"
    names = [item["name"] for item in admin_client.get(f"{API}/datastores/").json()["results"]]
    assert names == ["lake", "workspaceartifactstore", "workspaceblobstore"]
    exported = admin_client.get(f"{API}/datastores/lake/export/")
    assert exported.status_code == 200
    assert yaml.safe_load(exported.content)["name"] == "lake"


def test_the_api_answers_400_with_the_line_and_404_for_unknown(home, admin_client):
    upload = SimpleUploadedFile("bad.yml", b"name: s\ntype: azure_file\ncontainer_name: c\n")

    refused = admin_client.post(f"{API}/datastores/", {"file": upload})

    assert refused.status_code == 400
    problem = refused.json()["problems"][0]
    assert (problem["file"], problem["field"], problem["line"]) == ("bad.yml", "container_name", 3)
    assert admin_client.post(f"{API}/datastores/", {}).status_code == 400
    missing = admin_client.get(f"{API}/datastores/nosuchstore/")
    assert missing.status_code == 404
    assert "nosuchstore" in missing.json()["detail"]
    assert admin_client.get(f"{API}/datastores/nosuchstore/export/").status_code == 404


def test_the_api_needs_a_signed_in_user(home, client):
    assert client.get(f"{API}/datastores/").status_code in (401, 403)


# --- Pages --------------------------------------------------------------------------------------


def test_the_pages_list_and_show_datastores_with_their_files(home, admin_client, tmp_path):
    _register(tmp_path, BLOB.format(name="lake"))
    (datastore_folder("lake") / "rows.csv").write_text("a\n1\n")

    listing = admin_client.get("/datastores/")
    detail = admin_client.get("/datastores/lake/")

    assert listing.status_code == 200
    text = listing.content.decode()
    assert "workspaceblobstore" in text and "workspaceartifactstore" in text and "lake" in text
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "rows.csv" in page
    assert "azureml://datastores/lake/paths/" in page
    assert "mytestblobstore" in page and "no effect here" in page
    assert "XXXxxx" not in page
    assert admin_client.get("/datastores/workspaceblobstore/").status_code == 200
    assert admin_client.get("/datastores/nosuchstore/").status_code == 404


# --- CLI ----------------------------------------------------------------------------------------


def test_the_cli_creates_lists_and_shows_a_datastore(studio_server, token, tmp_path):
    cli = cli_runner(studio_server, token, tmp_path)
    name = f"lake-{uuid.uuid4().hex[:8]}"
    definition = tmp_path / "blob.yml"
    definition.write_text(BLOB.format(name=name))

    created = cli("datastore", "create", "--file", str(definition))

    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith(f"Registered datastore {name} (azureml://datastores/{name}/paths/ is ")
    assert f"warning: {definition}:5: account_name: has no effect here" in created.stderr
    assert f"warning: {definition}:9: credentials: is not stored" in created.stderr

    again = cli("datastore", "create", "--file", str(definition))
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"Updated datastore {name}")

    listing = cli("datastore", "list")
    assert listing.returncode == 0, listing.stderr
    assert "workspaceblobstore (default)" in listing.stdout
    assert name in listing.stdout

    shown = cli("datastore", "show", name)
    assert shown.returncode == 0, shown.stderr
    assert "mytestblobstore (no effect here)" in shown.stdout
    as_yaml = cli("datastore", "show", name, "--output", "yaml")
    assert yaml.safe_load(as_yaml.stdout)["container_name"] == "data-container"

    missing = cli("datastore", "show", "nosuchstore")
    assert missing.returncode != 0
    assert "nosuchstore" in missing.stderr


def test_the_cli_reports_bad_datastore_yaml_with_its_line(studio_server, token, tmp_path):
    cli = cli_runner(studio_server, token, tmp_path)
    definition = tmp_path / "bad.yml"
    definition.write_text("name: s\ntype: azure_file\ncontainer_name: c\n")

    refused = cli("datastore", "create", "--file", str(definition))

    assert refused.returncode == 2
    assert f"{definition}:3: container_name: is not a field of an azure_file datastore" in refused.stderr


def test_an_uploaded_definition_never_reads_local_files(home):
    datastore, _ = register_text(
        "name: up\n",
        kind="datastore",
        filename="up.yml",
        attachments=UploadedAttachments({}, filename="up.yml"),
    )

    assert datastore.folder() == home / "datastores" / "up"
    assert os.path.isdir(datastore.folder())
