"""Model assets: Azure ML model YAML (custom_model, mlflow_model), stored as content-addressed
snapshots, resolved by reference, over REST, on pages and from the CLI."""

from __future__ import annotations

import io
import json
import tarfile
import textwrap
import uuid
from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from studio.datastores import datastore_folder
from studio.models import ModelAsset
from studio.references import ReferenceError, resolve_model
from studio.registry import DefinitionError, export_asset, register_file
from studio.storage.reading import snapshot_files
from tests.studio.cli_helpers import cli_runner

API = "/api/v1"

MLFLOW = """\
$schema: https://azuremlschemas.azureedge.net/latest/model.schema.json
name: {name}
version: 1
type: mlflow_model
path: ./model
description: A model from mlflow.sklearn.save_model.
tags:
  framework: sklearn
properties:
  accuracy: "0.93"
stage: Production
flavors:
  python_function:
    loader_module: mlflow.sklearn
"""

MLMODEL = "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"


@pytest.fixture
def home(db, settings, tmp_path):
    settings.STUDIO_HOME = tmp_path / "home"
    settings.ARTIFACTS_ROOT = tmp_path / "home" / "artifacts"
    settings.STUDIO_DATA_ROOTS = []
    return settings.STUDIO_HOME


def mlflow_folder(base: Path, *, with_mlmodel: bool = True) -> Path:
    folder = base / "model"
    folder.mkdir(parents=True, exist_ok=True)
    if with_mlmodel:
        (folder / "MLmodel").write_text(MLMODEL)
    (folder / "model.pkl").write_bytes(b"\x80\x04fake-pickle")
    (folder / "requirements.txt").write_text("scikit-learn\n")
    return folder


def _register(tmp_path: Path, text: str, name: str = "model.yml"):
    definition = tmp_path / name
    definition.write_text(textwrap.dedent(text))
    return register_file(definition, kind="model")


# --- Registering from YAML ----------------------------------------------------------------------


def test_it_registers_an_mlflow_model_folder_as_a_snapshot(home, tmp_path):
    mlflow_folder(tmp_path)

    model, created = _register(tmp_path, MLFLOW.format(name="iris-model"))

    assert created
    assert (model.name, model.version, model.model_type, model.stage) == (
        "iris-model",
        "1",
        "mlflow_model",
        "Production",
    )
    assert [path for path, _ in snapshot_files(model.snapshot_digest)] == [
        "MLmodel",
        "model.pkl",
        "requirements.txt",
    ]
    assert model.file_count == 3
    assert model.spec["properties"] == {"accuracy": "0.93"}
    assert model.tags == {"framework": "sklearn"}
    warned = {problem.field: problem for problem in model.registration_warnings}
    assert list(warned) == ["flavors"]
    assert warned["flavors"].line == 12
    assert "no effect here" in warned["flavors"].message


def test_an_identical_definition_is_the_same_version_and_new_content_the_next(home, tmp_path):
    mlflow_folder(tmp_path)
    text = MLFLOW.format(name="iris-model").replace("version: 1\n", "")
    first, _ = _register(tmp_path, text)

    again, created = _register(tmp_path, text)
    (tmp_path / "model" / "model.pkl").write_bytes(b"retrained")
    newer, newer_created = _register(tmp_path, text)

    assert (again.pk, created) == (first.pk, False)
    assert newer_created and newer.version == "2"
    assert newer.snapshot_digest != first.snapshot_digest


def test_a_version_is_immutable(home, tmp_path):
    mlflow_folder(tmp_path)
    _register(tmp_path, MLFLOW.format(name="iris-model"))
    (tmp_path / "model" / "model.pkl").write_bytes(b"retrained")

    with pytest.raises(DefinitionError, match="already registered with different content"):
        _register(tmp_path, MLFLOW.format(name="iris-model"))


def test_a_custom_model_may_be_a_single_file(home, tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"\x00\x01\x02")

    model, _ = _register(tmp_path, "name: weights\ntype: custom_model\npath: weights.bin\n")

    assert model.model_type == "custom_model"
    assert snapshot_files(model.snapshot_digest) == [("weights.bin", 3)]
    assert model.registration_warnings == []


def test_its_export_registers_back_to_the_same_version(home, tmp_path):
    mlflow_folder(tmp_path)
    model, _ = _register(tmp_path, MLFLOW.format(name="iris-model"))

    again, created = _register(tmp_path, export_asset(model), "exported.yml")

    assert (again.pk, created) == (model.pk, False)


def test_it_reads_a_model_from_a_datastore_path(home, tmp_path):
    mlflow_folder(datastore_folder("workspaceblobstore") / "trained")

    model, _ = _register(
        tmp_path,
        "name: from-store\ntype: mlflow_model\npath: azureml://datastores/workspaceblobstore/paths/trained/model\n",
    )

    assert model.file_count == 3


@pytest.mark.parametrize(
    "text, field, line, says",
    [
        ("name: m\ntype: mlflow_model\npath: ./model\n", "path", 3, "has no MLmodel file at its top"),
        ("name: m\ntype: triton_model\npath: ./model\n", "type", 2, "Triton"),
        ("name: m\ntype: onnx\npath: ./model\n", "type", 2, "must be custom_model or mlflow_model"),
        ("name: m\npath: ./missing\n", "path", 2, "does not exist"),
        ("name: m\npath: ../outside\n", "path", 2, "leaves the folder of the definition"),
        ("name: m\npath: https://example.com/m.pkl\n", "path", 2, "download the files"),
        ("name: m\npath: azureml://datastores/nosuchstore/paths/m\n", "path", 2, "no datastore named"),
        (
            "name: m\npath: azureml://datastores/workspaceblobstore/paths/../x\n",
            "path",
            2,
            "leaves the datastore",
        ),
        ("name: m\npath: ./model\nframework: sklearn\n", "framework", 3, "is not a field"),
        ("name: m\nversion: 1 0\npath: ./model\n", "version", 2, "not a valid version"),
        ("type: custom_model\npath: ./model\n", "name", None, "is required"),
    ],
)
def test_it_refuses_bad_model_yaml_naming_field_and_line(home, tmp_path, text, field, line, says):
    mlflow_folder(tmp_path, with_mlmodel=False)

    with pytest.raises(DefinitionError) as caught:
        _register(tmp_path, text)

    problem = caught.value.problems[0]
    assert (problem.field, problem.file.endswith("model.yml")) == (field, True)
    if line is not None:
        assert problem.line == line
    assert says in problem.message


# --- References ---------------------------------------------------------------------------------


def test_a_reference_resolves_to_the_snapshot_and_type(home, tmp_path):
    mlflow_folder(tmp_path)
    first, _ = _register(tmp_path, MLFLOW.format(name="iris-model"))
    (tmp_path / "model" / "model.pkl").write_bytes(b"retrained")
    second, _ = _register(tmp_path, MLFLOW.format(name="iris-model").replace("version: 1", "version: 2"))

    assert resolve_model("azureml:iris-model:1") == first
    assert resolve_model("azureml:iris-model@latest").snapshot_digest == second.snapshot_digest
    assert resolve_model("azureml://registries/azureml/models/iris-model/versions/1").pk == first.pk
    assert resolve_model("iris-model:2", expected_type="mlflow_model").model_type == "mlflow_model"
    with pytest.raises(ReferenceError, match="is a mlflow_model, not a custom_model"):
        resolve_model("azureml:iris-model:1", expected_type="custom_model")
    with pytest.raises(ReferenceError, match="model iris-model:9 is not registered; registered versions"):
        resolve_model("azureml:iris-model:9")
    with pytest.raises(ReferenceError, match="refers to components"):
        resolve_model("azureml://registries/r/components/iris-model/versions/1")


# --- REST ---------------------------------------------------------------------------------------


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_the_api_registers_an_uploaded_model_folder(home, admin_client):
    definition = SimpleUploadedFile("model.yml", MLFLOW.format(name="up-model").encode())
    folder = SimpleUploadedFile(
        "path.tar.gz",
        _tar_gz({"MLmodel": MLMODEL.encode(), "model.pkl": b"x"}),
        content_type="application/gzip",
    )

    created = admin_client.post(f"{API}/models/", {"file": definition, "path": folder})

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["model_type"], body["file_count"], body["reference"]) == (
        "mlflow_model",
        2,
        "azureml:up-model:1",
    )
    assert [(w["file"], w["field"], w["line"]) for w in body["warnings"]] == [("model.yml", "flavors", 12)]

    definition.seek(0)
    folder.seek(0)
    assert admin_client.post(f"{API}/models/", {"file": definition, "path": folder}).status_code == 200
    shown = admin_client.get(f"{API}/models/up-model/1/")
    assert shown.status_code == 200
    assert shown.json()["warnings"][0]["field"] == "flavors"
    assert admin_client.get(f"{API}/models/up-model@latest/").json()["version"] == "1"
    assert [item["name"] for item in admin_client.get(f"{API}/models/").json()["results"]] == ["up-model"]
    exported = admin_client.get(f"{API}/models/up-model/1/export/")
    assert yaml.safe_load(exported.content)["type"] == "mlflow_model"


def test_the_api_registers_an_uploaded_single_file_model(home, admin_client):
    definition = SimpleUploadedFile("model.yml", b"name: one-file\npath: ./weights.bin\n")
    weights = SimpleUploadedFile("weights.bin", b"\x00\x01")

    created = admin_client.post(f"{API}/models/", {"file": definition, "path": weights})

    assert created.status_code == 201, created.content
    assert snapshot_files(created.json()["snapshot_digest"]) == [("weights.bin", 2)]


def test_the_api_answers_400_with_the_line_and_404_for_unknown(home, admin_client):
    definition = SimpleUploadedFile("model.yml", MLFLOW.format(name="broken").encode())
    folder = SimpleUploadedFile("path.tar.gz", _tar_gz({"model.pkl": b"x"}), content_type="application/gzip")

    refused = admin_client.post(f"{API}/models/", {"file": definition, "path": folder})

    assert refused.status_code == 400
    problem = refused.json()["problems"][0]
    assert (problem["file"], problem["field"], problem["line"]) == ("model.yml", "path", 5)
    assert "MLmodel" in problem["message"]
    no_part = admin_client.post(
        f"{API}/models/", {"file": SimpleUploadedFile("m.yml", b"name: m\npath: ./m\n")}
    )
    assert no_part.status_code == 400
    assert "multipart part 'path'" in no_part.json()["problems"][0]["message"]
    assert admin_client.get(f"{API}/models/nosuch/1/").status_code == 404
    assert admin_client.get(f"{API}/models/nosuch@latest/").status_code == 404
    assert ModelAsset.objects.count() == 0


# --- Pages --------------------------------------------------------------------------------------


def test_the_pages_list_and_show_a_model(home, admin_client, tmp_path):
    mlflow_folder(tmp_path)
    _register(tmp_path, MLFLOW.format(name="iris-model"))

    listing = admin_client.get("/models/")
    detail = admin_client.get("/models/iris-model/")
    version = admin_client.get("/models/iris-model/1/")

    assert listing.status_code == 200 and "iris-model" in listing.content.decode()
    assert detail.status_code == 200 and version.status_code == 200
    page = detail.content.decode()
    for expected in (
        "mlflow_model",
        "MLmodel",
        "model.pkl",
        "Production",
        "accuracy",
        "azureml:iris-model:1",
    ):
        assert expected in page
    assert "no effect here" in page
    assert admin_client.get("/models/nosuch/").status_code == 404
    assert admin_client.get("/models/iris-model/7/").status_code == 404


# --- CLI ----------------------------------------------------------------------------------------


def test_the_cli_creates_lists_and_shows_a_model(studio_server, token, tmp_path):
    cli = cli_runner(studio_server, token, tmp_path)
    name = f"cli-model-{uuid.uuid4().hex[:8]}"
    mlflow_folder(tmp_path)
    definition = tmp_path / "model.yml"
    definition.write_text(MLFLOW.format(name=name))

    created = cli("model", "create", "--file", str(definition))

    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == f"Registered {name}:1"
    assert f"warning: {definition}:12: flavors: is kept but has no effect here" in created.stderr

    listing = cli("model", "list", "--name", name)
    assert listing.returncode == 0, listing.stderr
    assert "mlflow_model" in listing.stdout and "Production" in listing.stdout
    shown = cli("model", "show", f"{name}:1")
    assert shown.returncode == 0, shown.stderr
    assert "Type:" in shown.stdout and "mlflow_model" in shown.stdout
    latest = cli("model", "show", f"azureml:{name}@latest", "--output", "json")
    assert json.loads(latest.stdout)["file_count"] == 3
    missing = cli("model", "show", f"{name}:9")
    assert missing.returncode != 0 and f"{name}:9" in missing.stderr


def test_the_cli_takes_the_path_from_the_command_line(studio_server, token, tmp_path):
    cli = cli_runner(studio_server, token, tmp_path)
    name = f"cli-model-{uuid.uuid4().hex[:8]}"
    elsewhere = mlflow_folder(tmp_path / "elsewhere")
    definition = tmp_path / "spec" / "model.yml"
    definition.parent.mkdir()
    definition.write_text(f"name: {name}\ntype: mlflow_model\n")

    created = cli("model", "create", "--file", str(definition), "--path", str(elsewhere))

    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == f"Registered {name}:1"


def test_the_cli_registers_a_single_file_model_without_a_type(studio_server, token, tmp_path):
    cli = cli_runner(studio_server, token, tmp_path)
    name = f"cli-model-{uuid.uuid4().hex[:8]}"
    (tmp_path / "model.json").write_text('{"weights": [1, 2]}')
    definition = tmp_path / "model.yml"
    definition.write_text(f"name: {name}\nversion: 1\npath: ./model.json\n")  # custom_model by default

    created = cli("model", "create", "--file", str(definition), "--output", "json")

    assert created.returncode == 0, created.stderr
    model = json.loads(created.stdout)
    assert (model["model_type"], model["file_count"]) == ("custom_model", 1)


def test_the_cli_reports_a_missing_mlmodel_with_its_line(studio_server, token, tmp_path):
    cli = cli_runner(studio_server, token, tmp_path)
    mlflow_folder(tmp_path, with_mlmodel=False)
    definition = tmp_path / "model.yml"
    definition.write_text(MLFLOW.format(name=f"cli-model-{uuid.uuid4().hex[:8]}"))

    refused = cli("model", "create", "--file", str(definition))

    assert refused.returncode == 2
    assert f"{definition}:5: path: './model' has no MLmodel file at its top" in refused.stderr
