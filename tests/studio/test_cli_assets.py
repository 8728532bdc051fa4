"""`studio environment|component|data` and `studio compute` verbs against a real `studio up`."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from tests.servers import REPO_ROOT, STUDIO_BIN


@pytest.fixture
def cli(studio_server, token, tmp_path):
    """Run the `studio` console script with STUDIO_URL / STUDIO_TOKEN and an empty config directory."""
    env = {key: value for key, value in os.environ.items() if key not in ("STUDIO_URL", "STUDIO_TOKEN")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), STUDIO_URL=studio_server.url, STUDIO_TOKEN=token)

    def run(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(STUDIO_BIN), *arguments], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    return run


@pytest.fixture
def api(studio_server, token):
    """GET /api/v1/<path> as JSON."""

    def get(path: str):
        response = requests.get(
            f"{studio_server.url}/api/v1/{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        response.raise_for_status()
        return response.json()

    return get


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


CONDA = """
    channels: [conda-forge]
    dependencies:
      - python=3.11
      - pip:
          - requests>=2
"""


def environment_yaml(tmp_path: Path, name: str) -> Path:
    write(tmp_path / "env" / "conda.yml", CONDA)
    return write(
        tmp_path / "env" / "environment.yml",
        f"""
        $schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json
        name: {name}
        image: python:3.11-slim
        conda_file: ./conda.yml
        description: An environment from the CLI tests
        tags:
          suite: cli
        """,
    )


def component_yaml(tmp_path: Path, name: str, *, code: str = "./src", command: str | None = None) -> Path:
    folder = tmp_path / name
    write(folder / "src" / "main.py", "print('hello')\n")
    write(folder / "src" / "lib" / "util.py", "VALUE = 1\n")
    (folder / "src" / "__pycache__").mkdir()
    (folder / "src" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\x00junk")
    command = command or "python main.py --n ${{inputs.n}} --out ${{outputs.result}}"
    return write(
        folder / "component.yml",
        f"""
        $schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
        type: command
        name: {name}
        display_name: CLI test component
        inputs:
          n:
            type: integer
            default: 3
        outputs:
          result:
            type: uri_folder
        code: {code}
        environment: azureml:sklearn-1.5@latest
        command: >-
          {command}
        """,
    )


def test_it_registers_an_environment_with_a_conda_file(cli, api, tmp_path):
    name = unique("cli-env")
    definition = environment_yaml(tmp_path, name)

    result = cli("environment", "create", "--file", str(definition))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Registered {name}:1"
    detail = api(f"environments/{name}/1/")
    assert detail["spec"]["conda"]["dependencies"][0] == "python=3.11"

    again = cli("environment", "create", "--file", str(definition))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"Already registered as {name}:1 (identical content)"

    as_json = cli("environment", "create", "--file", str(definition), "--output", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["name"] == name


def test_it_registers_a_component_with_its_code(cli, api, tmp_path):
    name = unique("cli_component").replace("-", "_")
    definition = component_yaml(tmp_path, name)

    result = cli("component", "create", "-f", str(definition))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Registered {name}:1"
    detail = api(f"components/{name}/1/")
    assert len(detail["code_digest"]) == 64
    assert detail["environment"].startswith("sklearn-1.5:")

    # The digest is the folder's own: registering again (same code) finds the same version.
    again = cli("component", "create", "-f", str(definition))
    assert again.returncode == 0, again.stderr
    assert "Already registered" in again.stdout


def test_it_registers_a_component_with_an_inline_environment(cli, api, tmp_path):
    name = unique("cli_inline").replace("-", "_")
    folder = tmp_path / name
    write(folder / "code" / "run.py", "print('inline')\n")
    write(folder / "deps" / "conda.yml", CONDA)
    definition = write(
        folder / "component.yml",
        f"""
        type: command
        name: {name}
        code: ./code
        environment:
          image: python:3.11-slim
          conda_file: ./deps/conda.yml
        command: python run.py
        """,
    )

    result = cli("component", "create", "--file", str(definition), "--output", "json")

    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["name"] == name
    assert body["code_digest"]
    environment = body["environment"]
    assert environment.startswith("CliV2AnonymousEnvironment:")
    env_name, env_version = environment.split(":")
    assert api(f"environments/{env_name}/{env_version}/")["spec"]["conda"]["channels"] == ["conda-forge"]


def test_it_registers_file_and_folder_data(cli, api, tmp_path):
    file_name, folder_name = unique("cli-file"), unique("cli-folder")
    write(tmp_path / "data" / "rows.csv", "a,b\n1,2\n")
    write(tmp_path / "data" / "set" / "part-1.csv", "a,b\n1,2\n")
    write(tmp_path / "data" / "set" / "nested" / "part-2.csv", "a,b\n3,4\n")
    (tmp_path / "data" / "set" / ".git").mkdir()
    (tmp_path / "data" / "set" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "data" / "set" / "alias.csv").symlink_to("part-1.csv")
    file_yaml = write(
        tmp_path / "data" / "file.yml",
        f"""
        type: uri_file
        name: {file_name}
        path: ./rows.csv
        """,
    )
    folder_yaml = write(
        tmp_path / "data" / "folder.yml",
        f"""
        type: uri_folder
        name: {folder_name}
        path: set
        tags:
          kind: folder
        """,
    )

    for definition in (file_yaml, folder_yaml):
        result = cli("data", "create", "--file", str(definition))
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Registered ")

    as_file = api(f"data/{file_name}/1/")
    assert (as_file["data_type"], as_file["file_count"], as_file["size_bytes"]) == ("uri_file", 1, 8)
    as_folder = api(f"data/{folder_name}/1/")
    assert as_folder["data_type"] == "uri_folder"
    assert as_folder["file_count"] == 3  # part-1, nested/part-2 and the link; never .git


def test_it_shows_progress_for_large_uploads(cli, api, tmp_path):
    name = unique("cli-large")
    (tmp_path / "big.bin").write_bytes(os.urandom(5 * 1024 * 1024))
    definition = write(tmp_path / "big.yml", f"type: uri_file\nname: {name}\npath: big.bin\n")

    result = cli("data", "create", "--file", str(definition))

    assert result.returncode == 0, result.stderr
    assert "Uploading path (5.2 MB)" in result.stderr
    assert "(100%)" in result.stderr
    assert api(f"data/{name}/1/")["size_bytes"] == 5 * 1024 * 1024


def test_it_lists_shows_and_archives(cli, tmp_path):
    name = unique("cli-list")
    definition = environment_yaml(tmp_path, name)
    assert cli("environment", "create", "--file", str(definition)).returncode == 0
    second = definition.read_text().replace("requests>=2", "requests>=2.30")
    (tmp_path / "env" / "conda.yml").write_text(
        textwrap.dedent(CONDA).replace("requests>=2", "requests>=2.30")
    )
    definition.write_text(second)
    assert cli("environment", "create", "--file", str(definition)).stdout.strip() == f"Registered {name}:2"

    listed = cli("environment", "list", "--name", name)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "DESCRIPTION", "TAGS", "CREATED"]
    assert [line.split()[:2] for line in lines[1:]] == [[name, "2"], [name, "1"]]
    assert "suite=cli" in lines[1]

    every = cli("environment", "list", "--output", "json")
    assert every.returncode == 0, every.stderr
    names = [(asset["name"], asset["version"]) for asset in json.loads(every.stdout)]
    assert (name, "1") in names
    assert ("sklearn-1.5", "1") in names  # the seeded library
    tagged = json.loads(cli("environment", "list", "--tag", "suite:cli", "-o", "json").stdout)
    assert {asset["name"] for asset in tagged} >= {name}

    shown = cli("environment", "show", f"{name}:1")
    assert shown.returncode == 0, shown.stderr
    assert "Name:" in shown.stdout and name in shown.stdout
    assert "Image:" in shown.stdout and "python:3.11-slim" in shown.stdout
    assert "requests>=2" in shown.stdout
    latest = cli("environment", "show", name, "--output", "json")
    assert json.loads(latest.stdout)["version"] == "2"
    assert json.loads(cli("environment", "show", f"{name}@latest", "-o", "json").stdout)["version"] == "2"
    exported = cli("environment", "show", f"{name}:1", "--output", "yaml")
    assert exported.returncode == 0, exported.stderr
    document = yaml.safe_load(exported.stdout)
    assert (document["name"], document["version"], document["image"]) == (name, "1", "python:3.11-slim")

    archived = cli("environment", "archive", f"{name}:2")
    assert archived.returncode == 0, archived.stderr
    assert archived.stdout.strip() == f"Archived {name}:2"
    visible = json.loads(cli("environment", "list", "--name", name, "-o", "json").stdout)
    assert [asset["version"] for asset in visible] == ["1"]
    only_archived = json.loads(cli("environment", "list", "--name", name, "--archived", "-o", "json").stdout)
    assert [asset["version"] for asset in only_archived] == ["2"]
    assert json.loads(cli("environment", "show", name, "-o", "json").stdout)["version"] == "1"

    restored = cli("environment", "archive", f"{name}:2", "--restore")
    assert restored.returncode == 0, restored.stderr
    assert len(json.loads(cli("environment", "list", "--name", name, "-o", "json").stdout)) == 2

    missing = cli("environment", "show", f"{name}:99")
    assert missing.returncode == 1
    assert "not registered" in missing.stderr
    assert cli("environment", "archive", name).returncode == 2  # the version is required


def test_it_lists_data_with_its_type(cli, tmp_path):
    name = unique("cli-type")
    write(tmp_path / "one.txt", "x\n")
    definition = write(tmp_path / "d.yml", f"type: uri_file\nname: {name}\npath: one.txt\n")
    assert cli("data", "create", "--file", str(definition)).returncode == 0

    listed = cli("data", "list", "--name", name)

    assert listed.stdout.splitlines()[0].split() == ["NAME", "VERSION", "TYPE", "TAGS", "CREATED"]
    assert listed.stdout.splitlines()[1].split()[:3] == [name, "1", "uri_file"]
    assert cli("data", "list", "--name", unique("nothing")).stdout.strip() == "No data assets found."


def test_it_reports_yaml_syntax_errors_locally(cli, tmp_path):
    definition = write(
        tmp_path / "broken.yml",
        """
        name: broken
        image: python:3.11-slim
        tags: [unclosed
        description: x
        """,
    )

    result = cli("environment", "create", "--file", str(definition))

    assert result.returncode == 2
    assert result.stderr.startswith(f"{definition}:4: ")  # where the unclosed list is noticed
    assert "Traceback" not in result.stderr


def test_it_reports_server_problems_with_field_and_line(cli, tmp_path):
    name = unique("cli_bad").replace("-", "_")
    definition = component_yaml(tmp_path, name, command="python main.py --x ${{inputs.nowhere}}")
    lines = definition.read_text().splitlines()
    command_line = next(number for number, line in enumerate(lines, 1) if line.startswith("command:"))

    result = cli("component", "create", "--file", str(definition))

    assert result.returncode == 2, result.stdout
    problem = next(line for line in result.stderr.splitlines() if ": command: " in line)
    assert problem.startswith(f"{definition}:{command_line}: command: ")
    assert "nowhere" in problem

    as_json = cli("component", "create", "--file", str(definition), "--output", "json")
    assert as_json.returncode == 2
    problems = json.loads(as_json.stderr)["problems"]
    assert {(item["field"], item["line"]) for item in problems} == {("command", command_line)}


def test_it_refuses_a_missing_code_folder(cli, tmp_path):
    definition = component_yaml(tmp_path, unique("cli_nocode").replace("-", "_"), code="./missing")

    result = cli("component", "create", "--file", str(definition))

    assert result.returncode == 2
    assert "code: './missing' does not exist" in result.stderr
    assert f"{definition}:" in result.stderr


def test_it_refuses_a_link_leaving_the_folder(cli, tmp_path):
    name = unique("cli-link")
    write(tmp_path / "secret.txt", "secret\n")
    write(tmp_path / "set" / "ok.csv", "a\n")
    (tmp_path / "set" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    definition = write(tmp_path / "d.yml", f"type: uri_folder\nname: {name}\npath: ./set\n")

    result = cli("data", "create", "--file", str(definition))

    assert result.returncode == 2
    assert "leak.txt: symbolic link" in result.stderr
    assert "points outside the folder" in result.stderr


def test_it_keeps_versions_immutable(cli, tmp_path):
    name = unique("cli-immutable")
    definition = environment_yaml(tmp_path, name)
    definition.write_text(definition.read_text() + 'version: "7"\n')
    assert cli("environment", "create", "--file", str(definition)).stdout.strip() == f"Registered {name}:7"

    definition.write_text(definition.read_text().replace("python:3.11-slim", "python:3.12-slim"))
    result = cli("environment", "create", "--file", str(definition))

    assert result.returncode != 0
    assert "version" in result.stderr
    assert "immutable" in result.stderr


def test_it_manages_computes(cli):
    name = unique("cli-compute")

    created = cli(
        "compute",
        "create",
        "--name",
        name,
        "--type",
        "docker",
        "--docker-url",
        "unix:///nonexistent.sock",
        "--gpus",
        "0,1",
        "--max-concurrent",
        "3",
        "--description",
        "a compute without an engine",
        "--output",
        "json",
    )
    assert created.returncode == 0, created.stderr
    compute = json.loads(created.stdout)
    assert (compute["state"], compute["gpu_ids"], compute["max_concurrent_steps"]) == (
        "offline",
        ["0", "1"],
        3,
    )
    assert compute["state_detail"]

    listed = cli("compute", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0].split()[:3] == ["NAME", "TYPE", "STATE"]
    row = next(line for line in listed.stdout.splitlines() if line.startswith(name + " "))
    assert row.split()[1:4] == ["docker", "offline", "3"]
    assert name in [item["name"] for item in json.loads(cli("compute", "list", "-o", "json").stdout)]

    shown = cli("compute", "show", name)
    assert shown.returncode == 0, shown.stderr
    assert "State:" in shown.stdout and "offline" in shown.stdout
    assert "unix:///nonexistent.sock" in shown.stdout

    checked = cli("compute", "check", name)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"{name} (docker): offline — ")

    drained = cli("compute", "drain", name, "-o", "json")
    assert drained.returncode == 0, drained.stderr
    assert json.loads(drained.stdout)["state"] == "draining"

    resumed = cli("compute", "resume", name, "-o", "json")
    assert json.loads(resumed.stdout)["state"] == "offline"

    updated = cli("compute", "update", name, "--max-concurrent", "5", "-o", "json")
    assert json.loads(updated.stdout)["max_concurrent_steps"] == 5


def test_it_deletes_an_unused_compute(cli):
    name = unique("cli-delete")
    created = cli("compute", "create", "--name", name, "--type", "local")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith(f"Registered compute {name} (local): online")

    deleted = cli("compute", "delete", name)

    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == f"Deleted compute {name}"
    missing = cli("compute", "show", name)
    assert missing.returncode == 1
    assert "404" in missing.stderr


def test_it_refuses_a_bad_compute(cli):
    missing_url = cli("compute", "create", "--name", unique("cli-nourl"), "--type", "docker")
    assert missing_url.returncode == 2
    assert "--docker-url" in missing_url.stderr

    bad_url = cli("compute", "create", "--name", unique("cli-badurl"), "--docker-url", "nonsense")
    assert bad_url.returncode == 1
    assert "engine_url" in bad_url.stderr
