"""`--gpus auto`: which GPUs a compute has, asked of its engine or of `nvidia-smi`.

A docker compute's engine must have the NVIDIA runtime (`docker info` lists `nvidia`); a probe
container (the base image, every GPU requested, NVIDIA's `nvidia-smi` mounted in by that runtime)
then lists their indexes. A local compute runs `nvidia-smi` on this host. When neither can tell,
GpuDetectionError says why, and the ids can still be given by hand.
"""

from __future__ import annotations

import shutil
import subprocess

from django.conf import settings

from studio.choices import ComputeKind

QUERY = ["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"]
TIMEOUT_SECONDS = 60


class GpuDetectionError(Exception):
    """No GPUs could be found (no NVIDIA runtime, no nvidia-smi, or no GPU); the message says why."""


def parse_indexes(text: str) -> list[str]:
    """The device indexes of `nvidia-smi --query-gpu=index --format=csv,noheader` output."""
    ids = [line.strip() for line in text.splitlines() if line.strip()]
    if not ids or not all(item.isdigit() for item in ids):
        raise GpuDetectionError(f"nvidia-smi listed no GPU indexes: {text.strip()[:200]!r}")
    return ids


def detect_gpus(kind: str, engine_url: str = "") -> list[str]:
    """The GPU ids of a compute of this kind and engine, or GpuDetectionError."""
    if kind == ComputeKind.LOCAL:
        return _nvidia_smi_here()
    return _through_engine(engine_url or settings.STUDIO_DOCKER_URL or None)


def _nvidia_smi_here() -> list[str]:
    if shutil.which("nvidia-smi") is None:
        raise GpuDetectionError("nvidia-smi is not installed on this host (no NVIDIA driver found)")
    try:
        done = subprocess.run(QUERY, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GpuDetectionError(f"nvidia-smi did not answer: {error}") from error
    if done.returncode != 0:
        raise GpuDetectionError(f"nvidia-smi failed: {(done.stderr or done.stdout).strip()[:300]}")
    return parse_indexes(done.stdout)


def _through_engine(url: str | None) -> list[str]:
    from runner.executors.docker import DockerUnavailable, docker_client, engine_info

    where = url or "the default Docker engine"
    try:
        info = engine_info(url)
    except DockerUnavailable as error:
        raise GpuDetectionError(str(error)) from error
    if not info.get("gpus"):
        runtimes = ", ".join(info.get("runtimes") or []) or "none"
        raise GpuDetectionError(
            f"the engine at {where} has no NVIDIA runtime (its runtimes: {runtimes}); install the "
            "NVIDIA Container Toolkit there, or give the GPU ids by hand"
        )
    client = docker_client(url, timeout=TIMEOUT_SECONDS)
    try:
        output = client.containers.run(
            settings.STUDIO_BASE_IMAGE,
            QUERY,
            device_requests=[{"count": -1, "capabilities": [["gpu"]]}],
            environment={"NVIDIA_DRIVER_CAPABILITIES": "utility"},
            user=f"{settings.STUDIO_STEP_UID}:{settings.STUDIO_STEP_GID}",
            network_mode="none",
            labels={"studio.probe": "gpus"},
            remove=True,
        )
    except Exception as error:  # the engine's own words: no such image, a driver error...
        raise GpuDetectionError(f"the GPU probe on {where} failed: {str(error)[:300]}") from error
    finally:
        client.close()
    return parse_indexes(output.decode(errors="replace") if isinstance(output, bytes) else str(output))
