"""`studio compute create --gpus auto` and `studio job create --priority` against the session's
`studio up` (the CLI in-process, the server a real process on loopback)."""

from __future__ import annotations

import json
import os
import shutil
import uuid

import pytest
import requests

from cli import main
from runner.executors.docker import engine_info


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def online(studio_server, token, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("STUDIO_URL", studio_server.url)
    monkeypatch.setenv("STUDIO_TOKEN", token)
    return studio_server


def get(server, token: str, path: str) -> requests.Response:
    headers = {"Authorization": f"Token {token}"}
    return requests.get(f"{server.url}/api/v1/{path}", headers=headers, timeout=30)


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this host has nvidia-smi: it finds GPUs")
def test_gpus_auto_on_a_host_without_nvidia_smi_is_refused_with_the_reason(online, token, capsys):
    name = unique("gpu-auto-local")
    code = main(["compute", "create", "--name", name, "--type", "local", "--gpus", "auto"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "HTTP 400" in err and "gpu_ids" in err and "nvidia-smi is not installed on this host" in err, err
    assert get(online, token, f"computes/{name}/").status_code == 404  # nothing registered


@pytest.mark.docker
def test_gpus_auto_on_an_engine_without_the_nvidia_runtime_is_refused_with_the_reason(online, token, capsys):
    if engine_info(None).get("gpus"):
        pytest.skip("this engine has the NVIDIA runtime: it finds GPUs")
    name = unique("gpu-auto-docker")
    engine = os.environ.get("STUDIO_DOCKER_URL") or "unix:///var/run/docker.sock"
    arguments = ["--name", name, "--type", "docker", "--docker-url", engine, "--gpus", "auto", "-o", "json"]
    code = main(["compute", "create", *arguments])
    error = json.loads(capsys.readouterr().err)["error"]
    assert code == 1, error
    assert "400" in error and "gpu_ids" in error, error
    assert "has no NVIDIA runtime (its runtimes: " in error and "give the GPU ids by hand" in error, error
    assert get(online, token, f"computes/{name}/").status_code == 404


def test_job_create_priority_reaches_the_job(online, token, tmp_path, capsys):
    pipeline = tmp_path / "urgent.yml"
    pipeline.write_text(
        "type: pipeline\n"
        "settings: {default_compute: azureml:local}\n"
        "jobs:\n"
        "  hello:\n"
        "    type: command\n"
        "    command: echo urgent\n"
        "    environment: azureml:python-3.11@latest\n"
    )
    name = unique("urgent").replace("-", "_")
    code = main(["job", "create", "-f", str(pipeline), "--name", name, "--priority", "7"])
    assert code == 0, capsys.readouterr()
    job = get(online, token, f"jobs/{name}/")
    assert job.status_code == 200 and job.json()["priority"] == 7, job.text

    code = main(["job", "create", "-f", str(pipeline), "--priority", "101"])
    err = capsys.readouterr().err
    assert code != 0 and "priority" in err and "from -100 to 100, got '101'" in err, err
