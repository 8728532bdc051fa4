"""A tcp:// engine's TLS client material: checked, encrypted at rest, never shown back.

The engine behind these computes is not running (its checks say offline): what is pinned here is
what the API, the database, the audit log and the CLI keep and show. tests/integration/
test_remote_engines.py runs jobs through a real TLS engine.
"""

from __future__ import annotations

import json
import os
import stat
from argparse import Namespace
from pathlib import Path

import pytest

from cli.compute_verbs import _tls, describe_tls
from cli.output import CommandError
from runner.executors.docker import DockerUnavailable, docker_client
from runner.executors.engine_access import client_options
from studio.encryption import DecryptionFailed, decrypt, encrypt
from studio.models import AuditEntry, Compute
from tests.engines import TLSFiles

API = "/api/v1/computes"
ENGINE = "tcp://127.0.0.1:1"


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> TLSFiles:
    return TLSFiles.make(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def other(tmp_path_factory) -> TLSFiles:
    return TLSFiles.make(tmp_path_factory.mktemp("other"))


def _material(files: TLSFiles) -> dict[str, str]:
    return {
        "tls_ca": files.ca.read_text(),
        "tls_cert": files.client_cert.read_text(),
        "tls_key": files.client_key.read_text(),
    }


def _send(client, method: str, path: str, document: dict):
    return getattr(client, method)(path, json.dumps(document), content_type="application/json")


def _create(client, tls: TLSFiles, **fields):
    document = {"name": "far", "kind": "docker", "engine_url": ENGINE, **_material(tls), **fields}
    return _send(client, "post", f"{API}/", document)


def test_it_encrypts_with_the_first_key_and_decrypts_with_any(settings):
    settings.STUDIO_ENCRYPTION_KEYS = ["old-" + "o" * 40]
    token = encrypt("secret")
    assert "secret" not in token and decrypt(token) == "secret"
    settings.STUDIO_ENCRYPTION_KEYS = ["new-" + "n" * 40, "old-" + "o" * 40]
    assert decrypt(token) == "secret"
    settings.STUDIO_ENCRYPTION_KEYS = ["new-" + "n" * 40]
    with pytest.raises(DecryptionFailed, match="STUDIO_ENCRYPTION_KEY"):
        decrypt(token)


@pytest.mark.django_db
def test_it_keeps_the_material_encrypted_and_shows_only_its_fingerprint(admin_client, tls):
    response = _create(admin_client, tls)

    assert response.status_code == 201, response.content
    body = response.json()
    assert "BEGIN" not in response.content.decode()
    assert body["tls"]["set"] and body["tls"]["ca"] and body["tls"]["client_certificate"]
    assert body["tls"]["fingerprint"].startswith("sha256:") and body["tls"]["subject"] == "CN=studio worker"
    compute = Compute.objects.get(name="far")
    assert "BEGIN" not in compute.engine_tls and compute.engine_tls_fingerprint == body["tls"]["fingerprint"]
    assert compute.engine_tls_material().key == tls.client_key.read_text()
    shown = admin_client.get(f"{API}/far/")
    assert shown.json()["tls"] == body["tls"] and "BEGIN" not in shown.content.decode()
    assert "PRIVATE" not in admin_client.get("/computes/far/").content.decode()


@pytest.mark.django_db
def test_it_replaces_and_removes_the_material_without_auditing_it(admin_client, tls, other):
    assert _create(admin_client, tls).status_code == 201

    replaced = _send(admin_client, "patch", f"{API}/far/", _material(other))
    assert replaced.status_code == 200, replaced.content
    assert Compute.objects.get(name="far").engine_tls_material().cert == other.client_cert.read_text()
    removed = _send(admin_client, "patch", f"{API}/far/", {"tls_ca": "", "tls_cert": "", "tls_key": ""})
    assert removed.status_code == 200 and removed.json()["tls"] == {"set": False}
    assert Compute.objects.get(name="far").engine_tls == ""
    details = json.dumps([entry.detail for entry in AuditEntry.objects.filter(action="compute.update")])
    assert "BEGIN" not in details and replaced.json()["tls"]["fingerprint"] in details


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tls_key": "other"}, "tls_key"),  # not the certificate's key
        ({"tls_key": ""}, "tls_key"),  # a certificate without its key
        ({"tls_ca": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"}, "tls_ca"),
        ({"tls_cert": "x" * 70_000}, "tls_cert"),
        ({"engine_url": "unix:///var/run/docker.sock"}, "tls_ca"),  # TLS is for tcp:// engines
    ],
)
def test_unusable_material_is_a_400_naming_the_field(admin_client, tls, other, change, field):
    if change.get("tls_key") == "other":
        change = {"tls_key": other.client_key.read_text()}

    response = _create(admin_client, tls, **change)

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not Compute.objects.filter(name="far").exists()


@pytest.mark.django_db
def test_a_member_cannot_set_material(client, tls):
    from tests import factories

    client.force_login(factories.make_user("member"))
    assert _create(client, tls).status_code == 403


@pytest.mark.django_db
def test_the_sdk_gets_the_material_from_private_files(admin_client, tls):
    assert client_options(ENGINE) == {}  # no compute with TLS at that URL yet
    assert _create(admin_client, tls).status_code == 201

    config = client_options(ENGINE)["tls"]

    assert Path(config.ca_cert).read_text() == tls.ca.read_text()
    cert, key = config.cert
    assert Path(key).read_text() == tls.client_key.read_text()
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(Path(key).parent.parent).st_mode) == 0o700
    assert client_options("ssh://me@gpu-box") == {"use_ssh_client": True}
    assert client_options("unix:///var/run/docker.sock") == {}


def test_an_ssh_engine_that_does_not_answer_says_so():
    with pytest.raises(DockerUnavailable, match="ssh://nobody@127.0.0.1:1"):
        docker_client("ssh://nobody@127.0.0.1:1", timeout=5)


def test_the_cli_reads_pem_files_and_shows_only_the_fingerprint(tls, tmp_path):
    args = Namespace(tls_ca=str(tls.ca), tls_cert=None, tls_key=None, no_tls=False)
    assert _tls(args) == {"tls_ca": tls.ca.read_text()}
    assert _tls(Namespace(tls_ca=None, tls_cert=None, tls_key=None, no_tls=True)) == {
        "tls_ca": "",
        "tls_cert": "",
        "tls_key": "",
    }
    with pytest.raises(CommandError, match="--tls-key"):
        _tls(Namespace(tls_ca=None, tls_cert=None, tls_key=str(tmp_path / "missing.pem"), no_tls=False))
    shown = describe_tls(
        {"set": True, "client_certificate": True, "fingerprint": "sha256:ab", "expires": "2030-01-02T00:00"}
    )
    assert shown == "set, client certificate sha256:ab, expires 2030-01-02"
    assert describe_tls({"set": False}) == ""
