"""Probing and building with the engine: what a base image has, and one build on the Docker engine."""

from __future__ import annotations

import io
import os
import re
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from runner.executors.docker import DockerUnavailable, docker_client, image_exists, run_once
from runner.images.dockerfiles import (
    BUILD_CA_NAME,
    REQUIREMENTS_NAME,
    base_image_for,
    context_image_tag,
    generate_dockerfile,
    has_own_dockerfile,
    requirements_text,
)
from runner.images.errors import EngineUnreachable, ImageBuildError
from runner.images.requirements import BaseImageFacts
from studio.images import map_image

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
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


def build_limits() -> dict[str, int | str]:
    """The resource limits of every container a build runs (its RUN steps): memory (no swap on top)
    STUDIO_BUILD_MEMORY_MB, CPU shares STUDIO_BUILD_CPU_SHARES, and the CPUs STUDIO_BUILD_CPUSET."""
    memory = settings.STUDIO_BUILD_MEMORY_MB * 1024**2
    limits: dict[str, int | str] = {
        "memory": memory,
        "memswap": memory,
        "cpushares": settings.STUDIO_BUILD_CPU_SHARES,
    }
    if settings.STUDIO_BUILD_CPUSET:
        limits["cpusetcpus"] = settings.STUDIO_BUILD_CPUSET
    return limits


def _stream_build(api, log: Callable[[str], None], **kwargs) -> None:
    """Run one classic-builder build, passing its output lines to `log`; ImageBuildError on error."""
    pending = ""
    error = None
    limits = build_limits()
    for item in api.build(rm=True, forcerm=True, decode=True, pull=False, container_limits=limits, **kwargs):
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
