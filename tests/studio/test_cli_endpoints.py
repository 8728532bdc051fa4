"""`studio endpoint` verbs against a real `studio up`: publish a YAML with local data, keys, invoke
with --set and --stream (the run executes on Docker), refusals, disable/enable, set-default."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from cli.endpoint_verbs import invocation_body
from cli.output import CommandError
from tests.servers import start_studio
from tests.studio.cli_helpers import IRIS, cli_runner, new_token, write

PIPELINE = """
type: pipeline
display_name: Split from the CLI
settings:
  default_compute: azureml:docker
inputs:
  raw:
    type: uri_file
    path: ./iris.csv
  fraction: 0.7
jobs:
  load:
    component: azureml:import_csv@latest
    inputs:
      source_file: ${{parent.inputs.raw}}
  split:
    component: azureml:split_data@latest
    inputs:
      dataset: ${{parent.jobs.load.outputs.dataset}}
      fraction: ${{parent.inputs.fraction}}
"""


def test_set_values_go_where_the_schema_puts_them():
    parameters = [{"name": "fraction", "kind": "value"}, {"name": "raw", "kind": "data"}]

    body = invocation_body(
        parameters, ["inputs.fraction=0.2", "raw=azureml:iris:1", "inputs.other=x"], experiment="nightly"
    )

    assert body == {
        "ExperimentName": "nightly",
        "ParameterAssignments": {"fraction": 0.2, "other": "x"},
        "DataPathAssignments": {"raw": "azureml:iris:1"},
    }
    with pytest.raises(CommandError, match="inputs.NAME=VALUE"):
        invocation_body(parameters, ["jobs.split.inputs.fraction=1"], experiment=None)


@pytest.fixture(scope="module")
def server():
    home = Path(tempfile.mkdtemp(prefix="studio-cli-endpoints-"))
    home.chmod(0o755)
    started = start_studio(home / "home")
    try:
        yield started
    finally:
        started.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.docker
def test_publish_key_invoke_and_manage_from_the_cli(server, tmp_path):
    cli = cli_runner(server, new_token(server), tmp_path)
    shutil.copy(IRIS, tmp_path / "iris.csv")
    pipeline = write(tmp_path / "pipe.yml", PIPELINE)
    name = f"cli-{uuid.uuid4().hex[:8]}"

    published = cli("endpoint", "publish", "-f", str(pipeline), "--name", name, "-d", "split iris")
    assert published.returncode == 0, published.stdout + published.stderr
    assert f"Published {name} version 1 (the default)" in published.stdout
    again = cli("endpoint", "publish", "-f", str(pipeline), "--name", name, "--set", "inputs.fraction=0.4")
    assert "version 2" in again.stdout and "(the default)" not in again.stdout

    broken = write(tmp_path / "broken.yml", PIPELINE.replace("split_data@latest", "split_data:9"))
    refused_publish = cli("endpoint", "publish", "-f", str(broken), "--name", name)
    assert refused_publish.returncode == 2, refused_publish.stdout + refused_publish.stderr
    assert re.search(
        rf"{re.escape(str(broken))}:\d+: jobs\.split\.component: component split_data:9 is not",
        refused_publish.stderr,
    )

    created = cli("endpoint", "key", "create", name, "--key-name", "ci", "-o", "json")
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert key["key"].startswith("sep_")

    shown = cli("endpoint", "show", name)
    assert re.search(r"^fraction\s+number\s+0\.7\s+>= 0\.01; <= 0\.99$", shown.stdout, re.M), shown.stdout
    assert re.search(r"^raw\s+data \(uri_file\)", shown.stdout, re.M), shown.stdout
    assert key["key"] not in shown.stdout and "ci" in shown.stdout

    refused = cli("endpoint", "invoke", name, "--set", "inputs.fraction=lots")
    assert refused.returncode == 2
    assert "ParameterAssignments.fraction: expects a number, got 'lots'" in refused.stderr

    run = cli("endpoint", "invoke", name, "--set", "inputs.fraction=0.2", "--stream", timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(rf"^Started run \S+ of {name} version 1 \(Queued\)$", run.stdout, re.M), run.stdout
    assert "split | Split 150 rows into 30 (first) and 120 (second), seed 42" in run.stdout, run.stdout

    pinned = cli("endpoint", "invoke", name, "--version", "2", "-o", "json")
    assert pinned.returncode == 0 and json.loads(pinned.stdout)["Status"] == "Queued"

    assert cli("endpoint", "disable", name).returncode == 0
    disabled = cli("endpoint", "invoke", name)
    assert disabled.returncode == 1 and "disabled" in disabled.stderr
    assert cli("endpoint", "enable", name).returncode == 0
    assert "runs version 2 by default" in cli("endpoint", "set-default", name, "2").stdout

    listed = cli("endpoint", "list", "-o", "json")
    mine = next(e for e in json.loads(listed.stdout) if e["name"] == name)
    assert mine["default_version"] == 2 and mine["status"] == "Active" and mine["last_run"]

    revoked = cli("endpoint", "key", "revoke", name, str(key["id"]))
    assert revoked.returncode == 0 and "Revoked key ci" in revoked.stdout
    assert cli("endpoint", "show", "no-such-endpoint").returncode == 1
