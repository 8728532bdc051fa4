"""Every fixture definition registers, exports, and registers back to the very same version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from studio.models import Component, DataAsset, Environment
from studio.registry import LocalAttachments, export_asset, register_file, register_text
from studio.schemas.loading import DefinitionError
from studio.storage.layout import snapshot_path
from studio.storage.reading import snapshot_files
from tests.fixtures import BASE_ENVIRONMENT, FIXTURES, definitions, fixture_id, kind_of

pytestmark = pytest.mark.django_db

MODELS = {"environment": Environment, "component": Component, "data": DataAsset}
DEFINITIONS = definitions()


def _round_trip_params() -> list:
    return [pytest.param(path, id=fixture_id(path)) for path in DEFINITIONS]


@pytest.fixture(autouse=True)
def artifacts_root(settings, tmp_path):
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"


def _parse(text: str) -> dict:
    return json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)


def _dump(document: dict, like: str) -> str:
    return json.dumps(document, indent=2) if like.lstrip().startswith("{") else yaml.safe_dump(document)


def test_the_fixture_set_is_broad():
    kinds = [kind_of(path) for path in DEFINITIONS]
    assert len(DEFINITIONS) >= 20
    assert {kind: kinds.count(kind) for kind in MODELS} == {"environment": 9, "component": 11, "data": 4}


@pytest.mark.parametrize("path", _round_trip_params())
def test_definition_round_trips(path: Path, tmp_path):
    if path != BASE_ENVIRONMENT:
        register_file(BASE_ENVIRONMENT)

    asset, created = register_file(path)
    assert created is True
    assert isinstance(asset, MODELS[kind_of(path)])

    text = export_asset(asset)
    assert str(FIXTURES) not in text  # local paths became stored snapshots
    scratch = tmp_path / "elsewhere"
    scratch.mkdir()
    exported_name = str(scratch / "exported.yml")
    again, created = register_text(
        text, kind=None, filename=exported_name, attachments=LocalAttachments(scratch, filename=exported_name)
    )
    assert (again.pk, again.content_hash, created) == (asset.pk, asset.content_hash, False)
    assert export_asset(again) == text

    same, created = register_file(path)
    assert (same.pk, created) == (asset.pk, False)

    changed = _parse(text)
    changed["description"] = "A changed description gives a new version."
    changed.pop("version")
    newer, created = register_text(
        _dump(changed, like=text),
        kind=None,
        filename=exported_name,
        attachments=LocalAttachments(scratch, filename=exported_name),
    )
    expected = max([int(asset.version)] if asset.version.isdigit() else [], default=0) + 1
    assert created is True
    assert newer.version == str(expected)
    assert newer.content_hash != asset.content_hash
    assert type(newer).objects.filter(name=asset.name).count() == 2


def test_the_same_explicit_version_with_other_content_is_refused():
    environment, _ = register_file(BASE_ENVIRONMENT)
    document = _parse(export_asset(environment))
    document["description"] = "something else"
    with pytest.raises(DefinitionError) as caught:
        register_text(
            yaml.safe_dump(document),
            kind=None,
            filename="changed.yml",
            attachments=LocalAttachments(FIXTURES, filename="changed.yml"),
        )
    assert [problem.field for problem in caught.value.problems] == ["version"]


def test_an_unversioned_definition_gets_the_next_number_and_keeps_it_when_identical():
    path = FIXTURES / "environments" / "unversioned.yml"
    first, created = register_file(path)
    assert (first.version, created) == ("1", True)
    assert register_file(path) == (first, False)


def _snapshot_names(digest: str) -> set[str]:
    return {relative for relative, _ in snapshot_files(digest)}


def test_amlignore_decides_over_gitignore(tmp_path):
    register_file(BASE_ENVIRONMENT)
    folder = tmp_path / "component"
    shutil.copytree(FIXTURES / "components" / "code_amlignore", folder)
    # Git would not keep these in the fixture; a .gitignore is ignored when .amlignore exists.
    (folder / "src" / ".gitignore").write_text("pkg/\n")
    (folder / "src" / "data" / "more.csv").write_text("x\n")

    component, _ = register_file(folder / "component.yml")

    names = _snapshot_names(component.code_digest)
    assert {"pkg/run.py", "pkg/__init__.py"} <= names
    assert not {"data/big.csv", "data/more.csv", "debug.log"} & names


def test_gitignore_applies_without_amlignore(tmp_path):
    register_file(BASE_ENVIRONMENT)
    folder = tmp_path / "component"
    shutil.copytree(FIXTURES / "components" / "code_gitignore", folder)
    (folder / "src" / "dist").mkdir()
    (folder / "src" / "dist" / "wheel.whl").write_bytes(b"zip")
    (folder / "src" / "scratch.tmp").write_text("scratch")

    component, _ = register_file(folder / "component.yml")

    names = _snapshot_names(component.code_digest)
    assert {"entry.sh", "keep.tmp"} <= names
    assert not {"dist/wheel.whl", "scratch.tmp"} & names
    entry = snapshot_path(component.code_digest) / "entry.sh"
    assert entry.stat().st_mode & 0o100


def test_referenced_environments_resolve_to_the_registered_version():
    base, _ = register_file(BASE_ENVIRONMENT)
    for name in ("primitive_inputs/component.yml", "asset_inputs/component.yml", "literal_command.yml"):
        component, _ = register_file(FIXTURES / "components" / name)
        assert component.environment == base
        assert component.spec["environment"] == "fixture-base:3"


def test_inline_environments_are_registered_anonymously():
    component, _ = register_file(FIXTURES / "components" / "inline_env_conda.yml")
    environment = component.environment
    assert environment.name == "CliV2AnonymousEnvironment"
    assert environment.is_anonymous
    assert environment.spec["image"] == "python:3.11-slim"
    assert environment.version == environment.content_hash[:16]
