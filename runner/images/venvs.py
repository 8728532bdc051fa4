"""Virtualenvs for the local compute: an environment built as a virtualenv on this machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from runner.images.building_once import build_lines, build_once
from runner.images.engine import _proxy_buildargs
from runner.images.errors import ImageBuildError
from runner.images.requirements import BaseImageFacts, environment_requirements

VENV_TARGET = "venv"
SEED_CACHE_SETTING = "STUDIO_VENV_SEED_CACHE"


def environment_venv_path(environment) -> Path:
    """Where the environment's virtualenv lives: STUDIO_HOME/venvs/<content hash[:24]>."""
    return Path(settings.STUDIO_HOME) / "venvs" / environment.content_hash[:24]


def _run_logged(command: list[str], env: dict[str, str], log: Callable[[str], None]) -> None:
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
        errors="replace",
        bufsize=1,
    ) as process:
        assert process.stdout is not None
        tail: list[str] = []
        for line in process.stdout:
            line = line.rstrip()
            if line:
                log(line)
                tail = (tail + [line])[-10:]
        code = process.wait()
    if code != 0:
        raise ImageBuildError(f"{' '.join(command[:4])} ... exited with {code}: " + " | ".join(tail[-3:]))


def local_python() -> str:
    """The interpreter local virtualenvs are made from.

    Not Studio's own: that usually is itself a virtualenv whose base may sit where the
    unprivileged step user cannot read (a pyenv under /root). STUDIO_LOCAL_PYTHON chooses one.
    """
    for candidate in (settings.STUDIO_LOCAL_PYTHON, "/usr/bin/python3", shutil.which("python3")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return sys.executable


def venv_seed_cache() -> Path:
    """The machine-wide folder virtualenv keeps its seed wheels (pip, setuptools) unpacked in.

    STUDIO_VENV_SEED_CACHE, else the server user's cache folder (~/.cache/studio/virtualenv).
    Every new virtualenv copies pip from there (well under a second) instead of running
    ensurepip (seconds); nothing is fetched: the wheels are the ones virtualenv bundles.
    """
    chosen = settings.STUDIO_VENV_SEED_CACHE
    if chosen:
        return Path(chosen).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "studio" / "virtualenv"


def _create_venv_command(python: str, path: Path) -> list[str]:
    """virtualenv for `python` at `path`, seeded with pip from the cache (copied in, never linked:
    the step's user must read them and the cache may lie where it cannot go), offline."""
    return [
        sys.executable,
        "-m",
        "virtualenv",
        "--python",
        python,
        "--app-data",
        str(venv_seed_cache()),
        "--seeder",
        "app-data",
        "--no-download",
        "--no-periodic-update",
        "--no-vcs-ignore",
        str(path),
    ]


def _python_version(python: str) -> str:
    result = subprocess.run(
        [python, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode != 0:
        raise ImageBuildError(f"{python} does not run: {result.stderr.strip()[:200]}")
    return result.stdout.strip()


def _build_venv(environment, path: Path, log: Callable[[str], None]) -> None:
    python = local_python()
    version = _python_version(python)
    facts = BaseImageFacts(python=version)
    requirements = environment_requirements(environment, facts=facts, where="this host")
    for note in requirements.notes:
        log(f"studio: {note}")
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(path.parent),
        "LANG": "C.UTF-8",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        **_proxy_buildargs(),
    }
    if settings.STUDIO_BUILD_CA_BUNDLE:
        env["PIP_CERT"] = env["REQUESTS_CA_BUNDLE"] = str(settings.STUDIO_BUILD_CA_BUNDLE)
    log(f"studio: creating the virtualenv {path} with Python {version}")
    _run_logged(_create_venv_command(python, path), env, log)
    if requirements.pip:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as file:
            file.write("".join(f"{line}\n" for line in requirements.pip))
        try:
            log(f"studio: pip install {' '.join(requirements.pip)}")
            _run_logged(
                [str(path / "bin" / "python"), "-m", "pip", "install", "--no-cache-dir", "-r", file.name],
                env,
                log,
            )
        finally:
            os.unlink(file.name)
    else:
        log("studio: no packages to install")


def ensure_environment_venv(environment, *, log: Callable[[str], None]) -> Path:
    """The environment's virtualenv for the local compute, created (once) if missing.

    With `user_managed_dependencies` and an absolute interpreter_path, that interpreter's prefix
    is returned instead (nothing is built); otherwise a user-managed environment gets an empty
    virtualenv.
    """
    spec = environment.spec or {}
    interpreter = spec.get("interpreter_path") or ""
    if spec.get("user_managed_dependencies") and os.path.isabs(interpreter):
        return Path(interpreter).parent.parent
    path = environment_venv_path(environment)

    def present() -> bool:
        return (path / "bin" / "python").exists()

    # Environments are immutable and their virtualenv's path is their content hash: once this
    # process saw it ready, its presence on disk is all a later step needs to check.
    if str(path) in _venvs_seen_ready and present():
        return path

    def build(build_log: Callable[[str], None]) -> None:
        if spec.get("user_managed_dependencies"):
            build_log("studio: user_managed_dependencies: true: an empty virtualenv, nothing installed")
            _build_venv(_WithoutConda(environment), path, build_log)
        else:
            _build_venv(environment, path, build_log)

    build_once(
        environment, target=VENV_TARGET, tag=str(path), present=present, build=build, log=build_lines(log)
    )
    _venvs_seen_ready.add(str(path))
    return path


_venvs_seen_ready: set[str] = set()


@dataclass
class _WithoutConda:
    """An environment seen without its conda file (user-managed dependencies)."""

    environment: Any
    spec: dict = field(init=False)

    def __post_init__(self) -> None:
        self.spec = {**(self.environment.spec or {}), "conda": None}
