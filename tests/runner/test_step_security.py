"""A running step's container is locked down: not root, no capabilities, limits, read-only inputs."""

from __future__ import annotations

import socket
from pathlib import Path

import docker
import pytest

from runner.actions import request_cancel
from runner.choices import JobStatus, StepStatus
from studio.storage.job_artifacts import step_dir
from studio.storage.layout import snapshot_path
from tests import engines
from tests.runner.jobs import PIPELINES, submit_file, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.docker]

SECURITY = PIPELINES / "security" / "pipeline.yml"


def test_a_step_container_is_locked_down(computes, library, worker):
    job = submit_file(SECURITY, default_compute="azureml:docker")
    client = docker.from_env()
    try:
        wait_for(
            job,
            timeout=60,
            until=lambda j: j.steps.get().status == StepStatus.RUNNING and bool(j.steps.get().container_id),
        )
        step = job.steps.get()
        found = client.containers.list(
            all=True, filters={"label": [f"studio.job={job.name}", "studio.step=probe"]}
        )
        assert [c.id for c in found] == [step.container_id]
        info = client.api.inspect_container(step.container_id)
        config, host = info["Config"], info["HostConfig"]
        assert info["State"]["Running"]

        assert config["User"] not in ("", "0", "root", "0:0") and not config["User"].startswith("0:")
        assert config["Labels"]["studio.job"] == job.name
        assert config["Labels"]["studio.step"] == "probe"
        assert config["Labels"]["studio.attempt"] == "1"
        assert host["CapDrop"] == ["ALL"]
        assert not host.get("CapAdd")
        assert "no-new-privileges" in (host.get("SecurityOpt") or [])
        assert not host.get("Privileged")
        assert (host.get("PidsLimit") or 0) > 0
        assert (host.get("Memory") or 0) > 0
        assert (host.get("NanoCpus") or 0) > 0  # STUDIO_STEP_DEFAULT_CPUS: no step is unbounded
        assert host["ReadonlyRootfs"] is True
        assert host["Tmpfs"]["/tmp"].startswith("rw,nosuid,nodev,size=") and "HOME=/tmp" in config["Env"]

        mounts = info["Mounts"]
        assert not any("docker.sock" in (m.get("Source", "") + m.get("Destination", "")) for m in mounts)
        assert not any("docker.sock" in bind for bind in host.get("Binds") or [])
        # The step's folders are at fixed container paths, whatever the host's paths are.
        by_destination = {m["Destination"]: m for m in mounts}
        output = by_destination["/studio/outputs/out"]
        data = job.spec["steps"]["probe"]["inputs"]["data"]["snapshot"]
        data_mount = by_destination["/studio/inputs/data"]
        assert output["Source"] == str(step_dir(job.name, "probe") / "out")
        assert output["RW"] is True
        assert data_mount["Source"] == str(snapshot_path(data))
        assert data_mount["RW"] is False
        requested = {m["Target"]: m for m in host["Mounts"]}
        assert requested["/studio/inputs/data"]["ReadOnly"] is True
        assert config["WorkingDir"] == "/studio/work"
        # Nothing but the step's own folders is writable.
        writable = sorted(m["Destination"] for m in mounts if m["RW"])
        assert writable == ["/studio/outputs/out", "/studio/work"]
        assert by_destination["/studio/work"]["Source"] == str(step_dir(job.name, "probe") / ".work")

        output_of_id = client.containers.get(step.container_id).exec_run("id -u").output.decode().strip()
        assert output_of_id not in ("", "0"), output_of_id
    finally:
        client.close()
        assert request_cancel(job)
        wait_for(job, timeout=30)
    assert job.status == JobStatus.CANCELED


NO_NETWORK = PIPELINES / "no_network" / "pipeline.yml"


def _listening_on_the_bridge() -> tuple[socket.socket, str, int]:
    """A TCP server on the host's Docker bridge address: a container with a network reaches it."""
    gateway = engines.bridge_gateway()
    server = socket.socket()
    server.bind((gateway, 0))
    server.listen(4)
    return server, gateway, server.getsockname()[1]


@pytest.mark.parametrize("network", ["bridge", "compute none", "step none"])
def test_a_step_without_network_cannot_reach_the_host_and_its_root_is_read_only(
    network, computes, library, worker, settings, tmp_path
):
    """One short step per case probes TCP to the host, the read-only root, /tmp, HOME, uid and gid;
    with the bridge network the same probe connects (so the probe itself can tell)."""
    server, gateway, port = _listening_on_the_bridge()
    text = (
        NO_NETWORK.read_text()
        .replace("host: 172.17.0.1", f"host: {gateway}")
        .replace("port: 1", f"port: {port}")
    )
    if network == "compute none":
        computes["docker"].network = "none"
        computes["docker"].save(update_fields=["network"])
    elif network == "step none":
        text = text.replace(
            "    force_rerun: true\n", "    force_rerun: true\n    resources: {network: none}\n"
        )
    path = tmp_path / "pipeline.yml"
    path.write_text(text)
    try:
        job = wait_for(submit_file(path, default_compute="azureml:docker"), timeout=120)
    finally:
        server.close()
    step = job.steps.get()
    assert step.status == StepStatus.COMPLETED, step.status_reason
    probe = (Path(step.outputs["out"]["path"]) / "probe.txt").read_text().split()
    reached = "connected" if network == "bridge" else "refused"
    uid, gid = str(settings.STUDIO_STEP_UID), str(settings.STUDIO_STEP_GID)
    assert probe == [reached, "root-read-only", "tmp-ok", "/tmp", uid, gid], (gateway, port, probe)
