"""compose.yaml for real: docker-compose accepts it, and the stack it describes runs a pipeline.

The stack test builds the Studio image from the Dockerfile (FROM the offline base image), starts
compose.yaml with stand-in postgres and redis images (tests/compose/compose.test.yaml), signs in
with the `studio` CLI, runs a two-step pipeline on the worker's `docker` compute (the host's
engine, through the mounted socket) to Completed, runs the init step again (idempotent) and
brings everything down.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from tests.compose.stack import (
    COMPOSE_FILE,
    DOCKER_SOCKET,
    ComposeStack,
    clean_environment,
    compose_command,
    run,
    services_image,
)
from tests.requirements import required
from tests.servers import REPO_ROOT, STUDIO_BIN, free_port

PIPELINE = Path(__file__).resolve().parent / "pipeline" / "pipeline.yml"
CONFIG_VALUES = {"POSTGRES_PASSWORD": "example-password", "DOCKER_GID": "999"}


@pytest.fixture(scope="module")
def compose() -> list[str]:
    command = compose_command()
    if command is None:
        reason = "neither docker-compose nor `docker compose` is installed (apt-get install docker-compose)"
        if "docker" in required():
            pytest.fail(f"STUDIO_REQUIRE names docker, but {reason}", pytrace=False)
        pytest.skip(reason)
    return command


def config(compose: list[str], *args: str, **values: str) -> str:
    return run(
        [*compose, "--project-name", "studio", "--file", str(COMPOSE_FILE), *args, "config"],
        env=clean_environment(**{**CONFIG_VALUES, **values}),
        timeout=60,
    )


def test_compose_config_accepts_compose_yaml(compose):
    services = yaml.safe_load(config(compose))["services"]
    assert {"db", "redis", "home", "init", "web", "worker"} <= set(services)
    # v1 prints every service with its profiles; v2 leaves out those of profiles not asked for.
    assert services.get("worker-gpu", {"profiles": ["gpu"]})["profiles"] == ["gpu"]
    for name in ("db", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    worker, web = services["worker"], services["web"]
    socket = f"{DOCKER_SOCKET}:{DOCKER_SOCKET}"
    assert any(str(volume).startswith(socket) for volume in _volumes(worker))
    assert not any(str(DOCKER_SOCKET) in str(volume) for volume in _volumes(web))
    assert [str(group) for group in worker["group_add"]] == ["999"]
    # STUDIO_HOME is the same path on the host and in the containers (the engine resolves binds).
    home = web["environment"]["STUDIO_HOME"]
    assert any(str(volume).startswith(f"{home}:{home}") for volume in _volumes(worker))
    assert "user" not in web and "user" not in worker  # the image's non-root user


def test_compose_config_gpu_profile_reserves_nvidia_devices(compose):
    services = yaml.safe_load(config(compose, "--profile", "gpu"))["services"]
    devices = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]


def test_compose_config_names_a_missing_password(compose):
    env = clean_environment(DOCKER_GID="999")
    result = subprocess.run(
        [*compose, "--file", str(COMPOSE_FILE), "config"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stdout + result.stderr


def _volumes(service: dict) -> list[str]:
    """Volumes as `source:target[:mode]` whichever syntax the compose version prints."""
    found = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            found.append(f"{volume.get('source')}:{volume.get('target')}")
        else:
            found.append(str(volume))
    return found


@pytest.mark.docker
def test_compose_stack_runs_a_pipeline_on_the_worker(compose, tmp_path):
    if not DOCKER_SOCKET.is_socket():
        pytest.skip(f"the stack's worker mounts {DOCKER_SOCKET}, which is not here")
    started = time.monotonic()
    services = services_image()
    stack = ComposeStack(compose, free_port(), services=services)
    stack.timings["stand-in image"] = round(time.monotonic() - started, 1)
    try:
        stack.build_app_image()
        stack.timed("up", "up", "--detach")
        _wait_for_health(stack)
        client_env = clean_environment(XDG_CONFIG_HOME=str(tmp_path / "config"))
        for name in ("STUDIO_URL", "STUDIO_TOKEN"):
            client_env.pop(name, None)
        run(
            [str(STUDIO_BIN), "login", "--url", stack.url, "--username", "admin", "--password",
             stack.admin_password],
            env=client_env,
        )  # fmt: skip
        name = f"compose-{secrets.token_hex(4)}"
        began = time.monotonic()
        run([str(STUDIO_BIN), "job", "create", "--file", str(PIPELINE), "--name", name], env=client_env)
        job = _wait_for_job(name, client_env, timeout=300)
        stack.timings["pipeline"] = round(time.monotonic() - began, 1)
        assert job["status"] == "Completed", (json.dumps(job, indent=1)[:3000], stack.logs())
        steps = {step["name"]: step for step in job["steps"]}
        assert set(steps) == {"produce", "consume"}
        for step in steps.values():
            assert step["status"] == "Completed"
            assert step["compute"] == "docker", step
        # The worker's bind mounts reached the host's engine: the output is in the host folder.
        summaries = list(stack.data_dir.glob("artifacts/**/summary.txt"))
        assert [path.read_text().strip() for path in summaries] == ["consumed 5 numbers"], summaries
        # The README's backup: pg_dump through the running db service.
        dump = subprocess.run(
            [*stack.command("exec", "-T", "db", "pg_dump", "-U", "studio", "-Fc", "studio")],
            cwd=REPO_ROOT, env=stack.env, capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        assert dump.returncode == 0 and dump.stdout.startswith(b"PGDMP"), dump.stderr[-2000:]
        assert b"runner_pipelinejob" in dump.stdout
        again = stack.timed("init again", "run", "--rm", "init", timeout=300)
        assert "Administrator 'admin' is ready." in again, again
        assert "docker (online)" in again, again
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.down()
        print("compose stack timings (s):", stack.timings)


def _wait_for_health(stack: ComposeStack, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{stack.url}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{stack.url}/healthz did not answer 200 within {timeout} s:\n{stack.logs()}")


def _wait_for_job(name: str, env: dict[str, str], *, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        job = json.loads(run([str(STUDIO_BIN), "job", "show", name, "--output", "json"], env=env))
        if job["status"] in ("Completed", "Failed", "Canceled"):
            return job
        time.sleep(1)
    raise AssertionError(f"job {name} still {job.get('status')} after {timeout} s")
