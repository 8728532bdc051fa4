"""`studio user create|set-role|list` against the session's real `studio up`, and a Viewer's CLI
refused with the reason."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest
import requests

from tests.servers import REPO_ROOT, STUDIO_BIN


@pytest.fixture
def studio(studio_server, tmp_path):
    """Run the `studio` console script as the holder of `token`, with `stdin` as its input."""

    def run(*arguments: str, token: str, stdin: str = "") -> subprocess.CompletedProcess:
        env = {key: value for key, value in os.environ.items() if key not in ("STUDIO_URL", "STUDIO_TOKEN")}
        env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), STUDIO_URL=studio_server.url, STUDIO_TOKEN=token)
        return subprocess.run(
            [str(STUDIO_BIN), *arguments],
            cwd=REPO_ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def test_an_admin_creates_users_and_sets_roles_and_a_viewer_is_refused(studio_server, token, studio):
    name = f"vi-{uuid.uuid4().hex[:8]}"
    password = "viewer-password-1"
    created = studio(
        "user",
        "create",
        name,
        "--role",
        "viewer",
        "--password-stdin",
        "-o",
        "json",
        token=token,
        stdin=password + "\n",
    )
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["role"] == "viewer"

    listed = studio("user", "list", token=token)
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[:2] == [name, "viewer"] for line in listed.stdout.splitlines()), listed.stdout

    # The viewer signs in (their own token is theirs to make) and may read, not write.
    issued = requests.post(
        f"{studio_server.url}/api/v1/tokens/", json={"name": "cli"}, auth=(name, password), timeout=10
    )
    assert issued.status_code == 201, issued.text
    viewer_token = issued.json()["token"]
    assert studio("compute", "list", token=viewer_token).returncode == 0
    refused = studio("compute", "create", "--name", "nope", "--type", "local", token=viewer_token)
    assert refused.returncode != 0
    assert "a Viewer can read everything" in refused.stderr, refused.stderr
    users = studio("user", "list", token=viewer_token)
    assert users.returncode != 0 and "only an Admin" in users.stderr, users.stderr

    promoted = studio("user", "set-role", name, "member", token=token)
    assert promoted.returncode == 0, promoted.stderr
    assert f"{name} is now member" in promoted.stdout
    me = requests.get(
        f"{studio_server.url}/api/v1/me/", headers={"Authorization": f"Bearer {viewer_token}"}, timeout=10
    )
    assert me.json()["role"] == "member"
