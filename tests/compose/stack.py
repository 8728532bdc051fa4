"""Running compose.yaml for real in tests: docker-compose, the stand-in images, a project's lifecycle.

`ComposeStack` is one compose project (its own name, env file, data folder and published port)
made of compose.yaml plus tests/compose/compose.test.yaml, whose postgres and redis services run
a stand-in image built from the offline base image (`services_image`, cached by a tag that names
what it was built from, so a second run builds nothing).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import REPO_ROOT

HERE = Path(__file__).resolve().parent
COMPOSE_FILE = REPO_ROOT / "compose.yaml"
OVERRIDE_FILE = HERE / "compose.test.yaml"
SERVICES_DOCKERFILE = HERE / "services.Dockerfile"
BASE_IMAGE = os.environ.get("STUDIO_BASE_IMAGE", "studio/python:3.11-bookworm")
APP_IMAGE = "studio/app:compose-test"
DOCKER_SOCKET = Path("/var/run/docker.sock")
BUILD_CA = REPO_ROOT / "deploy" / "build-ca.crt"
# Variables compose.yaml reads: only the stack's env file may set them, never the caller's shell.
COMPOSE_VARIABLES = (
    "POSTGRES_PASSWORD",
    "POSTGRES_IMAGE",
    "REDIS_IMAGE",
    "DOCKER_GID",
    "STUDIO_DATA_DIR",
    "STUDIO_PUBLISH",
    "STUDIO_IMAGE",
    "STUDIO_BASE_IMAGE",
    "STUDIO_UID",
    "STUDIO_ADMIN_USER",
    "STUDIO_ADMIN_PASSWORD",
    "STUDIO_GPU_COMPUTES",
    "SECRET_KEY",
    "STUDIO_ENCRYPTION_KEY",
    "STUDIO_REGISTRY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "STUDIO_HTTPS",
    "STUDIO_BEHIND_PROXY",
    "STUDIO_LOG_LEVEL",
    "COMPOSE_FILE",
    "COMPOSE_PROFILES",
    "COMPOSE_PROJECT_NAME",
)


def compose_command() -> list[str] | None:
    """docker-compose (v1, Debian's package) or `docker compose` (v2); None when neither is here."""
    found = shutil.which("docker-compose")
    if found:
        return [found]
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    return None


def clean_environment(**values: str) -> dict[str, str]:
    """The caller's environment without compose.yaml's variables, plus `values`."""
    env = {k: v for k, v in os.environ.items() if k not in COMPOSE_VARIABLES}
    env.update(values)
    return env


def run(command: list[str], *, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    """Run a command from the repository root; its output, or an AssertionError showing it."""
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} exited with {result.returncode}:\n{output[-6000:]}"
    return output


def image_exists(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0


def image_id(tag: str) -> str:
    return run(["docker", "image", "inspect", "--format", "{{.Id}}", tag]).strip()


def services_image() -> str:
    """The stand-in postgres/redis image, built once per Dockerfile, script and base image."""
    digest = hashlib.sha256(image_id(BASE_IMAGE).encode())
    for path in sorted(HERE.glob("services.Dockerfile")) + sorted(HERE.glob("*.sh")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    tag = f"studio-test/compose-services:{digest.hexdigest()[:16]}"
    if not image_exists(tag):
        run(
            [
                "docker", "build", "--quiet", "--tag", tag, "--build-arg", f"STUDIO_BASE_IMAGE={BASE_IMAGE}",
                "--file", str(SERVICES_DOCKERFILE), str(HERE),
            ]
        )  # fmt: skip
    return tag


def build_ca_bundle() -> Path | None:
    """The CA bundle image builds must trust here (STUDIO_BUILD_CA_BUNDLE or pip's PIP_CERT), if any."""
    for name in ("STUDIO_BUILD_CA_BUNDLE", "PIP_CERT"):
        value = os.environ.get(name, "").strip()
        if value and Path(value).is_file():
            return Path(value)
    return None


@dataclass
class ComposeStack:
    """One compose project of compose.yaml + the test override, with its own data and port."""

    compose: list[str]
    port: int
    name: str = field(default_factory=lambda: f"studiotest{secrets.token_hex(4)}")
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    data_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="studio-compose-")))
    services: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env_file = self.data_dir.with_name(self.data_dir.name + ".env")
        values = {
            "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
            "DOCKER_GID": str(DOCKER_SOCKET.stat().st_gid),
            "STUDIO_DATA_DIR": str(self.data_dir),
            "STUDIO_PUBLISH": f"127.0.0.1:{self.port}",
            "STUDIO_IMAGE": APP_IMAGE,
            "STUDIO_BASE_IMAGE": BASE_IMAGE,
            "STUDIO_ADMIN_PASSWORD": self.admin_password,
            "STUDIO_TEST_SERVICES_IMAGE": self.services or "unset",
        }
        self.env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
        self.env = clean_environment()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, *args: str) -> list[str]:
        """The compose command line of this project."""
        return [
            *self.compose, "--project-name", self.name, "--env-file", str(self.env_file),
            "--file", str(COMPOSE_FILE), "--file", str(OVERRIDE_FILE), *args,
        ]  # fmt: skip

    def __call__(self, *args: str, timeout: float = 600) -> str:
        """Run a compose command on this project."""
        return run(self.command(*args), env=self.env, timeout=timeout)

    def timed(self, label: str, *args: str, timeout: float = 600) -> str:
        started = time.monotonic()
        try:
            return self(*args, timeout=timeout)
        finally:
            self.timings[label] = round(time.monotonic() - started, 1)

    def build_app_image(self) -> None:
        """`docker-compose build web`, trusting this machine's CA bundle as a site would (deploy/)."""
        bundle = build_ca_bundle()
        wrote = False
        if bundle is not None and not BUILD_CA.exists():
            shutil.copyfile(bundle, BUILD_CA)
            wrote = True
        try:
            self.timed("build studio image", "build", "web")
        finally:
            if wrote:
                BUILD_CA.unlink(missing_ok=True)

    def logs(self) -> str:
        try:
            return self("logs", "--no-color", "--tail", "80", timeout=60)
        except AssertionError as error:
            return str(error)

    def down(self) -> None:
        try:
            self.timed("down", "down", "--volumes", "--remove-orphans", "--timeout", "10", timeout=180)
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.env_file.unlink(missing_ok=True)
