"""`studio up` starts everything in one process, serves pages, and stops cleanly."""

from __future__ import annotations

import os
import re
import socket
import subprocess

import requests

from tests import servers


def _sign_in(server: servers.StudioServer) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{server.url}/login/", timeout=10)
    assert form.status_code == 200
    assert "csrftoken" in session.cookies
    response = session.post(
        f"{server.url}/login/",
        data={
            "username": server.username,
            "password": server.password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/",
        },
        headers={"Referer": f"{server.url}/login/"},
        timeout=10,
    )
    assert response.status_code == 200, response.text[:500]
    assert response.url == f"{server.url}/"
    assert "sessionid" in session.cookies
    return session


def test_it_serves_the_studio_and_stops_cleanly(tmp_path):
    server = servers.start_studio(tmp_path / "home")
    try:
        health = requests.get(f"{server.url}/healthz", timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"

        login = requests.get(f"{server.url}/login/", timeout=10)
        assert login.status_code == 200
        assert 'name="password"' in login.text
        assert "csrfmiddlewaretoken" in login.text

        anonymous = requests.get(f"{server.url}/", timeout=10, allow_redirects=False)
        assert anonymous.status_code == 302
        assert anonymous.headers["Location"].startswith("/login/")

        dashboard = _sign_in(server).get(f"{server.url}/", timeout=10)
        assert dashboard.status_code == 200
        assert "Recent jobs" in dashboard.text
        assert "Computes" in dashboard.text
        assert re.search(r'class="compute-name">local<', dashboard.text)
    finally:
        code = server.stop()

    assert code == 0
    log = server.log()
    assert "Studio stopped." in log
    assert "Traceback" not in log
    assert (tmp_path / "home" / "studio.sqlite3").exists()
    assert (tmp_path / "home" / "secret_key").exists()


def test_it_refuses_a_wrong_password_on_the_login_form(studio_server):
    session = requests.Session()
    session.get(f"{studio_server.url}/login/", timeout=10)

    response = session.post(
        f"{studio_server.url}/login/",
        data={"username": "admin", "password": "wrong", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{studio_server.url}/login/"},
        timeout=10,
    )

    assert response.status_code == 200
    assert "do not match" in response.text
    assert "sessionid" not in session.cookies


def test_it_starts_again_in_the_same_home(tmp_path):
    home = tmp_path / "home"
    first = servers.start_studio(home)
    assert first.stop() == 0
    first_log = first.log()

    second = servers.start_studio(home)
    try:
        assert requests.get(f"{second.url}/healthz", timeout=10).status_code == 200
        _sign_in(second)
    finally:
        code = second.stop()

    assert code == 0
    second_log = second.log()
    assert "Traceback" not in first_log + second_log
    assert "Studio stopped." in second_log
    assert "Created the administrator" not in second_log


def test_it_prints_a_generated_admin_password_once(tmp_path):
    home = tmp_path / "home"
    extra = {"STUDIO_ADMIN_USER": "", "STUDIO_ADMIN_PASSWORD": ""}
    first = servers.start_studio(home, extra_env=extra)
    assert first.stop() == 0

    match = re.search(r"Created the administrator 'admin' with password: (\S+)", first.log())
    assert match, first.log()
    assert (home / "admin_password").read_text().strip() == match.group(1)

    second = servers.start_studio(home, extra_env=extra)
    assert second.stop() == 0
    assert "Created the administrator" not in second.log()


def test_it_refuses_a_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
            },
            "STUDIO_HOME": str(tmp_path / "home"),
            "STUDIO_HOST": "127.0.0.1",
            "STUDIO_PORT": str(port),
        }

        result = subprocess.run(
            [str(servers.STUDIO_BIN), "up"],
            cwd=servers.REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 2, result.stdout + result.stderr
    assert "STUDIO_PORT" in result.stderr
    assert f"127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Serving" not in result.stdout
