"""Building environments once: a Docker image per engine, or a virtualenv for the local compute.

An environment's image is tagged by its content hash and reused by every step of every job. A
build happens once even when ten steps ask at the same moment: the `EnvironmentImage` row of
(environment, target) is claimed with a conditional create/update, the winner builds, and the
others poll the row until it is ready or failed. The builder renews its claim on the row every few
seconds (`runner.heartbeat`); when it stops for STUDIO_HEARTBEAT_TIMEOUT_SECONDS (its worker was
killed mid-build) a waiter takes the build over, so no step waits on a dead build. Images are
built with the engine's classic builder and never pulled (registries are not reachable): base
images must exist locally.

Conda files (PRODUCT.md section 4): the `pip:` list is installed with pip. When the base image has
conda or micromamba, `python=X` and the other conda packages are installed with it; otherwise the
base image's Python is used, the other conda packages are installed with pip under the same name,
and the build log says so (with a warning when the requested Python version differs). Packages go
into a virtualenv at /opt/studio/venv, first on PATH: Debian's system pip refuses installs.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from runner.choices import ImageStatus
from runner.executors.docker import DockerUnavailable, docker_client, image_exists, run_once
from runner.heartbeat import WORKER_ID, KeepAlive, heartbeat_timeout
from runner.logs import line_source
from runner.models import EnvironmentImage
from studio.images import map_image

VENV_PATH = "/opt/studio/venv"
BUILD_CA_PATH = "/usr/local/share/ca-certificates/studio-build-ca.crt"
BUILD_CA_NAME = "studio-build-ca.crt"
REQUIREMENTS_NAME = "studio-requirements.txt"
STEP_UID_GID = "1000:1000"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
VENV_TARGET = "venv"

POLL_SECONDS = 0.5
WAIT_TIMEOUT_SECONDS = 3 * 3600
# The builder writes a "still building" line after this much silence, so progress is visible.
HEARTBEAT_SECONDS = 60.0
LOG_FLUSH_SECONDS = 1.0
MAX_STORED_LOG_CHARS = 1_000_000

WAITING_LINE = "waiting for the build started by another step"
LOCKED_RETRY_SECONDS = 30.0
logger = logging.getLogger(__name__)
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONDA_NAME = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.\-]*)(\[[^\]]*\])?\s*(.*)$")


class EngineUnreachable(Exception):
    """Raised when the Docker engine an image is needed on does not answer (worth retrying)."""


class ImageBuildError(Exception):
    """An environment's image or virtualenv could not be built (or the build we waited for failed).

    The message is the build's error, meant for the step's status reason and the build log.
    """


# --- What to install -----------------------------------------------------------------------


@dataclass(frozen=True)
class BaseImageFacts:
    """What a probe of the base image found: its Python version and conda tool, if any."""

    python: str | None = None  # "3.11.2"
    conda_tool: str | None = None  # path of micromamba or conda
    conda_prefix: str | None = None  # the root prefix whose bin/ holds conda's python


@dataclass(frozen=True)
class Requirements:
    """An environment's packages, split by the tool that installs them, and notes for the log."""

    pip: tuple[str, ...] = ()
    conda: tuple[str, ...] = ()  # for conda/micromamba (python pin included); empty without one
    channels: tuple[str, ...] = ()
    python: str | None = None  # the requested Python version spec, e.g. "3.10"
    notes: tuple[str, ...] = ()


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def _python_satisfies(requested: str, actual: str) -> bool:
    """Whether Python `actual` ("3.11.2") meets a pip-style spec ("==3.10.*", ">=3.9,<3.12").

    `==X.Y` is read as a prefix (any X.Y.z), as a conda pin of Python means.
    """
    have = _version_tuple(actual)
    for clause in (part.strip() for part in requested.split(",")):
        match = re.fullmatch(r"(===|==|!=|~=|>=|<=|>|<)?\s*([0-9][0-9.]*?)(\.\*)?", clause)
        if match is None:
            continue
        operator = match.group(1) or "=="
        want = _version_tuple(match.group(2))
        if not want:
            continue
        if operator in ("==", "===", "!="):
            if (operator == "!=") == (have[: len(want)] == want):
                return False
        elif operator == "~=":
            keep = max(len(want) - 1, 1)
            if have < want or have[:keep] != want[:keep]:
                return False
        else:
            padded = (have + (0,) * len(want))[: len(want)]
            checks = {">=": padded >= want, ">": padded > want, "<=": padded <= want, "<": padded < want}
            if not checks[operator]:
                return False
    return True


def conda_to_pip(dependency: str) -> tuple[str, str] | None:
    """A conda match spec as (name, pip requirement); None when it cannot be read.

    `numpy=1.26` -> `numpy==1.26.*` (conda's `=` is a prefix match), `numpy==1.26.4` stays exact,
    `numpy 1.26.*` -> `numpy==1.26.*`, ranges such as `>=1.2,<2` are kept, a build string
    (`numpy=1.26=py311_0`) and a channel (`conda-forge::numpy`) are dropped.
    """
    text = dependency.strip()
    if "::" in text:
        text = text.split("::", 1)[1]
    match = _CONDA_NAME.match(text)
    if match is None:
        return None
    name, extras, rest = match.group(1), match.group(2) or "", match.group(3).strip()
    if not rest:
        return name, name + extras
    if " " in rest and not re.match(r"^[<>=!~]", rest):
        rest = rest.split()[0]  # "numpy 1.26 py311_0": version, then build string
    rest = rest.replace(" ", "")
    if "|" in rest:
        return None
    if rest.startswith("=") and not rest.startswith("=="):
        rest = rest[1:].split("=", 1)[0]  # "=1.26=build" -> "1.26"
        return name, f"{name}{extras}=={rest.removesuffix('*').removesuffix('.')}.*"
    if rest.startswith("=="):
        version = rest[2:].split("=", 1)[0]
        return name, f"{name}{extras}=={version}"
    if rest[0] in "<>!~":
        return name, f"{name}{extras}{rest}"
    version = rest.split("=", 1)[0]
    return name, f"{name}{extras}=={version.removesuffix('*').removesuffix('.')}.*"


def environment_requirements(
    environment_or_spec: Any,
    *,
    facts: BaseImageFacts | None = None,
    where: str = "the base image",
) -> Requirements:
    """Turn the environment's conda spec into what pip (and conda, when the base has it) install.

    `facts` describes the target's Python and conda tool (None: not probed, so conda packages go to
    pip and the Python version cannot be checked). Used for Docker images and virtualenvs alike.
    """
    spec = getattr(environment_or_spec, "spec", environment_or_spec) or {}
    conda = spec.get("conda") or {}
    notes: list[str] = []
    if not conda:
        return Requirements()
    channels = tuple(conda.get("channels") or ())
    pip: list[str] = []
    conda_packages: list[str] = []
    python: str | None = None
    python_item = ""
    for item in conda.get("dependencies") or ():
        if isinstance(item, dict):
            pip.extend(str(requirement) for requirement in item.get("pip") or ())
            continue
        converted = conda_to_pip(str(item))
        name = converted[0].lower() if converted else str(item).split("::")[-1].split()[0].lower()
        if name == "python":
            python_item = str(item).strip()
            python = converted[1][len(converted[0]) :] if converted else None
            if facts and facts.conda_tool:
                conda_packages.append(str(item))
            continue
        if name == "pip":
            continue
        conda_packages.append(str(item))
    pip_from_conda: list[str] = []
    if conda_packages and not (facts and facts.conda_tool):
        for item in conda_packages:
            converted = conda_to_pip(item)
            if converted is None:
                notes.append(f"WARNING: cannot translate conda package {item!r} to pip; installing by name")
                bare = item.split("::")[-1].strip()
                pip_from_conda.append(re.split(r"[\s=<>!~|]", bare, maxsplit=1)[0])
            else:
                pip_from_conda.append(converted[1])
        if facts is None:
            reason = "detection of conda/micromamba was skipped"
        else:
            reason = f"{where} has no conda or micromamba"
        pairs = zip(conda_packages, pip_from_conda, strict=True)
        notes.append(
            f"{reason}: conda packages are installed with pip under the same name: "
            + ", ".join(f"{a} -> {b}" if a != b else a for a, b in pairs)
        )
        conda_packages = []
    if python and not (facts and facts.conda_tool):
        actual = facts.python if facts else None
        if actual is None:
            notes.append(
                f"the conda file asks for {python_item}; the Python of {where} is used "
                "(its version was not checked)"
            )
        elif not _python_satisfies(python, actual):
            notes.append(
                f"WARNING: the conda file asks for {python_item} but {where} has Python {actual}; "
                f"Python {actual} is used"
            )
        else:
            notes.append(f"the conda file asks for {python_item}; {where} has Python {actual}")
    if channels and conda_packages:
        notes.append(f"conda channels: {', '.join(channels)}")
    elif channels and not conda_packages:
        notes.append(f"conda channels {', '.join(channels)} are not used (nothing is installed with conda)")
    return Requirements(
        pip=tuple(pip_from_conda + pip),
        conda=tuple(conda_packages),
        channels=channels,
        python=python,
        notes=tuple(notes),
    )


# --- Dockerfiles ---------------------------------------------------------------------------


def environment_image_tag(environment) -> str:
    """`studio/env-<name>:<content hash[:24]>`, the tag every step of the environment runs."""
    name = re.sub(r"[^a-z0-9]+", "-", environment.name.lower()).strip("-")[:100] or "environment"
    return f"studio/env-{name}:{environment.content_hash[:24]}"


def context_image_tag(environment) -> str:
    """The tag of the image built from the environment's own Dockerfile (first stage)."""
    return f"{environment_image_tag(environment)}-context"


def has_own_dockerfile(environment) -> bool:
    """Whether the environment brings a Dockerfile (a build context, or v1 inline text)."""
    spec = environment.spec or {}
    return bool(spec.get("build")) or bool(spec.get("dockerfile"))


def base_image_for(environment) -> str:
    """What the environment's image is built FROM: its own Dockerfile's image, or its mapped image."""
    if has_own_dockerfile(environment):
        return context_image_tag(environment)
    image = (environment.spec or {}).get("image")
    return map_image(image) if image else settings.STUDIO_BASE_IMAGE


def _env_value(name: str, value: Any) -> str:
    if not _VARIABLE_NAME.fullmatch(name):
        raise ImageBuildError(f"environment variable name {name!r} is not valid")
    text = "" if value is None else str(value)
    if "\n" in text or "\r" in text:
        raise ImageBuildError(f"environment variable {name} contains a line break, which ENV cannot hold")
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'{name}="{escaped}"'


def _label_value(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def environment_variables(environment) -> dict[str, str]:
    """The variables a step of this environment gets: the conda file's, then the environment's."""
    spec = environment.spec or {}
    merged = {str(k): str(v) for k, v in ((spec.get("conda") or {}).get("variables") or {}).items()}
    merged.update({str(k): "" if v is None else str(v) for k, v in (spec.get("variables") or {}).items()})
    return merged


def _with_ca(command: str, ca_bundle: bool, tool: str | None = None) -> str:
    if not ca_bundle:
        return command
    prefix = f"PIP_CERT={BUILD_CA_PATH} REQUESTS_CA_BUNDLE={BUILD_CA_PATH} SSL_CERT_FILE={BUILD_CA_PATH}"
    if tool:
        prefix += f" CONDA_SSL_VERIFY={BUILD_CA_PATH} MAMBA_SSL_VERIFY={BUILD_CA_PATH}"
    return f"{prefix} {command}"


def generate_dockerfile(
    environment,
    *,
    base_image: str | None = None,
    ca_bundle: bool,
    facts: BaseImageFacts | None = None,
) -> tuple[str, list[str]]:
    """The Dockerfile that turns the base image into the environment's image, and notes for the log.

    `base_image` defaults to base_image_for(environment). With `ca_bundle` the build context must
    hold the bundle as `studio-build-ca.crt`; pip requirements are read from
    `studio-requirements.txt` in the context (see requirements_text).
    """
    spec = environment.spec or {}
    base = base_image or base_image_for(environment)
    notes: list[str] = []
    if has_own_dockerfile(environment):
        notes.append(f"the environment's own Dockerfile is built first, as {context_image_tag(environment)}")
    lines = [f"FROM {base}"]
    user_managed = bool(spec.get("user_managed_dependencies"))
    requirements = environment_requirements(environment, facts=facts)
    path_line: str | None = None
    if user_managed:
        notes.append("user_managed_dependencies: true: no virtualenv is made and nothing is installed")
    elif requirements.pip or requirements.conda:
        notes.extend(requirements.notes)
        lines.append("USER root")
        if ca_bundle:
            lines.append(f"COPY {BUILD_CA_NAME} {BUILD_CA_PATH}")
            notes.append("the build trusts the extra CA bundle (STUDIO_BUILD_CA_BUNDLE) for pip")
        tool = facts.conda_tool if facts else None
        if requirements.conda and tool:
            channels = " ".join(f"-c {shlex.quote(channel)}" for channel in requirements.channels)
            packages = " ".join(shlex.quote(package) for package in requirements.conda)
            install = f"{tool} install -y -n base {channels} {packages}".replace("  ", " ")
            lines.append(f"RUN {_with_ca(install, ca_bundle, tool)} && ({tool} clean -a -y || true)")
            notes.append(
                f"conda packages are installed with {os.path.basename(tool)}: {', '.join(requirements.conda)}"
            )
            if requirements.pip:
                lines.append(f"COPY {REQUIREMENTS_NAME} /opt/studio/requirements.txt")
                pip = (
                    f"{tool} run -n base python -m pip install --no-cache-dir --disable-pip-version-check "
                    "--no-input -r /opt/studio/requirements.txt"
                )
                lines.append(f"RUN {_with_ca(pip, ca_bundle)}")
            prefix = facts.conda_prefix if facts and facts.conda_prefix else "/opt/conda"
            path_line = f"ENV PATH={prefix}/bin:${{PATH:-{DEFAULT_PATH}}}"
        else:
            lines.append(f"RUN python3 -m venv {VENV_PATH} && chown -R {STEP_UID_GID} /opt/studio")
            lines.append(f"COPY --chown={STEP_UID_GID} {REQUIREMENTS_NAME} /opt/studio/requirements.txt")
            lines.append(f"USER {STEP_UID_GID}")
            pip = (
                f"{VENV_PATH}/bin/python -m pip install --no-cache-dir --disable-pip-version-check "
                "--no-input -r /opt/studio/requirements.txt"
            )
            lines.append(f"RUN {_with_ca(pip, ca_bundle)}")
            path_line = f"ENV PATH={VENV_PATH}/bin:${{PATH:-{DEFAULT_PATH}}} VIRTUAL_ENV={VENV_PATH}"
            notes.append(f"pip installs into the virtualenv {VENV_PATH}: {', '.join(requirements.pip)}")
    else:
        notes.append("no packages to install")
    if path_line:
        lines.append(path_line)
    variables = environment_variables(environment)
    if variables:
        lines.append("ENV " + " ".join(_env_value(name, value) for name, value in variables.items()))
    lines.append(
        f"LABEL studio.environment={_label_value(f'{environment.name}:{environment.version}')} "
        f"studio.environment.hash={_label_value(environment.content_hash)}"
    )
    lines.append(f"USER {STEP_UID_GID}")
    return "\n".join(lines) + "\n", notes


def requirements_text(environment, *, facts: BaseImageFacts | None = None) -> str:
    """The pip requirements file of the environment (what pip installs), one per line."""
    return "".join(f"{line}\n" for line in environment_requirements(environment, facts=facts).pip)


# --- Probing and building with the engine ----------------------------------------------------

_PROBE_SCRIPT = r"""
for tool in micromamba conda; do
  found=$(command -v "$tool" 2>/dev/null) && echo "TOOL $found" && break
done
echo "MAMBA_ROOT_PREFIX ${MAMBA_ROOT_PREFIX:-}"
echo "CONDA_PREFIX ${CONDA_PREFIX:-}"
(python3 -c 'import sys; print("PYTHON %d.%d.%d" % sys.version_info[:3])' 2>/dev/null \
  || python -c 'import sys; print("PYTHON %d.%d.%d" % sys.version_info[:3])' 2>/dev/null) || true
"""


def probe_base_image(image: str, *, base_url: str | None = None) -> BaseImageFacts:
    """Run `command -v micromamba conda` and python3 in a throwaway container of the image."""
    code, output = run_once(image, ["sh", "-c", _PROBE_SCRIPT], base_url=base_url, timeout=60)
    found: dict[str, str] = {}
    for line in output.splitlines():
        key, _, value = line.partition(" ")
        if value.strip():
            found.setdefault(key, value.strip())
    tool = found.get("TOOL")
    prefix = None
    if tool:
        if tool.endswith("micromamba"):
            prefix = found.get("MAMBA_ROOT_PREFIX") or "/opt/conda"
        else:
            prefix = found.get("CONDA_PREFIX") or str(Path(tool).parent.parent)
    return BaseImageFacts(python=found.get("PYTHON"), conda_tool=tool, conda_prefix=prefix)


def _needs_probe(environment) -> bool:
    spec = environment.spec or {}
    if spec.get("user_managed_dependencies") or not spec.get("conda"):
        return False
    return any(not isinstance(item, dict) for item in spec["conda"].get("dependencies") or ())


def _missing_base_message(image: str) -> str:
    return (
        f"base image {image} is not on the engine; run `studio image bootstrap` "
        "or map it with STUDIO_IMAGE_MAP"
    )


def _dockerfile_images(text: str) -> tuple[str, list[str]]:
    """The Dockerfile with STUDIO_IMAGE_MAP applied to its FROM images, and those images."""
    stages: set[str] = set()
    images: list[str] = []
    out: list[str] = []
    for line in text.splitlines():
        match = re.match(r"^(\s*FROM\s+)((?:--\S+\s+)*)(\S+)(.*)$", line, re.IGNORECASE)
        if match is None:
            out.append(line)
            continue
        head, flags, image, rest = match.groups()
        alias = re.match(r"\s+AS\s+(\S+)", rest, re.IGNORECASE)
        if image.lower() not in stages and image != "scratch" and "$" not in image:
            image = map_image(image)
            images.append(image)
        if alias:
            stages.add(alias.group(1).lower())
        out.append(f"{head}{flags}{image}{rest}")
    return "\n".join(out) + "\n", images


def _proxy_buildargs() -> dict[str, str]:
    return {name: os.environ[name] for name in _PROXY_VARIABLES if os.environ.get(name)}


class _BuildLog:
    """Passes build output to the caller's `log` and into the row's `log` field (flushed ~1/s).

    A heartbeat line after each HEARTBEAT_SECONDS of silence shows waiters the build is alive.
    """

    def __init__(self, row_pk: int, log: Callable[[str], None]) -> None:
        self.row_pk = row_pk
        self.log = log
        self.lines: list[str] = []
        self.size = 0
        self.lock = threading.Lock()
        self.last_flush = 0.0
        self.last_line = time.monotonic()
        self.started = time.monotonic()
        self.dirty = False
        self.done = threading.Event()
        self.heartbeat = threading.Thread(target=self._beat, name="studio-build-heartbeat", daemon=True)
        self.heartbeat.start()

    def __call__(self, line: str) -> None:
        with self.lock:
            self.lines.append(line)
            self.size += len(line) + 1
            while self.size > MAX_STORED_LOG_CHARS and len(self.lines) > 1:
                self.size -= len(self.lines.pop(0)) + 1
            self.dirty = True
            self.last_line = time.monotonic()
            self.log(line)
        if time.monotonic() - self.last_flush >= LOG_FLUSH_SECONDS:
            self.flush()

    @property
    def text(self) -> str:
        with self.lock:
            return "\n".join(self.lines) + ("\n" if self.lines else "")

    def flush(self) -> None:
        with self.lock:
            if not self.dirty:
                return
            self.dirty = False
            self.last_flush = time.monotonic()
        try:
            _db(EnvironmentImage.objects.filter(pk=self.row_pk).update, log=self.text)
        except Exception:  # the log copy in the row is a convenience; never fail the build for it
            logger.warning("cannot store the build log of image row %s", self.row_pk, exc_info=True)

    def _beat(self) -> None:
        try:
            while not self.done.wait(5):
                if time.monotonic() - self.last_line >= HEARTBEAT_SECONDS:
                    self(f"... still building ({time.monotonic() - self.started:.0f} s)")
                    self.flush()
        finally:
            connection.close()

    def close(self) -> None:
        self.done.set()
        self.heartbeat.join(timeout=10)


def _stream_build(api, log: Callable[[str], None], **kwargs) -> None:
    """Run one classic-builder build, passing its output lines to `log`; ImageBuildError on error."""
    pending = ""
    error = None
    for item in api.build(rm=True, forcerm=True, decode=True, pull=False, **kwargs):
        if "stream" in item:
            pending += item["stream"]
            *lines, pending = pending.split("\n")
            for line in lines:
                if line.strip():
                    log(line.rstrip("\r"))
        elif "error" in item:
            error = (item.get("errorDetail") or {}).get("message") or item["error"]
        elif "status" in item:
            log(str(item["status"]))
    if pending.strip():
        log(pending.rstrip())
    if error:
        raise ImageBuildError(error.strip())


def _tar_context(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o644
            info.mtime = 0
            archive.addfile(info, io.BytesIO(content))
    buffer.seek(0)
    return buffer


def _build_image(environment, tag: str, *, base_url: str | None, log: Callable[[str], None]) -> None:
    """Build the environment's image (and first its own Dockerfile, when it has one)."""
    try:
        client = docker_client(base_url, timeout=600)
    except DockerUnavailable as exc:
        raise EngineUnreachable(str(exc)) from exc
    try:
        api = client.api
        buildargs = _proxy_buildargs()
        if has_own_dockerfile(environment):
            _build_context_stage(environment, api, base_url=base_url, log=log, buildargs=buildargs)
        base = base_image_for(environment)
        if not image_exists(base, base_url=base_url):
            raise ImageBuildError(_missing_base_message(base))
        facts = None
        if _needs_probe(environment):
            log(f"studio: probing {base} for conda/micromamba and its Python version")
            facts = probe_base_image(base, base_url=base_url)
        ca_path = settings.STUDIO_BUILD_CA_BUNDLE or ""
        dockerfile, notes = generate_dockerfile(
            environment, base_image=base, ca_bundle=bool(ca_path), facts=facts
        )
        for note in notes:
            log(f"studio: {note}")
        files = {"Dockerfile": dockerfile.encode()}
        files[REQUIREMENTS_NAME] = requirements_text(environment, facts=facts).encode()
        if ca_path:
            files[BUILD_CA_NAME] = Path(ca_path).read_bytes()
        log(f"studio: building {tag} from {base}")
        _stream_build(
            api,
            log,
            fileobj=_tar_context(files),
            custom_context=True,
            tag=tag,
            buildargs=buildargs,
            labels={"studio.purpose": "environment"},
        )
        if not image_exists(tag, base_url=base_url):
            raise ImageBuildError(f"the build finished but {tag} is not on the engine")
    except ImageBuildError:
        raise
    except Exception as exc:  # SDK and API errors: the build failed, say why
        explanation = getattr(exc, "explanation", None) or str(exc)
        raise ImageBuildError(f"building {tag} failed: {explanation}") from exc
    finally:
        client.close()


def _build_context_stage(environment, api, *, base_url, log, buildargs) -> None:
    """Build the environment's own Dockerfile (build context or v1 inline text) as <tag>-context."""
    from studio.storage.reading import copy_snapshot_to

    spec = environment.spec or {}
    tag = context_image_tag(environment)
    with tempfile.TemporaryDirectory(prefix="studio-build-") as scratch:
        context = Path(scratch) / "context"
        if spec.get("build"):
            copy_snapshot_to(spec["build"]["context"], context)
            dockerfile_name = spec["build"].get("dockerfile_path") or "Dockerfile"
        else:
            context.mkdir()
            dockerfile_name = "Dockerfile"
            (context / dockerfile_name).write_text(spec["dockerfile"])
        dockerfile = (context / dockerfile_name).resolve()
        if not dockerfile.is_relative_to(context.resolve()) or not dockerfile.is_file():
            raise ImageBuildError(f"the build context has no Dockerfile at {dockerfile_name}")
        text, images = _dockerfile_images(dockerfile.read_text(errors="replace"))
        dockerfile.write_text(text)
        for image in images:
            if not image_exists(image, base_url=base_url):
                raise ImageBuildError(_missing_base_message(image))
        log(f"studio: building the environment's Dockerfile ({dockerfile_name}) as {tag}")
        _stream_build(
            api,
            log,
            path=str(context),
            dockerfile=dockerfile_name,
            tag=tag,
            buildargs=buildargs,
            labels={"studio.purpose": "environment"},
        )


# --- Building once ---------------------------------------------------------------------------


def _db(function: Callable, *args, **kwargs):
    """Call `function`, retrying while SQLite says the database (or a table) is locked.

    A busy timeout covers most of that, but not SQLITE_LOCKED (shared-cache databases, as in
    tests); PostgreSQL never raises it.
    """
    delay = 0.02
    deadline = time.monotonic() + LOCKED_RETRY_SECONDS
    while True:
        try:
            return function(*args, **kwargs)
        except OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def _claim(environment, target: str, tag: str) -> tuple[str, EnvironmentImage]:
    """("won", row) when this caller must build, else ("busy"/"done", row) as the row stands."""
    row = EnvironmentImage.objects.filter(environment=environment, target=target).first()
    if row is None:
        try:
            with transaction.atomic():
                now = timezone.now()
                row = EnvironmentImage.objects.create(
                    environment=environment,
                    target=target,
                    tag=tag,
                    status=ImageStatus.BUILDING,
                    started_at=now,
                    builder=WORKER_ID,
                    heartbeat_at=now,
                )
            return "won", row
        except IntegrityError:
            row = EnvironmentImage.objects.get(environment=environment, target=target)
    if row.status == ImageStatus.BUILDING:
        return "busy", row
    return "done", row


def _take_over(row: EnvironmentImage, tag: str) -> bool:
    """Conditionally restart the row's build (ready-but-vanished, failed or lost); True if won."""
    now = timezone.now()
    moved = EnvironmentImage.objects.filter(
        pk=row.pk, status=row.status, started_at=row.started_at, heartbeat_at=row.heartbeat_at
    ).update(
        status=ImageStatus.BUILDING,
        started_at=now,
        builder=WORKER_ID,
        heartbeat_at=now,
        finished_at=None,
        error="",
        log="",
        tag=tag,
    )
    if moved:
        row.refresh_from_db()
    return bool(moved)


def _build_lost(row: EnvironmentImage) -> bool:
    """Whether a `building` row's builder has stopped renewing its claim (its worker died)."""
    last_sign = row.heartbeat_at or row.started_at
    return timezone.now() - last_sign > heartbeat_timeout()


def _renew(row: EnvironmentImage) -> None:
    EnvironmentImage.objects.filter(
        pk=row.pk, status=ImageStatus.BUILDING, started_at=row.started_at, builder=WORKER_ID
    ).update(heartbeat_at=timezone.now())


def _run_build(row: EnvironmentImage, log: Callable[[str], None], build: Callable[[Callable], None]) -> None:
    _db(EnvironmentImage.objects.filter(pk=row.pk).update, builds=F("builds") + 1)
    build_log = _BuildLog(row.pk, log)
    try:
        with KeepAlive(partial(_renew, row), name=f"build-heartbeat-{row.pk}"):
            build(build_log)
    except BaseException as exc:
        build_log.close()
        error = str(exc) if isinstance(exc, ImageBuildError) else f"{type(exc).__name__}: {exc}"
        _db(
            EnvironmentImage.objects.filter(pk=row.pk).update,
            status=ImageStatus.FAILED,
            error=error,
            log=build_log.text,
            finished_at=timezone.now(),
        )
        if isinstance(exc, Exception) and not isinstance(exc, ImageBuildError):
            raise ImageBuildError(error) from exc
        raise
    build_log.close()
    _db(
        EnvironmentImage.objects.filter(pk=row.pk).update,
        status=ImageStatus.READY,
        error="",
        log=build_log.text,
        finished_at=timezone.now(),
    )


def new_lines(previous: str, current: str) -> list[str]:
    """The lines of a build log `current` that were not in `previous`, an earlier copy of it.

    The stored log only grows, except that it loses lines at its start once it is over
    MAX_STORED_LOG_CHARS and starts empty when the build restarts: `current` is then the end of
    `previous` plus new lines, or something new altogether (all of it is new).
    """
    if current.startswith(previous):
        return _lines(current[len(previous) :])
    # The longest start of `current` that `previous` ends with (fewest lines taken for new).
    anchor = previous[-max(1, min(4096, len(previous) // 2)) :] if previous else ""
    overlap = 0
    start = current.find(anchor) if anchor else -1
    for _ in range(1000):
        if start < 0:
            break
        end = start + len(anchor)
        if previous.endswith(current[:end]):
            overlap = end
        start = current.find(anchor, start + 1)
    return _lines(current[overlap:])


def _lines(text: str) -> list[str]:
    """The lines of a stored build log (`\n` ends each; a `\r` inside a line stays in it)."""
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _pass_on(log: Callable[[str], None], shown: str, current: str) -> str:
    """Give a waiter's `log` the builder's lines it has not had yet; returns what it has now."""
    if current != shown:
        for line in new_lines(shown, current):
            log(line)
    return current


def build_once(
    environment,
    *,
    target: str,
    tag: str,
    present: Callable[[], bool],
    build: Callable[[Callable[[str], None]], None],
    log: Callable[[str], None],
    wait_timeout: float = WAIT_TIMEOUT_SECONDS,
) -> None:
    """Make sure (environment, target) is built, building it here only if no one else is.

    `present()` says whether the result exists; `build(log)` makes it or raises. Waiters poll the
    row every POLL_SECONDS, pass the builder's new log lines on to their own `log` (after
    WAITING_LINE), and raise ImageBuildError with the builder's error when it fails.
    """
    deadline = time.monotonic() + wait_timeout
    announced = False
    shown = ""  # the builder's log as far as this waiter passed it on
    while True:
        state, row = _db(_claim, environment, target, tag)
        if state == "won":
            _run_build(row, log, build)
            return
        if state == "done":
            if row.status == ImageStatus.READY and present():
                return
            # Failed earlier, or ready but the result vanished: build again.
            if _db(_take_over, row, tag):
                _run_build(row, log, build)
                return
            continue
        if not announced:
            log(WAITING_LINE)
            announced = True
        shown = _pass_on(log, shown, row.log)
        while True:
            if time.monotonic() > deadline:
                raise ImageBuildError(
                    f"gave up after {wait_timeout:.0f} s waiting for the build of {tag} "
                    "started by another step"
                )
            time.sleep(POLL_SECONDS)
            row = _db(EnvironmentImage.objects.filter(pk=row.pk).first)
            if row is None:
                break  # the row was deleted: claim again
            shown = _pass_on(log, shown, row.log)
            if row.status == ImageStatus.READY:
                if present():
                    return
                break  # ready, but vanished since: claim again (and rebuild)
            if row.status == ImageStatus.FAILED:
                raise ImageBuildError(row.error or f"the build of {tag} failed")
            if _build_lost(row):
                log(
                    f"the build of {tag} by {row.builder or 'another worker'} stopped "
                    f"(no heartbeat since {(row.heartbeat_at or row.started_at):%Y-%m-%d %H:%M:%S}); "
                    "building it here"
                )
                if _db(_take_over, row, tag):
                    _run_build(row, log, build)
                    return
                break


def build_lines(log: Callable[[str], None]) -> Callable[[str], None]:
    """`log`, writing each line as an environment build's: a step log (`runner.logs.StepLog`)
    marks it `"source": "build"`, so its live `log` event shows the step panel where it came from."""

    def write(line: str) -> None:
        with line_source("build"):
            log(line)

    return write


def ensure_environment_image(environment, *, base_url: str | None, log: Callable[[str], None]) -> str:
    """The environment's image tag on the engine at `base_url`, built first if it is missing."""
    tag = environment_image_tag(environment)

    def present() -> bool:
        try:
            return image_exists(tag, base_url=base_url)
        except DockerUnavailable as exc:
            raise EngineUnreachable(str(exc)) from exc

    if present():
        return tag
    build_once(
        environment,
        target=base_url or "",
        tag=tag,
        present=present,
        build=lambda build_log: _build_image(environment, tag, base_url=base_url, log=build_log),
        log=build_lines(log),
    )
    return tag


# --- Virtualenvs for the local compute --------------------------------------------------------


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
    _run_logged([python, "-m", "venv", str(path)], env, log)
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
