"""Thin wrapper around the Docker SDK: the only module in Studio that imports it."""

from __future__ import annotations

import http.client
from typing import Any

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.utils import parse_repository_tag

from runner.executors.engine_access import client_options
from studio.encryption import DecryptionFailed
from studio.errors import StudioError

# Every throwaway container gets these; callers cannot loosen them.
PROBE_SECURITY: dict[str, Any] = {
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges"],
    "pids_limit": 256,
    "mem_limit": "1g",
    "network_disabled": True,
}
PROBE_LABELS: dict[str, str] = {"studio.purpose": "probe"}
# Same convention as coreutils `timeout`, so callers can tell a hang from a crash.
TIMEOUT_EXIT_CODE = 124


class DockerUnavailable(StudioError):
    """Raised when no Docker engine answers at the given URL (503)."""

    status = 503


def docker_client(
    base_url: str | None = None, *, timeout: int | None = 60, max_pool_size: int | None = None
) -> docker.DockerClient:
    """Return a client for the engine at base_url (None: DOCKER_HOST or the local socket).

    `timeout` is the HTTP read timeout in seconds (None: wait forever, for log streams);
    `max_pool_size` raises the SDK's connection pool (10) for clients shared by many threads.
    """
    where = base_url or "the default Docker endpoint (DOCKER_HOST or /var/run/docker.sock)"
    extra: dict[str, Any] = {} if max_pool_size is None else {"max_pool_size": max_pool_size}
    try:
        # The SDK negotiates the API version on construction, so a dead engine fails here.
        if base_url is None:
            return docker.from_env(timeout=timeout, **extra)
        # tcp:// with its compute's TLS client material; ssh:// through the ssh binary.
        extra.update(client_options(base_url))
        return docker.DockerClient(base_url=base_url, timeout=timeout, **extra)
    except (DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise DockerUnavailable(f"No Docker engine answers at {where}: {engine_failure(exc)}") from exc
    except DecryptionFailed as exc:
        raise DockerUnavailable(f"Cannot connect to {where}: its TLS client material: {exc}") from exc


def _causes(error: BaseException) -> list[BaseException]:
    """The error, what caused it, and the errors wrapped in its arguments (urllib3 nests them)."""
    seen: list[BaseException] = []
    pending = [error]
    while pending and len(seen) < 32:
        current = pending.pop()
        if current in seen:
            continue
        seen.append(current)
        pending.extend(item for item in current.args if isinstance(item, BaseException))
        for nested in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(nested, BaseException):
                pending.append(nested)
    return seen


def engine_failure(error: BaseException) -> str:
    """Why an engine URL gave no Docker engine, never quoting what the address answered.

    An engine URL may point at any service (an admin page, a metadata server, a database): its
    answer's body or first line would otherwise land in the compute's state for anyone to read.
    """
    causes = _causes(error)
    for cause in causes:
        response = getattr(cause, "response", None)
        code = getattr(response, "status_code", None)
        if isinstance(code, int):
            return f"the address answered, but not as a Docker engine (HTTP {code})"
    for cause in causes:
        if isinstance(cause, ValueError) and type(cause).__name__ == "JSONDecodeError":
            return "the address answered, but not as a Docker engine (its HTTP answer is not Docker's JSON)"
        if isinstance(cause, http.client.HTTPException):
            return "the address answered, but not as a Docker engine (not an HTTP answer)"
        if type(cause).__module__.startswith("paramiko") and "banner" in str(cause).lower():
            return "the address answered, but not as an SSH server"
    return f"{error}. Is dockerd running and is its socket readable by this user?"


def engine_answers(base_url: str | None = None, *, timeout: float = 3) -> bool:
    """Return True when a Docker engine answers a ping at base_url; never raises."""
    try:
        client = docker_client(base_url, timeout=max(1, int(round(timeout))))
    except DockerUnavailable:
        return False
    try:
        return bool(client.ping())
    except Exception:  # any failure means "no usable engine", which is the answer
        return False
    finally:
        client.close()


def engine_info(base_url: str | None = None, *, timeout: int = 10) -> dict[str, Any]:
    """Return the engine's version, API version, CPU count, memory and GPU runtime availability."""
    client = docker_client(base_url, timeout=timeout)
    where = base_url or "the default Docker endpoint"
    try:
        try:
            info = client.info()
            runtimes = info.get("Runtimes") or {}
            return {
                "id": _short(info.get("ID"), 100),  # the engine's identity: GPU leases (runner.gpu_leases)
                "server_version": _short(info.get("ServerVersion"), 40),
                "api_version": _short(client.api.api_version, 16),
                "ncpu": int(info.get("NCPU") or 0),
                "mem_total": int(info.get("MemTotal") or 0),
                "gpus": "nvidia" in runtimes,
                "runtimes": sorted(_short(name, 40) for name in runtimes)[:16],
                "os": _short(info.get("OperatingSystem"), 100),
            }
        except (DockerException, requests.exceptions.RequestException, OSError) as exc:
            raise DockerUnavailable(f"No Docker engine answers at {where}: {engine_failure(exc)}") from exc
        except (AttributeError, TypeError, ValueError) as exc:
            raise DockerUnavailable(
                f"No Docker engine answers at {where}: the address answered, but not as a Docker engine"
            ) from exc
    finally:
        client.close()


def _short(value: Any, limit: int) -> str:
    """A field of an engine's answer as short text (an impostor's answer is not copied at length)."""
    return str(value or "")[:limit]


def image_exists(tag: str, *, base_url: str | None = None) -> bool:
    """Return True when the engine has an image with this tag or id locally."""
    client = docker_client(base_url)
    try:
        client.images.get(tag)
        return True
    except ImageNotFound:
        return False
    finally:
        client.close()


def inspect_image(tag: str, *, base_url: str | None = None) -> dict[str, Any]:
    """Return the engine's inspect data for a local image; LookupError when it is absent."""
    client = docker_client(base_url)
    try:
        return client.api.inspect_image(tag)
    except ImageNotFound as exc:
        raise LookupError(f"image {tag!r} not found on the Docker engine") from exc
    finally:
        client.close()


def import_rootfs(tar_path: str, tag: str, *, changes: list[str], base_url: str | None = None) -> str:
    """Import a root filesystem tarball as image tag with Dockerfile-style changes; return its id."""
    repository, image_tag = parse_repository_tag(tag)
    # Large tarballs stream for a while; the SDK already uses no timeout for file uploads.
    client = docker_client(base_url, timeout=600)
    try:
        client.api.import_image(
            src=tar_path, repository=repository, tag=image_tag or "latest", changes=changes
        )
        # The import response is a progress stream; asking for the tag is the reliable way to the id.
        return client.images.get(tag if image_tag else f"{repository}:latest").id
    finally:
        client.close()


def run_once(
    image: str,
    command: list[str],
    *,
    base_url: str | None = None,
    user: str = "65532:65532",
    timeout: int = 60,
) -> tuple[int, str]:
    """Run command in a locked-down throwaway container; return (exit code, combined logs)."""
    if user.split(":", 1)[0] in ("", "0", "root"):
        raise ValueError("run_once never runs containers as root")
    client = docker_client(base_url, timeout=max(timeout, 10) + 10)
    container = None
    try:
        # create+start instead of run(): run() would try to pull a missing image from a registry.
        container = client.containers.create(
            image,
            command=command,
            user=user,
            labels=dict(PROBE_LABELS),
            detach=True,
            **PROBE_SECURITY,
        )
        container.start()
        try:
            exit_code = int(container.wait(timeout=timeout)["StatusCode"])
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            try:
                container.kill()
            except APIError:  # it may have exited between the timeout and the kill
                pass
            exit_code = TIMEOUT_EXIT_CODE
        logs = container.logs(stdout=True, stderr=True).decode("utf-8", errors="replace")
        return exit_code, logs
    finally:
        if container is not None:
            try:
                container.remove(force=True)
            except NotFound:
                pass
        client.close()


def _progress_error(items) -> str | None:
    """The error a push or pull progress stream ended with, if any (the API answers 200 first)."""
    for item in items:
        if isinstance(item, dict) and item.get("error"):
            return str((item.get("errorDetail") or {}).get("message") or item["error"])
    return None


def push_image(tag: str, reference: str, *, base_url: str | None = None) -> None:
    """Tag the local image `tag` as `reference` (registry/repository:tag) and push it there."""
    repository, version = parse_repository_tag(reference)
    client = docker_client(base_url, timeout=600)
    try:
        client.api.tag(tag, repository, version)
        error = _progress_error(client.api.push(repository, tag=version, stream=True, decode=True))
    except (DockerException, requests.exceptions.RequestException) as exc:
        error = getattr(exc, "explanation", None) or str(exc)
    finally:
        client.close()
    if error:
        raise APIError(f"pushing {reference} failed: {error}")


def pull_image(reference: str, tag: str, *, base_url: str | None = None) -> None:
    """Pull `reference` from its registry onto the engine and tag it `tag` there."""
    repository, version = parse_repository_tag(reference)
    local_repository, local_version = parse_repository_tag(tag)
    client = docker_client(base_url, timeout=600)
    try:
        error = _progress_error(client.api.pull(repository, tag=version, stream=True, decode=True))
        if not error:
            client.api.tag(reference, local_repository, local_version)
    except (DockerException, requests.exceptions.RequestException) as exc:
        error = getattr(exc, "explanation", None) or str(exc)
    finally:
        client.close()
    if error:
        raise APIError(f"pulling {reference} failed: {error}")


def registry_has(reference: str, *, base_url: str | None = None) -> bool:
    """Whether the registry of `reference` holds it, asked through the engine (which must reach it)."""
    client = docker_client(base_url)
    try:
        client.api.inspect_distribution(reference)
        return True
    except (NotFound, APIError):
        return False
    finally:
        client.close()
