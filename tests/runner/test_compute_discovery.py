"""`studio up` registers the computes it finds: `local` always, `docker` when an engine answers."""

from __future__ import annotations

import pytest

from runner import computes
from runner.executors import docker as docker_executor
from studio.choices import ComputeKind, ComputeState
from studio.models import Compute


@pytest.mark.django_db
def test_it_registers_only_local_when_no_engine_answers(monkeypatch, settings):
    settings.STUDIO_DOCKER_URL = "unix:///nonexistent/docker.sock"
    found = computes.register_available_computes()
    assert [c.name for c in found] == ["local"]
    local = Compute.objects.get(name="local")
    assert local.kind == ComputeKind.LOCAL
    assert local.state == ComputeState.ONLINE
    assert local.discovered
    assert not Compute.objects.filter(name="docker").exists()


@pytest.mark.django_db
def test_it_registers_twice_without_duplicates(settings):
    settings.STUDIO_DOCKER_URL = "unix:///nonexistent/docker.sock"
    computes.register_available_computes()
    computes.register_available_computes()
    assert Compute.objects.filter(name="local").count() == 1


@pytest.mark.django_db
def test_it_marks_a_known_docker_compute_offline_when_its_engine_is_gone(settings):
    settings.STUDIO_DOCKER_URL = "unix:///nonexistent/docker.sock"
    Compute.objects.create(
        name="docker", kind=ComputeKind.DOCKER, engine_url="unix:///nonexistent/docker.sock"
    )
    found = computes.register_available_computes()
    docker = next(c for c in found if c.name == "docker")
    assert docker.state == ComputeState.OFFLINE
    assert "nonexistent" in docker.state_detail


@pytest.mark.docker
@pytest.mark.django_db
def test_it_registers_docker_when_the_engine_answers(settings):
    settings.STUDIO_DOCKER_URL = ""
    found = computes.register_available_computes()
    docker = next(c for c in found if c.name == "docker")
    assert docker.kind == ComputeKind.DOCKER
    assert docker.state == ComputeState.ONLINE
    assert docker.cpus and docker.cpus >= 1
    assert docker_executor.engine_answers(None)
