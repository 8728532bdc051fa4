"""Asset files' fields that Azure ML accepts and that have no effect here are registered with a
warning naming the file, line and field (issue #13 point 7, "Tolerance, stated").

The corpus (tests/compat/corpus/manifest.yaml) is the contract: every component, environment,
data, datastore and model file it expects to register does so with exactly its `warns` (a
warning about a conda file is written `conda/x.conda.yml#channels`). The registry reports them
(`registration_warnings`, and a RegistrationPlan's `warnings`), REST create answers return them
and `studio component|environment create` prints them.
"""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.compat.oracle import CORPUS, manifest
from tests.studio.cli_helpers import cli_runner

FILES = manifest()["files"]
ASSET_KINDS = ("component", "environment", "data", "datastore", "model")
REGISTERED = sorted(
    relative
    for relative, entry in FILES.items()
    if entry["kind"] in ASSET_KINDS and entry["expect"] in ("registers", "warns")
)
CONDA_CHANNELS = CORPUS / "conda" / "with-channels.conda.yml"
API = "/api/v1"


def _warned(warnings) -> list[tuple[str, str]]:
    """Warnings as (corpus file, field), sorted: the manifest's way of writing them."""
    found = []
    for warning in warnings:
        file = Path(warning.file)
        if file.is_absolute():
            file = file.resolve().relative_to(CORPUS.resolve())
        found.append((file.as_posix(), warning.field))
    return sorted(found)


def _expected(relative: str) -> list[tuple[str, str]]:
    expected = []
    for warned in FILES[relative].get("warns", []):
        file, _, field = warned.rpartition("#")
        expected.append((file or relative, field))
    return sorted(expected)


def _put_datastore_files() -> None:
    from studio.datastores import DatastoreError, datastore_folder

    for name, files in manifest()["setup"].get("datastore_files", {}).items():
        try:
            folder = datastore_folder(name)
        except DatastoreError:
            continue
        for target, source in files.items():
            (folder / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(CORPUS / source, folder / target)


# --- the registry ------------------------------------------------------------------------------


@pytest.mark.parametrize("relative", REGISTERED)
def test_each_corpus_asset_registers_with_exactly_the_manifests_warnings(relative, library):
    from studio.registry import register_file

    for needed in FILES[relative].get("needs", []):
        register_file(CORPUS / needed)
    _put_datastore_files()

    asset, _ = register_file(CORPUS / relative, kind=FILES[relative]["kind"])

    assert _warned(getattr(asset, "registration_warnings", [])) == _expected(relative)


def test_a_tolerant_component_is_warned_at_its_lines_and_keeps_nothing_of_them(library):
    from studio.registry import register_file

    path = CORPUS / "component-tolerant.yml"
    component, created = register_file(path)

    assert created
    assert [(w.file, w.field, w.line) for w in component.registration_warnings] == [
        (str(path), "queue_settings", 12),
        (str(path), "resources.instance_type", 11),
    ]
    assert "instance types have no effect here" in component.registration_warnings[1].message
    assert component.spec["resources"] is None
    assert "queue_settings" not in component.spec


def test_a_component_differing_only_in_tolerated_fields_is_the_same_version(library, tmp_path):
    from studio.registry import register_file

    first, _ = register_file(CORPUS / "component-tolerant.yml")
    shutil.copytree(CORPUS / "src", tmp_path / "src")
    plain = (CORPUS / "component-tolerant.yml").read_text().split("resources:")[0]
    (tmp_path / "plain.yml").write_text(plain)

    second, created = register_file(tmp_path / "plain.yml")

    assert not created
    assert second.pk == first.pk
    assert second.registration_warnings == []


def test_a_tolerated_field_of_the_wrong_shape_is_still_refused_at_its_line(library, tmp_path):
    from studio.registry import register_file
    from studio.schemas.loading import DefinitionError

    path = tmp_path / "bad.yml"
    path.write_text(
        "name: bad_queue\ncommand: echo hi\nenvironment: azureml:python-3.11@latest\n"
        "queue_settings: spot\nresources:\n  max_instance_count: many\n"
    )

    with pytest.raises(DefinitionError) as refused:
        register_file(path)

    assert sorted((p.field, p.line) for p in refused.value.problems) == [
        ("queue_settings", 4),
        ("resources.max_instance_count", 6),
    ]


def test_a_conda_files_channels_are_warned_in_that_file_at_their_line(library):
    from studio.registry import register_file

    component, _ = register_file(CORPUS / "component-conda-env.yml")

    (warning,) = component.registration_warnings
    assert (warning.file, warning.field, warning.line) == (str(CONDA_CHANNELS.resolve()), "channels", 2)
    assert warning.message.startswith("conda channels (conda-forge, defaults) are used only when")


def test_an_environments_inference_config_is_warned_not_refused(library):
    from studio.registry import register_file

    environment, created = register_file(CORPUS / "environment-inference-config.yml")

    assert created
    assert [(w.field, w.line) for w in environment.registration_warnings] == [("inference_config", 5)]
    assert "inference_config" not in environment.spec


def test_a_plan_records_the_warnings_once_and_writes_nothing(library):
    from studio.models import Component
    from studio.registry import register_file
    from studio.registry.plan import RegistrationPlan

    plan = RegistrationPlan()
    register_file(CORPUS / "component-tolerant.yml", plan=plan, anonymous=True)
    register_file(CORPUS / "component-tolerant.yml", plan=plan, anonymous=True)
    register_file(CORPUS / "component-conda-env.yml", plan=plan, anonymous=True)
    register_file(CORPUS / "environment-conda-channels.yml", plan=plan)

    assert sorted(_warned(plan.warnings)) == [
        ("component-tolerant.yml", "queue_settings"),
        ("component-tolerant.yml", "resources.instance_type"),
        ("conda/with-channels.conda.yml", "channels"),
    ]
    assert not Component.objects.filter(display_name="compat_tolerant").exists()


# --- REST --------------------------------------------------------------------------------------


def _tar_gz(folder: Path) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(folder, arcname=".")
    return SimpleUploadedFile("code.tar.gz", buffer.getvalue(), content_type="application/gzip")


def _upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/yaml")


def test_the_api_returns_a_components_warnings_with_file_field_and_line(library, api):
    path = CORPUS / "component-tolerant.yml"

    created = api.post(f"{API}/components/", {"file": _upload(path), "code": _tar_gz(CORPUS / "src")})

    assert created.status_code == 201, created.content
    assert [(w["file"], w["field"], w["line"]) for w in created.json()["warnings"]] == [
        ("component-tolerant.yml", "queue_settings", 12),
        ("component-tolerant.yml", "resources.instance_type", 11),
    ]
    again = api.post(f"{API}/components/", {"file": _upload(path), "code": _tar_gz(CORPUS / "src")})
    assert again.status_code == 200
    assert len(again.json()["warnings"]) == 2


def test_the_api_returns_an_environments_conda_file_warning_under_the_path_as_written(library, api):
    conda = SimpleUploadedFile(CONDA_CHANNELS.name, CONDA_CHANNELS.read_bytes())

    created = api.post(
        f"{API}/environments/",
        {"file": _upload(CORPUS / "environment-conda-channels.yml"), "conda_file": conda},
    )

    assert created.status_code == 201, created.content
    (warning,) = created.json()["warnings"]
    assert (warning["file"], warning["field"], warning["line"]) == (
        "./conda/with-channels.conda.yml",
        "channels",
        2,
    )
    plain = api.post(f"{API}/environments/", {"file": _upload(CORPUS / "environment-python.yml")})
    assert plain.status_code == 201, plain.content
    assert plain.json()["warnings"] == []


# --- the CLI -----------------------------------------------------------------------------------


def test_the_cli_prints_the_warnings_of_a_component_and_an_environment(studio_server, token, tmp_path):
    cli = cli_runner(studio_server, token, tmp_path)
    component = CORPUS / "component-tolerant.yml"
    environment = CORPUS / "environment-python-only-channels.yml"

    made = cli("component", "create", "--file", str(component))
    built = cli("environment", "create", "--file", str(environment))

    assert made.returncode == 0, made.stderr
    assert f"warning: {component}:11: resources.instance_type: instance types have no effect" in made.stderr
    assert f"warning: {component}:12: queue_settings: queue settings have no effect" in made.stderr
    assert built.returncode == 0, built.stderr
    conda = CORPUS / "conda" / "python-only.conda.yml"
    assert f"warning: {conda}:2: channels: conda channels (conda-forge) are used only" in built.stderr


# --- a job using such files ----------------------------------------------------------------------


def test_a_jobs_warnings_include_those_of_the_local_component_file_it_names(library, computes, settings):
    from pipelines.compiler import resolve_pipeline
    from studio.schemas.loading import load_document

    settings.STUDIO_COMPUTE_ALIASES = {"cpu-cluster": "docker"}
    relative = "pipeline-tolerated-step-fields.yml"
    document, index = load_document((CORPUS / relative).read_bytes(), filename=relative)

    resolution = resolve_pipeline(document, index=index, filename=relative, base_dir=CORPUS)

    warned = _warned(resolution.warnings)
    assert ("component-tolerant.yml", "resources.instance_type") in warned
    assert ("component-tolerant.yml", "queue_settings") in warned
    assert warned == _expected(relative)


def test_studio_job_validate_prints_the_warnings_of_a_local_component_file(studio_server, token, tmp_path):
    cli = cli_runner(studio_server, token, tmp_path)
    component = CORPUS / "component-tolerant.yml"

    checked = cli("job", "validate", "--file", str(CORPUS / "pipeline-tolerated-step-fields.yml"))

    assert checked.returncode == 0, checked.stderr
    said = checked.stderr
    assert f"warning: {component}:11: resources.instance_type: instance types have no effect" in said
    assert f"warning: {component}:12: queue_settings: queue settings have no effect" in said
