"""Real servers the tests start on loopback: PostgreSQL, Redis and Studio itself."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
STUDIO_BIN = Path(sys.executable).parent / "studio"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 30, process: subprocess.Popen | None = None) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


def postgres_bindir() -> Path | None:
    """The directory of Debian's PostgreSQL server binaries (initdb, pg_ctl), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    if found:
        return found[0].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class ServerProcess:
    """A server started for the test session."""

    url: str
    stop_command: list[str] | None = None
    process: subprocess.Popen | None = None
    workdir: Path | None = None

    def stop(self) -> None:
        """Stop the server and remove its files."""
        if self.stop_command:
            subprocess.run(self.stop_command, capture_output=True, check=False)
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def start_postgres() -> ServerProcess:
    """A throwaway PostgreSQL cluster on a free loopback port, trusting local connections."""
    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found")
    workdir = Path(tempfile.mkdtemp(prefix="studio-pg-"))
    datadir = workdir / "data"
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    subprocess.run(
        _as_postgres_user(
            [str(bindir / "initdb"), "-D", str(datadir), "-U", "studio", "--auth=trust", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
    )
    port = free_port()
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_postgres_user(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(datadir),
                "-o",
                options,
                "-w",
                "-l",
                str(workdir / "log"),
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    return ServerProcess(
        url=f"postgres://studio@127.0.0.1:{port}/postgres",
        stop_command=_as_postgres_user([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "stop"]),
        workdir=workdir,
    )


def start_redis() -> ServerProcess:
    """A throwaway Redis on a free loopback port, without persistence."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process=process)
    return ServerProcess(url=f"redis://127.0.0.1:{port}/0", process=process)


@dataclass
class StudioServer:
    """A `studio up` process in its own STUDIO_HOME."""

    url: str
    home: Path
    username: str
    password: str
    process: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def issue_token(self, name: str) -> str:
        """A new API token of the admin user, made through the REST API."""
        response = requests.post(
            f"{self.url}/api/v1/tokens/", json={"name": name}, auth=(self.username, self.password), timeout=30
        )
        assert response.status_code == 201, response.text
        return response.json()["token"]

    def log(self) -> str:
        """What the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self, *, timeout: float = 30) -> int:
        """Stop it as Ctrl-C would and return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_studio(home: Path, *, extra_env: dict[str, str] | None = None, timeout: float = 90) -> StudioServer:
    """Run `studio up` on a free port in `home` and wait until /healthz answers."""
    port = free_port()
    username, password = "admin", "studio-test-password-1"
    env = {
        **os.environ,
        "STUDIO_HOME": str(home),
        "STUDIO_PORT": str(port),
        "STUDIO_HOST": "127.0.0.1",
        "STUDIO_ADMIN_USER": username,
        "STUDIO_ADMIN_PASSWORD": password,
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    for variable in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"):
        if variable not in (extra_env or {}):
            env.pop(variable, None)
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "studio-up.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [str(STUDIO_BIN), "up"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    server = StudioServer(f"http://127.0.0.1:{port}", home, username, password, process, log_path, env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"studio up exited with {process.returncode}:\n{server.log()}")
        try:
            if requests.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    server.stop()
    raise TimeoutError(f"studio up did not answer /healthz within {timeout} s:\n{server.log()}")
