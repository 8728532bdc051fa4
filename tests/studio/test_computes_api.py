"""The compute REST API: register, check, change capacity, drain and resume, delete."""

from __future__ import annotations

import json
import os

import pytest

from studio.models import Compute

pytestmark = pytest.mark.django_db

API = "/api/v1/computes"
NOWHERE = "unix:///nonexistent.sock"


@pytest.fixture(autouse=True)
def artifacts_root(settings, tmp_path):
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"


def _post(client, path: str, document: dict | None = None):
    return client.post(path, json.dumps(document or {}), content_type="application/json")


def _patch(client, path: str, document: dict):
    return client.patch(path, json.dumps(document), content_type="application/json")


@pytest.fixture
def offline(admin_client) -> dict:
    response = _post(admin_client, f"{API}/", {"name": "remote", "kind": "docker", "engine_url": NOWHERE})
    assert response.status_code == 201, response.content
    return response.json()


def test_a_docker_compute_without_an_engine_is_offline(offline):
    assert offline["state"] == "offline"
    assert offline["state_detail"]
    assert offline["checked_at"]
    assert offline["engine_info"] == {}
    assert offline["discovered"] is False
    assert Compute.objects.get(name="remote").engine_url == NOWHERE


@pytest.mark.parametrize("url", ["ftp://host", "/var/run/docker.sock", "unix://", "tcp://host with space"])
def test_a_bad_engine_url_is_400(admin_client, url):
    response = _post(admin_client, f"{API}/", {"name": "bad", "kind": "docker", "engine_url": url})

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["engine_url"]
    assert not Compute.objects.filter(name="bad").exists()


def test_a_local_compute_has_no_engine(admin_client):
    response = _post(admin_client, f"{API}/", {"name": "mine", "kind": "local", "engine_url": NOWHERE})

    assert response.status_code == 400
    assert "engine_url" in response.json()["errors"]


def test_capacity_can_change(admin_client, offline):
    response = _patch(
        admin_client,
        f"{API}/remote/",
        {
            "max_concurrent_steps": 4,
            "gpu_ids": [0, "1"],
            "cpus": 2.5,
            "memory_mb": 4096,
            "description": "box",
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["max_concurrent_steps"], body["gpu_ids"], body["cpus"], body["memory_mb"]) == (
        4,
        ["0", "1"],
        2.5,
        4096,
    )
    stored = Compute.objects.get(name="remote")
    assert (stored.max_concurrent_steps, stored.gpu_ids, stored.description) == (4, ["0", "1"], "box")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"max_concurrent_steps": 0}, "max_concurrent_steps"),
        ({"gpu_ids": [0, 0]}, "gpu_ids"),
        ({"gpu_ids": "0,1"}, "gpu_ids"),
        ({"cpus": 0}, "cpus"),
        ({"name": "renamed"}, "name"),
        ({"kind": "local"}, "kind"),
        ({"engine_url": "tcp://elsewhere:2376"}, "engine_url"),
        ({"state": "online"}, "state"),
    ],
)
def test_bad_or_fixed_fields_cannot_change(admin_client, offline, change, field):
    response = _patch(admin_client, f"{API}/remote/", change)

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    stored = Compute.objects.get(pk=offline["id"])
    assert (stored.name, stored.kind, stored.engine_url, stored.state) == (
        "remote",
        "docker",
        NOWHERE,
        "offline",
    )


def test_put_is_not_allowed(admin_client, offline):
    response = admin_client.put(
        f"{API}/remote/", json.dumps({"name": "remote", "kind": "docker"}), content_type="application/json"
    )

    assert response.status_code == 405


def test_drain_resume_and_check(admin_client, offline):
    drained = _post(admin_client, f"{API}/remote/drain/")
    assert (drained.status_code, drained.json()["state"]) == (200, "draining")

    checked = _post(admin_client, f"{API}/remote/check/")
    assert (checked.status_code, checked.json()["state"]) == (200, "draining")  # a check keeps it draining

    resumed = _post(admin_client, f"{API}/remote/resume/")
    assert (resumed.status_code, resumed.json()["state"]) == (200, "offline")

    checked = _post(admin_client, f"{API}/remote/check/")
    assert (checked.status_code, checked.json()["state"]) == (200, "offline")
    assert checked.json()["state_detail"]


def test_delete(admin_client, offline):
    response = admin_client.delete(f"{API}/remote/")

    assert response.status_code == 204
    assert not Compute.objects.filter(name="remote").exists()
    assert admin_client.delete(f"{API}/remote/").status_code == 404
    assert _post(admin_client, f"{API}/remote/check/").status_code == 404


def test_list_and_filter(admin_client, offline):
    _post(admin_client, f"{API}/", {"name": "laptop", "kind": "local"})

    names = [item["name"] for item in admin_client.get(f"{API}/").json()["results"]]
    docker = [item["name"] for item in admin_client.get(f"{API}/?kind=docker").json()["results"]]

    assert names == ["laptop", "remote"]
    assert docker == ["remote"]


def test_a_local_compute_is_online(admin_client):
    response = _post(admin_client, f"{API}/", {"name": "laptop", "kind": "local"})

    assert response.status_code == 201, response.content
    assert response.json()["state"] == "online"
    assert response.json()["engine_info"]["ncpu"] >= 1


@pytest.mark.docker
def test_a_compute_on_the_local_engine_is_online(admin_client):
    url = os.environ.get("STUDIO_DOCKER_URL") or ""
    created = _post(admin_client, f"{API}/", {"name": "engine", "kind": "docker", "engine_url": url})
    assert created.status_code == 201, created.content

    checked = _post(admin_client, f"{API}/engine/check/")

    assert checked.status_code == 200
    body = checked.json()
    assert body["state"] == "online", body["state_detail"]
    assert body["engine_info"]["ncpu"] >= 1
    assert body["engine_info"]["server_version"]


def test_a_compute_network_is_bridge_unless_none_is_asked_and_a_local_compute_cannot_cut_it(
    admin_client, offline
):
    assert offline["network"] == "bridge"
    changed = _patch(admin_client, f"{API}/remote/", {"network": "none"})
    assert changed.status_code == 200, changed.content
    assert Compute.objects.get(name="remote").network == "none"
    bad = _patch(admin_client, f"{API}/remote/", {"network": "host"})
    assert bad.status_code == 400 and "network" in bad.json()["errors"]
    local = _post(admin_client, f"{API}/", {"name": "mine", "kind": "local", "network": "none"})
    assert local.status_code == 400 and "network" in local.json()["errors"]
