"""Issue #14: an ssh:// Docker engine, through a real OpenSSH server and the `ssh` binary.

The test starts its own dockerd (the far host's engine: own data root, exec root, bridge) and its
own sshd on 127.0.0.1 whose sessions' `docker` talks to that engine (SetEnv DOCKER_HOST). The
client side uses an ssh_config of the test's own (STUDIO_SSH_CONFIG: its key, its known_hosts).
A `docker` compute `ssh://root@127.0.0.1:<port>` registered through the REST API runs a job there,
with its inputs and outputs copied through the Docker API.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.choices import JobStatus
from runner.executors.docker import DockerUnavailable, engine_info
from runner.executors.docker_step import transfer_mode
from runner.models import EnvironmentImage
from tests import factories
from tests.engines import OwnDockerd
from tests.integration.test_remote_engines import BASE_IMAGE, EngineEvents, _missing
from tests.runner.jobs import submit_file, wait_for
from tests.sshd import SSHD_BIN, OwnSshd

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.docker]


@pytest.fixture(scope="module")
def far_host(tmp_path_factory) -> Iterator[tuple[OwnDockerd, OwnSshd]]:
    if os.geteuid() != 0 or not shutil.which("dockerd"):
        _missing("starting a second dockerd (and its bridge) needs root and dockerd")
    if not Path(SSHD_BIN).exists():
        _missing("no sshd (apt-get install openssh-server)")
    engine = OwnDockerd()
    sshd = OwnSshd(docker_host=engine.url)
    try:
        engine.start()
        engine.load(BASE_IMAGE)
        sshd.start()
        yield engine, sshd
    finally:
        sshd.close()
        engine.close()


@pytest.fixture
def ssh_settings(far_host, settings):
    settings.STUDIO_SSH_CONFIG = str(far_host[1].client_config)
    return settings


def _pipeline(folder: Path, token: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    step = """    type: command
    compute: azureml:far
    component:
      name: ssh_{name}
      environment:
        image: {image}
        conda_file:
          dependencies: []
          variables: {{STUDIO_TEST_TOKEN: "{token}"}}
"""
    (folder / "pipeline.yml").write_text(
        f"""$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: ssh engine {token}
experiment_name: ssh-engines
jobs:
  make:
{step.format(name="make", image=BASE_IMAGE, token=token)}      outputs:
        out: {{type: uri_folder}}
      command: echo "made $STUDIO_TEST_TOKEN" > ${{{{outputs.out}}}}/made.txt
  use:
{step.format(name="use", image=BASE_IMAGE, token=token)}      inputs:
        made: {{type: uri_folder}}
      outputs:
        out: {{type: uri_folder}}
      command: >-
        cat ${{{{inputs.made}}}}/made.txt > ${{{{outputs.out}}}}/used.txt &&
        echo used >> ${{{{outputs.out}}}}/used.txt
    inputs:
      made: ${{{{parent.jobs.make.outputs.out}}}}
"""
    )
    return folder / "pipeline.yml"


def test_without_the_config_ssh_fails_at_once_instead_of_asking(far_host, settings):
    settings.STUDIO_SSH_CONFIG = ""  # root's own ~/.ssh knows neither the key nor the host key
    with pytest.raises(DockerUnavailable):
        engine_info(far_host[1].url, timeout=20)  # BatchMode: no prompt, no hang


def test_a_job_on_an_ssh_engine_runs_there_with_files_copied_through_the_api(
    far_host, ssh_settings, computes, library, worker, tmp_path
):
    engine, sshd = far_host
    admin = factories.make_user("root-admin", admin=True)
    answer = factories.api_client(admin).post(
        "/api/v1/computes/",
        {"name": "far", "kind": "docker", "engine_url": sshd.url, "max_concurrent_steps": 2},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["state"] == "online", (answer.json()["state_detail"], sshd.log())
    assert transfer_mode(sshd.url) == "copy"
    import docker

    host, far = EngineEvents(docker.from_env()), EngineEvents(engine.client())
    try:
        token = uuid.uuid4().hex[:12]
        job = wait_for(submit_file(_pipeline(tmp_path, token)), timeout=300)
        steps = {step.name: step for step in job.steps.all()}
        assert job.status == JobStatus.COMPLETED, {n: (s.status, s.status_reason) for n, s in steps.items()}
        assert far.steps(job.name) == {"make", "use"}  # created by the far engine, reached over ssh
        assert host.steps(job.name) == set()
    finally:
        for watcher in (host, far):
            watcher.close()
            watcher.client.close()
    used = (Path(steps["use"].outputs["out"]["path"]) / "used.txt").read_text().splitlines()
    assert used == [f"made {token}", "used"]
    row = EnvironmentImage.objects.get(environment=steps["use"].environment, target=sshd.url)
    assert row.builds == 1 and row.status == "ready"  # built on that engine
    assert "Accepted publickey for root" in sshd.log()
