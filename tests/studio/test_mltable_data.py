"""mltable data assets: a folder with an MLTable file, registered like uri_folder; and data
assets read from a datastore path."""

from __future__ import annotations

import io
import tarfile
import textwrap
import uuid
from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from studio.datastores import datastore_folder
from studio.models import DataAsset
from studio.references import parse_reference, resolve
from studio.registry import DefinitionError, export_asset, register_file
from studio.storage.reading import snapshot_files
from tests.studio.cli_helpers import cli_runner

MLTABLE = """\
$schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
name: {name}
version: 1
type: mltable
path: ./table
description: Titanic passengers as a table.
"""

MLTABLE_FILE = """\
$schema: https://azuremlschemas.azureedge.net/latest/MLTable.schema.json
paths:
  - file: ./titanic.csv
transformations:
  - read_delimited:
      delimiter: ','
      header: all_files_same_headers
"""


@pytest.fixture
def home(db, settings, tmp_path):
    settings.STUDIO_HOME = tmp_path / "home"
    settings.ARTIFACTS_ROOT = tmp_path / "home" / "artifacts"
    return settings.STUDIO_HOME


def table_folder(base: Path, *, with_mltable: bool = True) -> Path:
    folder = base / "table"
    folder.mkdir(parents=True, exist_ok=True)
    if with_mltable:
        (folder / "MLTable").write_text(MLTABLE_FILE)
    (folder / "titanic.csv").write_text("name,survived\nAllen,1\n")
    return folder


def _register(tmp_path: Path, text: str, name: str = "data.yml"):
    definition = tmp_path / name
    definition.write_text(textwrap.dedent(text))
    return register_file(definition, kind="data")


def test_it_registers_an_mltable_folder(home, tmp_path):
    table_folder(tmp_path)

    asset, created = _register(tmp_path, MLTABLE.format(name="titanic"))

    assert created
    assert asset.data_type == "mltable"
    assert [path for path, _ in snapshot_files(asset.snapshot_digest)] == ["MLTable", "titanic.csv"]
    assert resolve(DataAsset, parse_reference("azureml:titanic:1", kind="data")).data_type == "mltable"
    again, again_created = _register(tmp_path, export_asset(asset), "exported.yml")
    assert (again.pk, again_created) == (asset.pk, False)
    assert yaml.safe_load(export_asset(asset))["type"] == "mltable"


def test_it_refuses_an_mltable_folder_without_its_mltable_file(home, tmp_path):
    table_folder(tmp_path, with_mltable=False)

    with pytest.raises(DefinitionError) as caught:
        _register(tmp_path, MLTABLE.format(name="titanic"))

    problem = caught.value.problems[0]
    assert (problem.field, problem.line) == ("path", 5)
    assert problem.file.endswith("data.yml")
    assert "'./table' has no MLTable file at its top" in problem.message


def test_it_refuses_an_mltable_that_is_a_file_or_a_url(home, tmp_path):
    table_folder(tmp_path)

    with pytest.raises(DefinitionError, match="is a file; a folder is expected here"):
        _register(tmp_path, MLTABLE.format(name="t").replace("./table", "./table/titanic.csv"))
    with pytest.raises(DefinitionError, match="a URL cannot be one"):
        _register(tmp_path, MLTABLE.format(name="t").replace("./table", "https://example.com/t"))


def test_the_api_registers_an_uploaded_mltable_folder_and_names_the_missing_file(home, admin_client):
    def upload(files: dict[str, bytes]):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for name, content in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
        return {
            "file": SimpleUploadedFile("data.yml", MLTABLE.format(name="up-table").encode()),
            "path": SimpleUploadedFile("path.tar.gz", buffer.getvalue(), content_type="application/gzip"),
        }

    refused = admin_client.post("/api/v1/data/", upload({"titanic.csv": b"a\n1\n"}))
    created = admin_client.post(
        "/api/v1/data/", upload({"MLTable": MLTABLE_FILE.encode(), "titanic.csv": b"a\n"})
    )

    assert refused.status_code == 400
    assert (refused.json()["problems"][0]["field"], refused.json()["problems"][0]["line"]) == ("path", 5)
    assert "MLTable" in refused.json()["problems"][0]["message"]
    assert created.status_code == 201, created.content
    assert created.json()["data_type"] == "mltable"
    assert admin_client.get("/data/up-table/").status_code == 200


def test_a_data_asset_can_be_read_from_a_datastore_path(home, tmp_path):
    folder = datastore_folder("workspaceblobstore")
    (folder / "raw").mkdir()
    (folder / "raw" / "iris.csv").write_text("a,b\n1,2\n")

    asset, _ = _register(
        tmp_path,
        "name: iris-raw\ntype: uri_file\npath: azureml://datastores/workspaceblobstore/paths/raw/iris.csv\n",
    )

    assert snapshot_files(asset.snapshot_digest) == [("iris.csv", 8)]
    with pytest.raises(DefinitionError, match="does not exist in the datastore"):
        _register(tmp_path, "name: nothing\npath: azureml://datastores/workspaceblobstore/paths/nothing/\n")


@pytest.mark.parametrize("path", ["wasbs://datasets@account.blob.core.windows.net/", "s3://bucket/key"])
def test_it_refuses_cloud_storage_naming_the_scheme_and_the_ways_that_work(home, tmp_path, path):
    with pytest.raises(DefinitionError) as caught:
        _register(tmp_path, f"name: cloud\ntype: uri_folder\npath: {path}\n")

    problem = caught.value.problems[0]
    assert (problem.field, problem.line) == ("path", 3)
    scheme = path.split("://")[0]
    assert problem.message == (
        f"{scheme}:// cloud storage is not reachable from Studio; register a local path, "
        "a datastore path or an https URL"
    )


def test_the_cli_registers_an_mltable_folder_beside_the_definition(studio_server, token, tmp_path):
    cli = cli_runner(studio_server, token, tmp_path)
    name = f"cli-table-{uuid.uuid4().hex[:8]}"
    table_folder(tmp_path / "data")
    definition = tmp_path / "assets" / "table.yml"
    definition.parent.mkdir()
    definition.write_text(MLTABLE.format(name=name).replace("./table", "../data/table"))

    created = cli("data", "create", "--file", str(definition))
    (tmp_path / "data" / "table" / "MLTable").unlink()
    refused = cli("data", "create", "--file", str(definition))

    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == f"Registered {name}:1"
    assert refused.returncode == 2
    assert f"{definition}:5: path: '../data/table' has no MLTable file at its top" in refused.stderr
