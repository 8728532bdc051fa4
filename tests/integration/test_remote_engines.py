"""Issue #14: a second Docker engine as another host's, reached over tcp:// with TLS client
certificates, and an image registry that saves every other engine the build.

The test starts its own dockerd (own data root, exec root, pid file, bridge; tcp://127.0.0.1 with
`--tlsverify`) holding only the offline base image, and Debian's docker-registry on loopback. The
remote compute is registered through the REST API with its CA, client certificate and key.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.choices import JobStatus
from runner.executors.docker_step import transfer_mode
from runner.images.registry import registry_target
from runner.logs import read_log
from runner.models import EnvironmentImage
from studio.choices import ComputeKind
from studio.models import Compute
from tests import factories
from tests.engines import REGISTRY_BIN, OwnDockerd, OwnRegistry, TLSFiles
from tests.requirements import required
from tests.runner.jobs import submit_file, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.docker]

BASE_IMAGE = "studio/python:3.11-bookworm"


def _missing(reason: str) -> None:
    """Skip, or fail when STUDIO_REQUIRE names docker (CI): a broken install must not hide."""
    if "docker" in required():
        pytest.fail(f"STUDIO_REQUIRE names docker, but {reason}")
    pytest.skip(reason)


class EngineEvents:
    """The step containers an engine created (its event stream, read while the test runs)."""

    def __init__(self, client) -> None:
        self.client = client
        self.created: list[dict[str, str]] = []
        self._stream = client.api.events(
            decode=True, filters={"type": "container", "event": "create", "label": "studio.job"}
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for event in self._stream:
                self.created.append(dict((event.get("Actor") or {}).get("Attributes") or {}))
        except Exception:  # closed under us at the end
            return

    def steps(self, job: str) -> set[str]:
        return {labels.get("studio.step", "") for labels in self.created if labels.get("studio.job") == job}

    def close(self) -> None:
        self._stream.close()


@pytest.fixture(scope="module")
def remote(tmp_path_factory) -> Iterator[OwnDockerd]:
    """A second engine with TLS on tcp://127.0.0.1, holding only the offline base image."""
    if os.geteuid() != 0 or not shutil.which("dockerd"):
        _missing("starting a second dockerd (and its bridge) needs root and dockerd")
    tls = TLSFiles.make(tmp_path_factory.mktemp("tls"))
    engine = OwnDockerd(tls=tls)
    try:
        engine.start()
        engine.load(BASE_IMAGE)
        yield engine
    finally:
        engine.close()


@pytest.fixture(scope="module")
def registry() -> Iterator[OwnRegistry]:
    if not Path(REGISTRY_BIN).exists():
        _missing("no docker-registry (apt-get install docker-registry)")
    server = OwnRegistry()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def events(remote) -> Iterator[tuple[EngineEvents, EngineEvents]]:
    """(host engine's, remote engine's) container creations during the test."""
    import docker

    host_client, remote_client = docker.from_env(), remote.client()
    host, far = EngineEvents(host_client), EngineEvents(remote_client)
    yield host, far
    for watcher in (host, far):
        watcher.close()
        watcher.client.close()


@pytest.fixture
def remote_compute(db, remote) -> Compute:
    """`remote`: a docker compute registered through the REST API with its TLS material."""
    admin = factories.make_user("root-admin", admin=True)
    tls = remote.tls
    answer = factories.api_client(admin).post(
        "/api/v1/computes/",
        {
            "name": "remote",
            "kind": "docker",
            "engine_url": remote.tcp_url,
            "max_concurrent_steps": 2,
            "tls_ca": tls.ca.read_text(),
            "tls_cert": tls.client_cert.read_text(),
            "tls_key": tls.client_key.read_text(),
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["state"] == "online", body["state_detail"]  # the API's check went through TLS
    assert body["tls"]["set"] and body["tls"]["fingerprint"].startswith("sha256:")
    assert "BEGIN" not in answer.content.decode()  # no PEM comes back
    compute = Compute.objects.get(name="remote")
    assert "BEGIN" not in compute.engine_tls  # encrypted at rest
    return compute


def _pipeline(folder: Path, token: str, *, first_on: str) -> Path:
    """`make` on `first_on` writes a file; `use` on the remote engine reads it and writes another.

    The environment's variable carries `token`, so its image is new to every engine.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pipeline.yml").write_text(
        f"""$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: remote engine {token}
experiment_name: remote-engines
jobs:
  make:
    type: command
    compute: azureml:{first_on}
    component:
      name: remote_make
      environment:
        image: {BASE_IMAGE}
        conda_file:
          dependencies: []
          variables: {{STUDIO_TEST_TOKEN: "{token}"}}
      outputs:
        out: {{type: uri_folder}}
      command: echo "made $STUDIO_TEST_TOKEN on $(hostname)" > ${{{{outputs.out}}}}/made.txt
  use:
    type: command
    compute: azureml:remote
    component:
      name: remote_use
      environment:
        image: {BASE_IMAGE}
        conda_file:
          dependencies: []
          variables: {{STUDIO_TEST_TOKEN: "{token}"}}
      inputs:
        made: {{type: uri_folder}}
      outputs:
        out: {{type: uri_folder}}
      command: >-
        cat ${{{{inputs.made}}}}/made.txt > ${{{{outputs.out}}}}/used.txt &&
        echo "used on $(hostname)" >> ${{{{outputs.out}}}}/used.txt
    inputs:
      made: ${{{{parent.jobs.make.outputs.out}}}}
"""
    )
    return folder / "pipeline.yml"


def _run(pipeline: Path):
    job = wait_for(submit_file(pipeline), timeout=300)
    steps = {step.name: step for step in job.steps.all()}
    assert job.status == JobStatus.COMPLETED, {n: (s.status, s.status_reason) for n, s in steps.items()}
    return job, steps


def test_a_job_on_the_tls_engine_runs_there_with_files_copied_through_the_api(
    remote, remote_compute, events, computes, library, worker, tmp_path
):
    host, far = events
    assert transfer_mode(remote_compute.engine_url) == "copy"
    token = uuid.uuid4().hex[:12]

    job, steps = _run(_pipeline(tmp_path, token, first_on="remote"))

    # Both containers were created by the second engine, none by the host's.
    assert far.steps(job.name) == {"make", "use"}
    assert host.steps(job.name) == set()
    # `make`'s output came back to this host, went into `use`'s container and back again.
    used = (Path(steps["use"].outputs["out"]["path"]) / "used.txt").read_text().splitlines()
    assert used[0].startswith(f"made {token} on ") and used[1].startswith("used on ")
    # The environment was built on that engine (no registry): one build, for its URL.
    row = EnvironmentImage.objects.get(environment=steps["use"].environment, target=remote.tcp_url)
    assert row.builds == 1 and row.status == "ready"


def test_an_image_built_for_one_engine_is_pulled_not_rebuilt_by_the_other(
    remote, remote_compute, registry, events, computes, library, worker, settings, tmp_path
):
    settings.STUDIO_REGISTRY = registry.address
    host, far = events
    token = uuid.uuid4().hex[:12]
    assert Compute.objects.get(name="docker").kind == ComputeKind.DOCKER

    job, steps = _run(_pipeline(tmp_path, token, first_on="docker"))

    assert host.steps(job.name) == {"make"} and far.steps(job.name) == {"use"}
    environment = steps["use"].environment
    assert steps["make"].environment == environment
    # One build in all, claimed for the registry; the remote engine pulled it.
    rows = {row.target: row for row in EnvironmentImage.objects.filter(environment=environment)}
    assert set(rows) == {registry_target(registry.address)}, rows
    assert rows[registry_target(registry.address)].builds == 1
    tag = rows[registry_target(registry.address)].tag.split("/", 1)[1]
    log = [entry.get("line", "") for entry in read_log(job.name, "use")]
    assert any(line.startswith(f"studio: pulling {registry.address}/{tag}") for line in log), log
    assert not any(line.startswith("studio: building") for line in log), log
    client = remote.client()
    try:
        assert f"{registry.address}/{tag}" in client.images.get(tag).tags  # pulled, tagged as run
    finally:
        client.close()
    for name in (f"{registry.address}/{tag}", tag):  # the host engine keeps no image of this test
        host.client.images.remove(name)
