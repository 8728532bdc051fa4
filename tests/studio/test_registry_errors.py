"""Malformed definitions are refused with a DefinitionError naming the field and its line.

Also through the REST API: a 400 with `errors` keyed by field and `problems[].line`, never a 500.
"""

from __future__ import annotations

import io
import json
import tarfile
import textwrap
import time
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studio.models import Component, DataAsset, Environment
from studio.registry import UploadedAttachments, register_file, register_text
from studio.schemas.loading import DefinitionError
from tests.fixtures import BASE_ENVIRONMENT

pytestmark = pytest.mark.django_db

ANY_LINE = object()  # a field the YAML cannot place (a missing one): any line, or none


@pytest.fixture(autouse=True)
def artifacts_root(settings, tmp_path):
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"


@pytest.fixture
def base_environment():
    return register_file(BASE_ENVIRONMENT)[0]


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    text: str
    field: str
    line: int | None | object


def component(body: str) -> str:
    """A component whose first three lines are fixed, `body` starting on line 4."""
    head = "type: command\nname: bad_component\nversion: '1'\n"
    return head + textwrap.dedent(body).lstrip("\n")


def text(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


CASES = [
    Case(
        "optional-yes",
        "component",
        component("""
            inputs:
              x:
                type: string
                optional: "yes"
            environment: azureml:fixture-base:3
            command: echo ${{inputs.x}}
        """),
        "inputs.x.optional",
        7,
    ),
    Case(
        "inputs-list",
        "component",
        component("""
            environment: azureml:fixture-base:3
            inputs: []
            command: echo
        """),
        "inputs",
        5,
    ),
    Case(
        "min-quoted",
        "component",
        component("""
            inputs:
              lr:
                type: number
                min: "1"
            environment: azureml:fixture-base:3
            command: echo ${{inputs.lr}}
        """),
        "inputs.lr.min",
        7,
    ),
    Case(
        "default-list",
        "component",
        component("""
            inputs:
              s:
                type: string
                default: [a, b]
            environment: azureml:fixture-base:3
            command: echo ${{inputs.s}}
        """),
        "inputs.s.default",
        7,
    ),
    Case(
        "min-on-string",
        "component",
        component("""
            inputs:
              s:
                type: string
                min: 1
            environment: azureml:fixture-base:3
            command: echo ${{inputs.s}}
        """),
        "inputs.s.min",
        7,
    ),
    Case(
        "max-on-boolean",
        "component",
        component("""
            inputs:
              flag:
                type: boolean
                max: 1
            environment: azureml:fixture-base:3
            command: echo ${{inputs.flag}}
        """),
        "inputs.flag.max",
        7,
    ),
    Case(
        "integer-min-fraction",
        "component",
        component("""
            inputs:
              n:
                type: integer
                min: 0.5
            environment: azureml:fixture-base:3
            command: echo ${{inputs.n}}
        """),
        "inputs.n.min",
        7,
    ),
    Case(
        "min-above-max",
        "component",
        component("""
            inputs:
              n:
                type: integer
                max: 1
                min: 5
            environment: azureml:fixture-base:3
            command: echo ${{inputs.n}}
        """),
        "inputs.n.min",
        8,
    ),
    Case(
        "enum-on-number",
        "component",
        component("""
            inputs:
              n:
                type: number
                enum: [a, b]
            environment: azureml:fixture-base:3
            command: echo ${{inputs.n}}
        """),
        "inputs.n.enum",
        7,
    ),
    Case(
        "enum-number-value",
        "component",
        component("""
            inputs:
              s:
                type: string
                enum:
                  - a
                  - 2
            environment: azureml:fixture-base:3
            command: echo ${{inputs.s}}
        """),
        "inputs.s.enum[1]",
        9,
    ),
    Case(
        "default-below-min",
        "component",
        component("""
            inputs:
              n:
                type: integer
                min: 1
                default: 0
            environment: azureml:fixture-base:3
            command: echo ${{inputs.n}}
        """),
        "inputs.n.default",
        8,
    ),
    Case(
        "default-above-max",
        "component",
        component("""
            inputs:
              lr:
                type: number
                max: 1
                default: 1.5
            environment: azureml:fixture-base:3
            command: echo ${{inputs.lr}}
        """),
        "inputs.lr.default",
        8,
    ),
    Case(
        "default-not-in-enum",
        "component",
        component("""
            inputs:
              s:
                type: string
                enum: [a, b]
                default: c
            environment: azureml:fixture-base:3
            command: echo ${{inputs.s}}
        """),
        "inputs.s.default",
        8,
    ),
    Case(
        "integer-default-fraction",
        "component",
        component("""
            inputs:
              n:
                type: integer
                default: 1.5
            environment: azureml:fixture-base:3
            command: echo ${{inputs.n}}
        """),
        "inputs.n.default",
        7,
    ),
    Case(
        "default-on-data-input",
        "component",
        component("""
            inputs:
              d:
                type: uri_folder
                default: ./data
            environment: azureml:fixture-base:3
            command: ls ${{inputs.d}}
        """),
        "inputs.d.default",
        7,
    ),
    Case(
        "mode-on-string",
        "component",
        component("""
            inputs:
              s:
                type: string
                mode: ro_mount
            environment: azureml:fixture-base:3
            command: echo ${{inputs.s}}
        """),
        "inputs.s.mode",
        7,
    ),
    Case(
        "placeholder-no-port",
        "component",
        component("""
            environment: azureml:fixture-base:3
            command: echo ${{inputs.missing}}
        """),
        "command",
        5,
    ),
    Case(
        "placeholder-unknown-output",
        "component",
        component("""
            outputs:
              result:
                type: uri_folder
            environment: azureml:fixture-base:3
            command: >-
              echo hi > ${{outputs.model}}/x
        """),
        "command",
        8,
    ),
    Case(
        "placeholder-malformed",
        "component",
        component("""
            environment: azureml:fixture-base:3
            command: echo ${{parameters.x}}
        """),
        "command",
        5,
    ),
    Case(
        "required-input-in-optional-segment",
        "component",
        component("""
            inputs:
              x:
                type: string
            environment: azureml:fixture-base:3
            command: echo $[[--x ${{inputs.x}}]]
        """),
        "command",
        8,
    ),
    Case(
        "output-in-optional-segment",
        "component",
        component("""
            inputs:
              x:
                type: string
                optional: true
            outputs:
              out:
                type: uri_folder
            environment: azureml:fixture-base:3
            command: echo $[[--x ${{inputs.x}} --out ${{outputs.out}}]]
        """),
        "command",
        12,
    ),
    Case(
        "nested-optional-segment",
        "component",
        component("""
            inputs:
              x:
                type: string
                optional: true
            environment: azureml:fixture-base:3
            command: echo $[[ a $[[--x ${{inputs.x}}]] ]]
        """),
        "command",
        9,
    ),
    Case(
        "unclosed-optional-segment",
        "component",
        component("""
            inputs:
              x:
                type: string
                optional: true
            environment: azureml:fixture-base:3
            command: echo $[[--x ${{inputs.x}}
        """),
        "command",
        9,
    ),
    Case(
        "reserved-class",
        "component",
        component("""
            inputs:
              class:
                type: string
            environment: azureml:fixture-base:3
            command: echo ${{inputs.class}}
        """),
        "inputs.class",
        5,
    ),
    Case(
        "reserved-lambda",
        "component",
        component("""
            outputs:
              lambda:
                type: uri_folder
            environment: azureml:fixture-base:3
            command: echo ${{outputs.lambda}}
        """),
        "outputs.lambda",
        5,
    ),
    Case(
        "input-and-output-same-name",
        "component",
        component("""
            inputs:
              data:
                type: uri_folder
            outputs:
              data:
                type: uri_folder
            environment: azureml:fixture-base:3
            command: cp -r ${{inputs.data}} ${{outputs.data}}
        """),
        "outputs.data",
        8,
    ),
    Case(
        "name-uppercase",
        "component",
        text("""
            type: command
            name: BadName
            environment: azureml:fixture-base:3
            command: echo
        """),
        "name",
        2,
    ),
    Case(
        "name-dash",
        "component",
        text("""
            type: command
            environment: azureml:fixture-base:3
            command: echo
            name: bad-name
        """),
        "name",
        4,
    ),
    Case(
        "pipeline-without-jobs",
        "component",
        text("""
            name: pipe
            type: pipeline
            jobs: {}
        """),
        "jobs",
        3,
    ),
    Case(
        "distribution",
        "component",
        component("""
            environment: azureml:fixture-base:3
            command: python train.py
            distribution:
              type: pytorch
        """),
        "distribution",
        6,
    ),
    Case(
        "unknown-field",
        "component",
        component("""
            environment: azureml:fixture-base:3
            command: echo
            flavour: vanilla
        """),
        "flavour",
        6,
    ),
    Case(
        "missing-command",
        "component",
        component("""
            environment: azureml:fixture-base:3
        """),
        "command",
        ANY_LINE,
    ),
    Case(
        "missing-environment",
        "component",
        component("""
            command: echo
        """),
        "environment",
        ANY_LINE,
    ),
    Case(
        "unknown-environment",
        "component",
        component("""
            command: echo
            environment: azureml:no-such-environment:7
        """),
        "environment",
        5,
    ),
    Case(
        "reference-without-version",
        "component",
        component("""
            command: echo
            environment: azureml:fixture-base
        """),
        "environment",
        5,
    ),
    Case(
        "reference-unknown-label",
        "component",
        component("""
            command: echo
            environment: azureml://registries/azureml/environments/fixture-base/labels/stable
        """),
        "environment",
        5,
    ),
    Case(
        "remote-code",
        "component",
        component("""
            command: echo
            code: git+https://github.com/example/repo.git
            environment: azureml:fixture-base:3
        """),
        "code",
        5,
    ),
    Case(
        "two-instances",
        "component",
        component("""
            command: echo
            environment: azureml:fixture-base:3
            resources:
              instance_count: 2
        """),
        "resources.instance_count",
        7,
    ),
    Case(
        "inline-environment-windows",
        "component",
        component("""
            command: echo
            environment:
              image: python:3.11
              os_type: windows
        """),
        "environment.os_type",
        7,
    ),
    Case(
        "inline-conda-bad-dependency",
        "component",
        component("""
            command: echo
            environment:
              image: python:3.11
              conda_file:
                dependencies:
                  - [numpy]
        """),
        "environment.conda_file.dependencies[0]",
        9,
    ),
    Case(
        "environment-image-and-build",
        "environment",
        text("""
            name: both
            image: python:3.11
            build:
              path: ./context
        """),
        "build",
        3,
    ),
    Case(
        "environment-neither",
        "environment",
        text("""
            name: neither
            description: no image, no build
        """),
        "image",
        ANY_LINE,
    ),
    Case(
        "environment-windows",
        "environment",
        text("""
            name: windows
            image: mcr.microsoft.com/windows/servercore:ltsc2022
            os_type: windows
        """),
        "os_type",
        3,
    ),
    Case(
        "environment-bad-name",
        "environment",
        text("""
            name: "has space"
            image: python:3.11
        """),
        "name",
        1,
    ),
    Case(
        "v1-private-registry",
        "environment",
        text("""
            {
              "name": "private",
              "docker": {
                "baseImage": "myregistry.azurecr.io/base:1",
                "baseImageRegistry": {
                  "address": "myregistry.azurecr.io",
                  "username": "someone",
                  "password": "hunter2"
                }
              }
            }
        """),
        "docker.baseImageRegistry",
        5,
    ),
    Case(
        "v1-spark-packages",
        "environment",
        text("""
            {
              "name": "spark",
              "docker": {"baseImage": "python:3.11"},
              "spark": {
                "repositories": [],
                "packages": [{"group": "com.microsoft.ml.spark", "artifact": "mmlspark_2.11"}],
                "precachePackages": true
              }
            }
        """),
        "spark",
        4,
    ),
    Case(
        "v1-windows-platform",
        "environment",
        text("""
            {
              "name": "winv1",
              "docker": {
                "baseImage": "python:3.11",
                "platform": {"os": "Windows", "architecture": "amd64"}
              }
            }
        """),
        "docker.platform.os",
        5,
    ),
    Case(
        "data-mltable",
        "data",
        text("""
            name: table
            type: mltable
            path: https://example.com/table
        """),
        "path",
        3,
    ),
    Case(
        "data-datastore-path",
        "data",
        text("""
            name: blob
            type: uri_file
            path: azureml://datastores/workspaceblobstore/paths/data/titanic.csv
        """),
        "path",
        3,
    ),
    Case(
        "data-path-missing",
        "data",
        text("""
            name: nothing
            type: uri_folder
        """),
        "path",
        ANY_LINE,
    ),
]


def _register(tmp_path, case_text: str, kind: str | None, name: str = "bad.yml"):
    path = tmp_path / name
    path.write_text(case_text)
    with pytest.raises(DefinitionError) as caught:
        register_file(path, kind=kind)
    return caught.value


def _params(cases):
    return [pytest.param(case, id=case.id) for case in cases]


def test_there_are_many_malformed_cases():
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", _params(CASES))
def test_a_malformed_definition_names_its_field_and_line(case: Case, tmp_path, base_environment):
    error = _register(tmp_path, case.text, case.kind)

    fields = [problem.field for problem in error.problems]
    assert case.field in fields, [str(problem) for problem in error.problems]
    assert all("." not in field or not field.endswith((".int", ".float", ".str")) for field in fields)
    problem = next(problem for problem in error.problems if problem.field == case.field)
    if case.line is not ANY_LINE:
        assert problem.line == case.line, str(problem)
    assert problem.file == str(tmp_path / "bad.yml")
    assert problem.message
    assert case.field in error.errors_by_field()
    model = {"component": Component, "environment": Environment, "data": DataAsset}[case.kind]
    assert not model.objects.exclude(pk=base_environment.pk).exists()


# --- Documents refused before they are walked ---------------------------------------------------


def test_python_tags_are_never_constructed(tmp_path):
    marker = tmp_path / "pwned"
    document = f'name: x\nimage: !!python/object/apply:os.system ["touch {marker}"]\n'

    error = _register(tmp_path, document, "environment")

    assert not marker.exists()
    [problem] = error.problems
    assert (problem.field, problem.line) == ("", 2)
    assert "python/object" in problem.message


def test_a_billion_laughs_is_refused_quickly(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    document = "\n".join(["name: bomb", "image: python:3.11", *lines, "tags: *i"]) + "\n"

    started = time.monotonic()
    error = _register(tmp_path, document, "environment")

    assert time.monotonic() - started < 2
    [problem] = error.problems
    assert problem.field == ""
    assert "expand" in problem.message
    assert problem.line == 1


def test_a_recursive_alias_is_refused(tmp_path):
    error = _register(tmp_path, "name: loop\nimage: python:3.11\ntags: &t\n  self: *t\n", "environment")

    [problem] = error.problems
    assert problem.field == ""
    assert "recursive" in problem.message
    assert problem.line == 3  # the anchor


def test_a_document_over_one_mib_is_refused(tmp_path):
    document = "name: big\nimage: python:3.11\ndescription: " + "x" * (2 * 1024 * 1024) + "\n"

    error = _register(tmp_path, document, "environment")

    [problem] = error.problems
    assert problem.field == ""
    assert "larger than" in problem.message


def test_text_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.yml"
    path.write_bytes("name: caf\xe9\nimage: python:3.11\n".encode("latin-1"))

    with pytest.raises(DefinitionError) as caught:
        register_file(path, kind="environment")

    assert caught.value.problems[0].field == ""


def test_a_list_document_is_refused(tmp_path):
    error = _register(tmp_path, "- name: x\n- image: y\n", "environment")

    assert [(problem.field, problem.line) for problem in error.problems] == [("", 1)]


def test_a_bad_conda_file_names_its_own_file_and_field(tmp_path):
    (tmp_path / "conda.yml").write_text("channels: conda-forge\ndependencies: []\n")

    error = _register(tmp_path, "name: conda\nimage: python:3.11\nconda_file: conda.yml\n", "environment")

    [problem] = error.problems
    assert (problem.file, problem.field, problem.line) == ("conda.yml", "channels", 1)


@pytest.mark.parametrize("where", ["relative", "absolute"])
@pytest.mark.parametrize("field", ["code", "conda_file"])
def test_local_paths_may_not_leave_the_definition_folder(tmp_path, base_environment, field, where):
    outside = tmp_path / "outside"
    (outside / "src").mkdir(parents=True)
    (outside / "src" / "secret.txt").write_text("not for snapshots")
    (outside / "conda.yml").write_text("dependencies: [python=3.11]\n")
    folder = tmp_path / "definition"
    folder.mkdir()
    target = {"code": outside / "src", "conda_file": outside / "conda.yml"}[field]
    location = str(target) if where == "absolute" else f"../outside/{target.name}"
    if field == "code":
        document = (
            f"type: command\nname: leaky\ncode: {location}\n"
            "environment: azureml:fixture-base:3\ncommand: ls\n"
        )
    else:
        document = f"name: leaky\nimage: python:3.11\nconda_file: {location}\n"

    error = _register(folder, document, "component" if field == "code" else "environment")

    assert [problem.field for problem in error.problems] == [field]


def test_a_control_character_is_a_definition_error(tmp_path):
    error = _register(tmp_path, "name: x\nimage: python:3.11\ndescription: a\x00b\n", "environment")

    assert [problem.field for problem in error.problems] == [""]


def test_a_yaml_date_in_a_conda_specification_is_refused_or_kept_as_text(tmp_path):
    document = (
        "name: dated\nimage: python:3.11\nconda_file:\n"
        "  dependencies: [python=3.11]\n  variables:\n    RELEASE: 2024-01-01\n"
    )
    path = tmp_path / "dated.yml"
    path.write_text(document)

    try:
        environment, _ = register_file(path, kind="environment")
    except DefinitionError as error:
        assert [problem.field for problem in error.problems] == ["conda_file.variables.RELEASE"]
    else:
        assert environment.spec["conda"]["variables"]["RELEASE"] == "2024-01-01"


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_a_non_finite_bound_is_refused_on_its_field(tmp_path, base_environment, value):
    document = component(f"""
        inputs:
          x:
            type: number
            max: {value}
        environment: azureml:fixture-base:3
        command: echo ${{{{inputs.x}}}}
    """)

    error = _register(tmp_path, document, "component")

    assert [problem.field for problem in error.problems] == ["inputs.x.max"]


# --- Attached archives --------------------------------------------------------------------------

COMPONENT_WITH_CODE = (
    "type: command\nname: with_code\nversion: '1'\ncode: ./src\n"
    "environment: azureml:fixture-base:3\ncommand: ls\n"
)


def _tar_gz(*members: tuple[str, bytes | str, str]) -> bytes:
    """A tar.gz of (name, content or link target, kind) members; kind is file, symlink or hardlink."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, content
                archive.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, content
                archive.addfile(info)
            else:
                data = content.encode() if isinstance(content, str) else content
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


UNSAFE_ARCHIVES = {
    "dot-dot": _tar_gz(("run.sh", "ls", "file"), ("../escaped.txt", "gotcha", "file")),
    "absolute": _tar_gz(
        ("/tmp/escaped.txt", "gotcha", "file"),
    ),
    "symlink-outside": _tar_gz(("run.sh", "ls", "file"), ("link", "../../../etc/passwd", "symlink")),
    "symlink-absolute": _tar_gz(
        ("link", "/etc/passwd", "symlink"),
    ),
    "hardlink-outside": _tar_gz(
        ("link", "../etc/passwd", "hardlink"),
    ),
    "through-symlink": _tar_gz(("up", "..", "symlink"), ("up/escaped.txt", "gotcha", "file")),
}


@pytest.mark.parametrize("archive", list(UNSAFE_ARCHIVES.values()), ids=list(UNSAFE_ARCHIVES))
def test_an_unsafe_code_archive_is_refused(archive, tmp_path, base_environment):
    attachments = UploadedAttachments({"code": io.BytesIO(archive)}, filename="component.yml")

    with pytest.raises(DefinitionError) as caught:
        register_text(
            COMPONENT_WITH_CODE, kind="component", filename="component.yml", attachments=attachments
        )

    [problem] = caught.value.problems
    assert problem.field == "code"
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not Component.objects.exists()


def test_an_oversized_code_archive_is_refused(settings, base_environment):
    settings.STUDIO_MAX_SNAPSHOT_BYTES = 1024
    archive = _tar_gz(("big.bin", b"\0" * 8192, "file"))
    attachments = UploadedAttachments({"code": io.BytesIO(archive)}, filename="component.yml")

    with pytest.raises(DefinitionError) as caught:
        register_text(
            COMPONENT_WITH_CODE, kind="component", filename="component.yml", attachments=attachments
        )

    [problem] = caught.value.problems
    assert problem.field == "code"
    assert "limit" in problem.message


def test_a_missing_code_part_is_named(base_environment):
    attachments = UploadedAttachments({}, filename="component.yml")

    with pytest.raises(DefinitionError) as caught:
        register_text(
            COMPONENT_WITH_CODE, kind="component", filename="component.yml", attachments=attachments
        )

    assert [problem.field for problem in caught.value.problems] == ["code"]


def test_a_refused_archive_points_at_the_line_of_its_field(base_environment):
    attachments = UploadedAttachments(
        {"code": io.BytesIO(UNSAFE_ARCHIVES["dot-dot"])}, filename="component.yml"
    )

    with pytest.raises(DefinitionError) as caught:
        register_text(
            COMPONENT_WITH_CODE, kind="component", filename="component.yml", attachments=attachments
        )

    assert caught.value.problems[0].line == 4


# --- Through the REST API -----------------------------------------------------------------------

BY_ID = {case.id: case for case in CASES}
API_CASES = [
    "optional-yes",
    "min-on-string",
    "reserved-class",
    "placeholder-no-port",
    "unknown-environment",
    "environment-windows",
    "v1-spark-packages",
    "data-mltable",
    "data-datastore-path",
]
ENDPOINT = {"component": "components", "environment": "environments", "data": "data"}


def _assert_400(response, field: str):
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"], body
    assert body["detail"]
    return body


@pytest.mark.parametrize("case_id", API_CASES)
def test_the_api_answers_400_with_field_and_line(admin_client, case_id, base_environment):
    case = BY_ID[case_id]
    upload = SimpleUploadedFile("definition.yml", case.text.encode(), content_type="application/yaml")

    response = admin_client.post(f"/api/v1/{ENDPOINT[case.kind]}/", {"file": upload})

    body = _assert_400(response, case.field)
    problem = next(problem for problem in body["problems"] if problem["field"] == case.field)
    assert problem["line"] == case.line
    assert problem["file"] == "definition.yml"
    assert f"definition.yml:{case.line}" in body["errors"][case.field][0]


def test_the_api_refuses_an_unsafe_code_archive(admin_client, base_environment):
    response = admin_client.post(
        "/api/v1/components/",
        {
            "file": SimpleUploadedFile("component.yml", COMPONENT_WITH_CODE.encode()),
            "code": SimpleUploadedFile("src.tar.gz", UNSAFE_ARCHIVES["symlink-outside"]),
        },
    )

    body = _assert_400(response, "code")
    assert body["problems"][0]["field"] == "code"


def test_the_api_refuses_an_oversized_upload(admin_client, settings, base_environment):
    settings.STUDIO_MAX_SNAPSHOT_BYTES = 1024
    response = admin_client.post(
        "/api/v1/components/",
        {
            "file": SimpleUploadedFile("component.yml", COMPONENT_WITH_CODE.encode()),
            "code": SimpleUploadedFile("src.tar.gz", _tar_gz(("big.bin", b"\1" * 4096, "file"))),
        },
    )

    _assert_400(response, "code")


def test_the_api_names_a_missing_upload_part(admin_client):
    definition = "name: local\ntype: uri_file\npath: ./table.csv\n"
    response = admin_client.post(
        "/api/v1/data/", {"file": SimpleUploadedFile("data.yml", definition.encode())}
    )

    _assert_400(response, "path")


def test_the_api_refuses_python_tags_and_bombs(admin_client, tmp_path):
    marker = tmp_path / "pwned"
    tagged = f'name: x\nimage: !!python/object/apply:os.system ["touch {marker}"]\n'
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]\n"
        for previous, name in zip("abcdef", "bcdefg", strict=True)
    )
    for document in (
        tagged.encode(),
        bomb.encode(),
        b"name: loop\ntags: &t\n  self: *t\n",
        b"name: \xff\xfe\n",
    ):
        upload = SimpleUploadedFile("environment.yml", document)
        response = admin_client.post("/api/v1/environments/", {"file": upload})
        body = _assert_400(response, "document")
        assert body["problems"][0]["field"] == ""
    assert not marker.exists()


@pytest.mark.parametrize(
    "document",
    [
        b"name: x\nimage: python:3.11\ndescription: a\x00b\n",
        b"name: dated\nimage: python:3.11\nconda_file:\n  dependencies: [python]\n  name: 2024-01-01\n",
    ],
    ids=["nul", "date"],
)
def test_the_api_never_answers_500_for_a_definition(admin_client, document):
    response = admin_client.post("/api/v1/environments/", {"file": SimpleUploadedFile("env.yml", document)})

    assert response.status_code in (201, 400), response.content


@pytest.mark.parametrize(
    ("endpoint", "document", "field"),
    [
        ("environments", {"name": "both", "image": "python:3.11", "build": {"path": "ctx"}}, "build"),
        ("environments", {"name": "nothing"}, "image"),
        (
            "components",
            {"name": "c", "command": "echo", "environment": "azureml:fixture-base"},
            "environment",
        ),
        (
            "components",
            {
                "name": "c",
                "command": "echo ${{inputs.lr}}",
                "environment": "azureml:fixture-base:3",
                "inputs": {"lr": {"type": "number", "min": 2, "max": 1}},
            },
            "inputs.lr.min",
        ),
        (
            "components",
            {"name": "c", "command": "echo", "environment": "azureml:fixture-base:3", "foo": 1},
            "foo",
        ),
        ("data", {"name": "d", "type": "mltable", "path": "https://example.com/t"}, "path"),
        ("data", {"name": "d", "type": "uri_folder", "path": "./local"}, "path"),
    ],
    ids=["both", "neither", "reference", "min-max", "unknown", "mltable", "local-path"],
)
def test_the_api_refuses_bad_json_definitions(admin_client, endpoint, document, field, base_environment):
    response = admin_client.post(
        f"/api/v1/{endpoint}/", json.dumps(document), content_type="application/json"
    )

    body = _assert_400(response, field)
    assert [problem["field"] for problem in body["problems"]] == [field]


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "{}", "null"])
def test_the_api_refuses_json_that_is_not_a_definition(admin_client, payload):
    response = admin_client.post("/api/v1/environments/", payload, content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"]
