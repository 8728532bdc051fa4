"""Runs steps as locked-down containers on one Docker engine (the `docker` compute).

Every container runs as a non-root user with all capabilities dropped, `no-new-privileges`,
process and memory limits, the labels `studio.job` / `studio.step` / `studio.attempt`, and
never a mount of the Docker socket. Host paths are bind-mounted at the same path, so the command
line means the same inside and out; this only works when the engine runs on this host (remote
engines need inputs copied in and outputs out, which is the step runner's business).

Together with `runner.executors.docker`, this is the only module that imports the Docker SDK.
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from runner.executors.base import ExecutorError, Inspection, LogSink, StepLaunch
from runner.executors.docker import DockerUnavailable, docker_client

DEFAULT_MEMORY_BYTES = 4 * 1024**3
# The engine's sockets: mounting any of them (or a folder holding one) hands out root on the host.
DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
# Docker's RFC 3339 timestamp with nanoseconds, prefixed to each line by `timestamps=True`.
_TIMESTAMP = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d) ")
# Labels every step container carries; the reconciler finds containers by them.
LABEL_JOB = "studio.job"
LABEL_STEP = "studio.step"
LABEL_ATTEMPT = "studio.attempt"

TimedLogSink = Callable[[float, str], None]


def _is_root(user: str) -> bool:
    name = user.split(":", 1)[0].strip()
    return name in ("", "0", "root")


def _exposes_docker_socket(path: Path) -> bool:
    """Whether mounting `path` would put a Docker socket inside the container."""
    resolved = os.path.realpath(path)
    if "docker.sock" in os.path.basename(resolved) or "docker.sock" in os.path.basename(str(path)):
        return True
    for socket in DOCKER_SOCKETS:
        for candidate in {socket, os.path.realpath(socket)}:
            if candidate == resolved or candidate.startswith(resolved.rstrip("/") + "/"):
                return True
    return False


def _timestamp_ns(raw: bytes) -> int:
    """Nanoseconds since the epoch of a Docker log timestamp (0 when it is not one)."""
    match = _TIMESTAMP.match(raw + b" ")
    if match is None:
        return 0
    seconds, fraction, zone = (part.decode() if part else "" for part in match.groups())
    zone = "+00:00" if zone == "Z" else zone
    whole = int(datetime.fromisoformat(f"{seconds}{zone}").timestamp())
    return whole * 1_000_000_000 + int((fraction[1:] or "0").ljust(9, "0")[:9])


class _LineSplitter:
    """Turns the log stream's chunks into (timestamp, line) pairs, across partial chunks.

    Docker sends one frame per log message, each prefixed with its timestamp. A line longer than
    the engine's 16 KiB buffer arrives as several messages, each with its own timestamp: when a
    line is pending, a leading timestamp on the next chunk belongs to the continuation and is
    dropped. Lines stamped at or before `after_ns` are skipped (catching up without repeats).
    """

    def __init__(self, sink: TimedLogSink, *, after_ns: int = 0) -> None:
        self.sink = sink
        self.after_ns = after_ns
        self.last_ns = after_ns
        self.pending = b""
        self.pending_ns = 0

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self.pending:
            match = _TIMESTAMP.match(chunk)
            if match is not None:
                chunk = chunk[match.end() :]
        data = self.pending + chunk
        *lines, self.pending = data.split(b"\n")
        for raw in lines:
            self._emit(raw)
        if self.pending and not self.pending_ns:
            self.pending_ns = self._split(self.pending)[0]

    def close(self) -> None:
        if self.pending:
            self._emit(self.pending)
        self.pending = b""

    def _split(self, raw: bytes) -> tuple[int, bytes]:
        match = _TIMESTAMP.match(raw)
        if match is None:
            return self.pending_ns, raw
        return _timestamp_ns(raw[: match.end() - 1]), raw[match.end() :]

    def _emit(self, raw: bytes) -> None:
        ns, text = self._split(raw)
        self.pending_ns = 0
        if text.endswith(b"\r"):
            text = text[:-1]
        if ns and ns <= self.after_ns:
            return
        self.last_ns = max(self.last_ns, ns)
        self.sink(ns / 1e9, text.decode("utf-8", errors="replace"))


class DockerExecutor:
    """The Executor protocol for one Docker engine; handles are container ids.

    `base_url` is the engine URL (None: DOCKER_HOST or the local socket). One instance may be
    shared by every thread of a worker.
    """

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = base_url or None
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()

    # --- clients ---------------------------------------------------------------------------

    @property
    def where(self) -> str:
        return self.base_url or "the default Docker engine"

    def _docker(self) -> docker.DockerClient:
        with self._lock:
            if self._client is None:
                self._client = self._connect(timeout=60)
            return self._client

    def _api(self) -> docker.APIClient:
        return self._docker().api

    def _connect(self, *, timeout: int | None) -> docker.DockerClient:
        try:
            # Many threads block in wait() at once: a larger pool avoids discarded connections.
            return docker_client(self.base_url, timeout=timeout, max_pool_size=64)
        except DockerUnavailable as exc:
            raise ExecutorError(str(exc)) from exc

    def close(self) -> None:
        """Close the shared client (a later call opens a new one)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _error(self, action: str, handle: str, exc: Exception) -> ExecutorError:
        explanation = getattr(exc, "explanation", None) or str(exc)
        return ExecutorError(f"cannot {action} container {handle[:12]} on {self.where}: {explanation}")

    # --- the protocol ----------------------------------------------------------------------

    def start(self, launch: StepLaunch) -> str:
        """Create and start the step's container; return its id."""
        if _is_root(launch.user):
            raise ExecutorError(f"steps never run as root (user {launch.user!r} refused)")
        if not launch.image:
            raise ExecutorError("no image to run the step in")
        workdir = Path(launch.workdir)
        volumes: dict[str, dict[str, str]] = {}
        for mount in launch.mounts:
            if _exposes_docker_socket(mount.path):
                raise ExecutorError(f"refusing to mount {mount.path}: it exposes the Docker socket")
            volumes[str(mount.path)] = {"bind": str(mount.path), "mode": "ro" if mount.read_only else "rw"}
        if _exposes_docker_socket(workdir):
            raise ExecutorError(f"refusing to mount {workdir}: it exposes the Docker socket")
        volumes[str(workdir)] = {"bind": str(workdir), "mode": "rw"}
        assert not any(_exposes_docker_socket(Path(path)) for path in volumes), "docker.sock mounted"
        _prepare_writable(workdir, [Path(m.path) for m in launch.mounts if not m.read_only], launch.user)

        options: dict[str, Any] = {
            "command": ["bash", "-c", launch.command],
            "user": launch.user,
            "working_dir": str(workdir),
            # tini as PID 1 passes SIGTERM on to the whole process group of the command.
            "environment": {**launch.env, "TINI_KILL_PROCESS_GROUP": "1"},
            "init": True,
            "labels": {
                LABEL_JOB: launch.job,
                LABEL_STEP: launch.step,
                LABEL_ATTEMPT: str(launch.attempt),
            },
            "volumes": volumes,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "pids_limit": launch.pids_limit,
            "mem_limit": launch.memory_bytes or DEFAULT_MEMORY_BYTES,
            "auto_remove": False,
            "detach": True,
        }
        if launch.cpus:
            options["nano_cpus"] = int(launch.cpus * 1e9)
        if launch.shm_size:
            options["shm_size"] = launch.shm_size
        if launch.gpu_ids:
            options["device_requests"] = [
                docker.types.DeviceRequest(device_ids=list(launch.gpu_ids), capabilities=[["gpu"]])
            ]
        if not launch.network:
            options["network_mode"] = "none"

        client = self._docker()
        container = None
        try:
            # create + start, never run(): run() would pull a missing image from a registry.
            container = client.containers.create(launch.image, **options)
            container.start()
        except ImageNotFound as exc:
            if container is not None:
                self.remove(container.id)
            raise ExecutorError(
                f"image {launch.image} is not on {self.where}; build the environment first"
            ) from exc
        except (DockerException, requests.exceptions.RequestException) as exc:
            if container is not None:
                self.remove(container.id)
            explanation = getattr(exc, "explanation", None) or str(exc)
            raise ExecutorError(
                f"cannot start step {launch.job}/{launch.step} on {self.where}: {explanation}"
            ) from exc
        return container.id

    def follow_logs(self, handle: str, sink: LogSink, *, since: float | None = None) -> None:
        """Send each output line (stdout and stderr, without Docker's timestamp) to `sink`."""
        self.follow_logs_with_time(handle, lambda _ts, line: sink(line), since=since)

    def follow_logs_with_time(self, handle: str, sink: TimedLogSink, *, since: float | None = None) -> None:
        """Send (timestamp, line) pairs to `sink` until the container ends.

        `since` (seconds since the epoch) is inclusive, as Docker's filter is (widened by a
        microsecond for float rounding): to resume after the last line already stored, pass its
        timestamp and drop lines whose timestamp is not later.
        """
        client = self._connect(timeout=None)  # a quiet step must not time the stream out
        try:
            splitter = _LineSplitter(sink)
            # A float holds the epoch to about 0.2 us: widen by 1 us so the line at `since` stays in.
            since = since - 1e-6 if since and since > 0 else None
            self._read_logs(client, handle, splitter, follow=True, since=since)
            # The engine may end a follow before the last message (typically a final line with no
            # newline) is written: read once more from the last line seen, skipping repeats.
            catch_up = _LineSplitter(sink, after_ns=splitter.last_ns)
            since_seen = splitter.last_ns / 1e9 - 1e-6 if splitter.last_ns else since
            self._read_logs(client, handle, catch_up, follow=False, since=since_seen)
        except NotFound as exc:
            raise ExecutorError(f"container {handle[:12]} is gone from {self.where}") from exc
        except (DockerException, requests.exceptions.RequestException) as exc:
            raise self._error("read the logs of", handle, exc) from exc
        finally:
            client.close()

    @staticmethod
    def _read_logs(
        client, handle: str, splitter: _LineSplitter, *, follow: bool, since: float | None
    ) -> None:
        stream = client.api.logs(
            handle,
            stdout=True,
            stderr=True,
            stream=True,
            follow=follow,
            timestamps=True,
            since=since if since and since > 0 else None,
        )
        try:
            for chunk in stream:
                splitter.feed(chunk)
        finally:
            stream.close()
        splitter.close()

    def wait(self, handle: str, timeout: float | None) -> int | None:
        """The container's exit code, or None when `timeout` seconds passed first."""
        api = self._api()
        try:
            result = api.wait(handle, timeout=timeout)
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError) as exc:
            # A read timeout surfaces as ConnectionError on some urllib3 versions: tell them apart.
            if isinstance(exc, requests.exceptions.ReadTimeout) or "timed out" in str(exc).lower():
                return None
            raise self._error("wait for", handle, exc) from exc
        except NotFound as exc:
            raise ExecutorError(f"container {handle[:12]} is gone from {self.where}") from exc
        except (DockerException, requests.exceptions.RequestException) as exc:
            raise self._error("wait for", handle, exc) from exc
        return int(result.get("StatusCode", -1))

    def stop(self, handle: str, *, grace_seconds: float = 10) -> None:
        """SIGTERM, then SIGKILL after `grace_seconds`; a gone container is already stopped."""
        try:
            self._api().stop(handle, timeout=max(0, math.ceil(grace_seconds)))
        except NotFound:
            return
        except (DockerException, requests.exceptions.RequestException) as exc:
            raise self._error("stop", handle, exc) from exc

    def inspect(self, handle: str) -> Inspection:
        """Running, exited (with its code), or gone (removed, or created but never started)."""
        try:
            data = self._api().inspect_container(handle)
        except NotFound:
            return Inspection("gone")
        except (DockerException, requests.exceptions.RequestException) as exc:
            raise self._error("inspect", handle, exc) from exc
        state = data.get("State") or {}
        status = state.get("Status", "")
        if state.get("Running") or status in ("running", "paused", "restarting"):
            return Inspection("running")
        if status in ("exited", "dead"):
            return Inspection("exited", int(state.get("ExitCode", -1)))
        # "created" never ran a command (the worker died between create and start), "removing"
        # is on its way out: neither has a result to collect.
        return Inspection("gone")

    def remove(self, handle: str) -> None:
        """Force-remove the container; idempotent."""
        try:
            self._api().remove_container(handle, force=True)
        except NotFound:
            return
        except APIError as exc:
            if exc.status_code == 409 and "in progress" in str(exc).lower():
                return
            raise self._error("remove", handle, exc) from exc
        except (DockerException, requests.exceptions.RequestException) as exc:
            raise self._error("remove", handle, exc) from exc

    # --- for the reconciler ------------------------------------------------------------------

    def find_step_containers(self, job: str | None = None) -> list[tuple[str, dict[str, str], str]]:
        """(id, labels, state) of every step container on the engine, or of one job's."""
        label = LABEL_JOB if job is None else f"{LABEL_JOB}={job}"
        try:
            found = self._api().containers(all=True, filters={"label": [label]})
        except (DockerException, requests.exceptions.RequestException) as exc:
            raise ExecutorError(f"cannot list step containers on {self.where}: {exc}") from exc
        return [(item["Id"], dict(item.get("Labels") or {}), item.get("State", "")) for item in found]


def _prepare_writable(workdir: Path, writable: list[Path], user: str) -> None:
    """Create the workdir; when this worker is root, hand it and the rw mounts to the step's user.

    Without this a root-run worker's folders (mode 755, owned by root) are read-only for uid 1000,
    and a missing bind-mount source would be created by the engine as root. Only the folders
    themselves change owner, not what is in them.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return
    uid_text, _, gid_text = user.partition(":")
    if not uid_text.isdigit() or (gid_text and not gid_text.isdigit()):
        return  # a user name: only the image knows its ids
    uid = int(uid_text)
    gid = int(gid_text) if gid_text else uid
    for path in [workdir, *writable]:
        try:
            if path.is_dir():
                os.chown(path, uid, gid)
        except OSError:
            pass
