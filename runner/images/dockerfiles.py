"""Dockerfiles: the image tag and the generated Dockerfile of an environment."""

from __future__ import annotations

import os
import re
import shlex
from typing import Any

from django.conf import settings

from runner.images.errors import ImageBuildError
from runner.images.requirements import BaseImageFacts, environment_requirements
from studio.images import image_reference_problem, map_image

VENV_PATH = "/opt/studio/venv"
BUILD_CA_PATH = "/usr/local/share/ca-certificates/studio-build-ca.crt"
BUILD_CA_NAME = "studio-build-ca.crt"
REQUIREMENTS_NAME = "studio-requirements.txt"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def step_uid_gid() -> str:
    """`uid:gid` of steps (STUDIO_STEP_UID, STUDIO_STEP_GID): the images' default user and owner of
    their virtualenv."""
    return f"{settings.STUDIO_STEP_UID}:{settings.STUDIO_STEP_GID}"


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
    problem = image_reference_problem(base)
    if problem:  # a mapped or stored image that slipped past the schema must not write the Dockerfile
        raise ImageBuildError(f"cannot build FROM it: {problem}")
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
            owner = step_uid_gid()
            lines.append(f"RUN python3 -m venv {VENV_PATH} && chown -R {owner} /opt/studio")
            lines.append(f"COPY --chown={owner} {REQUIREMENTS_NAME} /opt/studio/requirements.txt")
            lines.append(f"USER {owner}")
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
    lines.append(f"USER {step_uid_gid()}")
    return "\n".join(lines) + "\n", notes


def requirements_text(environment, *, facts: BaseImageFacts | None = None) -> str:
    """The pip requirements file of the environment (what pip installs), one per line."""
    return "".join(f"{line}\n" for line in environment_requirements(environment, facts=facts).pip)
