"""`studio login`, `whoami` and `logout` against a real `studio up`."""

from __future__ import annotations

import json
import os
import pty
import select
import stat
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.servers import REPO_ROOT, STUDIO_BIN


@pytest.fixture
def cli(tmp_path):
    """Run the `studio` console script with its own config directory."""
    base_env = {key: value for key, value in os.environ.items() if key not in ("STUDIO_URL", "STUDIO_TOKEN")}
    base_env["XDG_CONFIG_HOME"] = str(tmp_path)

    def run(*arguments: str, env: dict[str, str] | None = None, stdin=None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(STUDIO_BIN), *arguments],
            cwd=REPO_ROOT,
            env={**base_env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
            stdin=stdin,
        )

    run.config_path = Path(tmp_path) / "studio" / "config.json"
    run.env = base_env
    return run


def _login(cli, server, *extra: str) -> subprocess.CompletedProcess:
    return cli(
        "login", "--url", server.url, "--username", server.username, "--password", server.password, *extra
    )


def _me(server, token: str) -> requests.Response:
    return requests.get(f"{server.url}/api/v1/me/", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_it_logs_in_and_keeps_a_private_token(cli, studio_server):
    result = _login(cli, studio_server)

    assert result.returncode == 0, result.stderr
    assert "Logged in" in result.stdout
    config = json.loads(cli.config_path.read_text())
    assert stat.S_IMODE(cli.config_path.stat().st_mode) == 0o600
    assert config["url"] == studio_server.url
    assert config["username"] == "admin"
    assert config["token"].startswith("stu_")
    assert _me(studio_server, config["token"]).json()["username"] == "admin"


def test_it_says_who_is_logged_in(cli, studio_server):
    assert _login(cli, studio_server).returncode == 0

    result = cli("whoami", "--output", "json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["username"] == "admin"

    text = cli("whoami")
    assert text.returncode == 0
    assert text.stdout.strip() == f"admin at {studio_server.url}"


def test_it_prefers_the_environment_to_the_saved_login(cli, studio_server, tmp_path):
    assert _login(cli, studio_server).returncode == 0
    token = json.loads(cli.config_path.read_text())["token"]

    wrong_url = cli("whoami", "--output", "json", env={"STUDIO_URL": "http://127.0.0.1:9"})
    assert wrong_url.returncode != 0
    assert "127.0.0.1:9" in wrong_url.stderr

    wrong_token = cli("whoami", "--output", "json", env={"STUDIO_TOKEN": "stu_not-a-real-token"})
    assert wrong_token.returncode != 0
    assert "401" in wrong_token.stderr
    assert "Traceback" not in wrong_token.stderr

    cli.config_path.unlink()
    from_env = cli("whoami", "--output", "json", env={"STUDIO_URL": studio_server.url, "STUDIO_TOKEN": token})
    assert from_env.returncode == 0, from_env.stderr
    assert json.loads(from_env.stdout)["username"] == "admin"


def test_it_asks_to_log_in_first(cli, studio_server):
    result = cli("whoami")

    assert result.returncode == 1
    assert "studio login" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_prints_only_the_token_for_scripts(cli, studio_server):
    result = _login(cli, studio_server, "--print-token")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    token = lines[0]
    assert token.startswith("stu_")
    assert _me(studio_server, token).status_code == 200


def test_it_refuses_a_wrong_password(cli, studio_server):
    result = cli("login", "--url", studio_server.url, "--username", "admin", "--password", "wrong-password")

    assert result.returncode != 0
    assert "wrong username or password" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not cli.config_path.exists()


def test_it_says_when_the_server_cannot_be_reached(cli):
    result = cli("login", "--url", "http://127.0.0.1:9", "--username", "admin", "--password", "x")

    assert result.returncode != 0
    assert "cannot reach http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


def _run_in_terminal(argv: list[str], env: dict[str, str], answer: bytes, prompt: bytes) -> tuple[int, bytes]:
    """Run `argv` on a pseudo-terminal, type `answer` after `prompt`; return (exit code, output)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once, never return into pytest
        try:
            os.chdir(REPO_ROOT)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    output = b""
    answered = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if not answered and prompt in output:
                os.write(fd, answer)
                answered = True
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output


def test_it_prompts_for_the_password_on_a_terminal(cli, studio_server):
    code, output = _run_in_terminal(
        [str(STUDIO_BIN), "login", "--url", studio_server.url, "--username", "admin"],
        cli.env,
        answer=studio_server.password.encode() + b"\n",
        prompt=b"Password for admin: ",
    )

    assert code == 0, output
    assert b"Logged in" in output
    assert studio_server.password.encode() not in output  # getpass does not echo it
    token = json.loads(cli.config_path.read_text())["token"]
    assert _me(studio_server, token).status_code == 200


def test_it_prompts_for_a_missing_password(cli, studio_server):
    """Without a terminal getpass reads stdin; a closed stdin ends the prompt with a clean error."""
    result = cli("login", "--url", studio_server.url, "--username", "admin", stdin=subprocess.DEVNULL)

    assert result.returncode != 0
    assert "Password for admin" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not cli.config_path.exists()


def test_it_revokes_the_token_on_logout(cli, studio_server):
    assert _login(cli, studio_server).returncode == 0
    token = json.loads(cli.config_path.read_text())["token"]
    assert _me(studio_server, token).status_code == 200

    result = cli("logout")

    assert result.returncode == 0, result.stderr
    assert "Logged out" in result.stdout
    assert not cli.config_path.exists()
    assert _me(studio_server, token).status_code == 401
