"""Runs steps as locked-down containers on one Docker engine (the `docker` compute).

Every container runs as a non-root user with all capabilities dropped, `no-new-privileges`,
process, memory and CPU limits, a size-limited tmpfs at /tmp (HOME=/tmp), a read-only root
filesystem ("bind" transfer), no network when the launch says so (`network_mode` none), the labels
`studio.job` / `studio.step` / `studio.attempt`, and never a mount of the Docker socket. Each
host path appears in the container at its own container path (`Mount.target`,
`StepLaunch.container_workdir`; the step runner uses fixed paths under /studio), so a step never
needs to cross the host folders above STUDIO_HOME. Two ways to get them there (`transfer`):

- "bind" (the local engine, unix:// or no URL): host paths are bind-mounted at their container paths.
- "copy" (remote engines, tcp:// ssh:// http(s)://): nothing is mounted; the workdir and every input
  are copied into the container through the Docker API (`put_archive`) before it starts, inputs
  owned by root and read-only (0555/0444), and the workdir and output folders are copied back
  (`get_archive`, extracted safely) once it has exited: by `wait()`, `stop()` or `inspect()`,
  at most once per container per executor. The (container path, host path) pairs to copy back
  travel in the container's label `studio.copy_out`, so a worker adopting the container after a
  crash copies them back too.

`inspect()` also says whether the kernel's OOM killer ended the step (`State.OOMKilled`) and the
container's memory limit, for a failure reason that names them.

Together with `runner.executors.docker`, this is the only module that imports the Docker SDK.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import stat
import tarfile
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from runner.executors.base import ExecutorError, Inspection, LogSink, StepLaunch
from runner.executors.docker import DockerUnavailable, docker_client
from studio.storage.extraction import extract_folder_tar
from studio.storage.layout import StorageError

DEFAULT_MEMORY_BYTES = 4 * 1024**3
# The engine's sockets: mounting any of them (or a folder holding one) hands out root on the host.
DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
# Docker's RFC 3339 timestamp with nanoseconds, prefixed to each line by `timestamps=True`.
_TIMESTAMP = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d) ")
# Labels every step container carries; the reconciler finds containers by them.
LABEL_JOB = "studio.job"
LABEL_STEP = "studio.step"
LABEL_ATTEMPT = "studio.attempt"
# Copy mode: JSON list of [container path, host path] (workdir first, then rw mounts) to copy back;
# labels written before container paths were fixed hold plain paths (the same on both sides).
LABEL_COPY_OUT = "studio.copy_out"
Transfer = Literal["bind", "copy"]
# Archives up to this size stay in memory; larger ones spill to a temporary file.
_SPOOL_BYTES = 64 * 1024**2
_CHUNK = 1024**2

TimedLogSink = Callable[[float, str], None]


def transfer_mode(base_url: str | None) -> Transfer:
    """How paths reach a container on the engine at `base_url`: bind for local, copy for remote.

    Local: no URL, unix:// (and npipe:// / fd://). Anything else reaches the engine over the
    network (tcp://, ssh://, http(s)://, or a bare host:port, which the SDK reads as tcp).
    """
    url = (base_url or "").strip().lower()
    if not url or url.startswith(("unix://", "npipe://", "fd://")):
        return "bind"
    return "copy"


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

    def __init__(self, base_url: str | None = None, *, transfer: Transfer | None = None) -> None:
        if transfer not in (None, "bind", "copy"):
            raise ValueError(f"transfer must be 'bind', 'copy' or None, not {transfer!r}")
        self.base_url = base_url or None
        self.transfer: Transfer = transfer or transfer_mode(self.base_url)
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()
        # Copy mode: containers whose paths were copied back, and a lock per container copying.
        self._copied: set[str] = set()
        self._copying: dict[str, threading.Lock] = {}

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
        workdir_target = _container_path(launch.container_workdir or str(workdir))
        mounts: list[docker.types.Mount] = []
        for mount in launch.mounts:
            if _exposes_docker_socket(mount.path):
                raise ExecutorError(f"refusing to mount {mount.path}: it exposes the Docker socket")
            target = _container_path(mount.destination)
            mounts.append(docker.types.Mount(target, str(mount.path), type="bind", read_only=mount.read_only))
        if _exposes_docker_socket(workdir):
            raise ExecutorError(f"refusing to mount {workdir}: it exposes the Docker socket")
        mounts.append(docker.types.Mount(workdir_target, str(workdir), type="bind", read_only=False))
        assert not any(_exposes_docker_socket(Path(m["Source"])) for m in mounts), "docker.sock mounted"
        _prepare_writable(workdir, [Path(m.path) for m in launch.mounts if not m.read_only], launch.user)
        copy = self.transfer == "copy"
        labels = {LABEL_JOB: launch.job, LABEL_STEP: launch.step, LABEL_ATTEMPT: str(launch.attempt)}
        if copy:
            copy_out = [[workdir_target, str(workdir)]] + [
                [m.destination, str(m.path)]
                for m in launch.mounts
                if not m.read_only and _container_path(m.destination) != workdir_target
            ]
            labels[LABEL_COPY_OUT] = json.dumps(copy_out)

        options: dict[str, Any] = {
            "command": ["bash", "-c", launch.command],
            "user": launch.user,
            "working_dir": workdir_target,
            # tini as PID 1 passes SIGTERM on to the whole process group of the command. The root
            # filesystem is read-only: HOME (caches, configs) lies in the writable /tmp.
            "environment": {"HOME": "/tmp", **launch.env, "TINI_KILL_PROCESS_GROUP": "1"},
            "init": True,
            "labels": labels,
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
        if not copy:
            options["mounts"] = mounts
            # Copy mode puts the step's files into the container's own filesystem, so only bind
            # mode can make it read-only; /tmp is a size-limited tmpfs in both.
            options["read_only"] = True
        if not (copy and _copies_under_tmp(launch)):  # a tmpfs would hide what copy mode puts there
            options["tmpfs"] = {"/tmp": f"rw,nosuid,nodev,size={launch.tmp_bytes},mode=1777"}

        client = self._docker()
        container = None
        try:
            # create + start, never run(): run() would pull a missing image from a registry.
            container = client.containers.create(launch.image, **options)
            if copy:
                self._copy_in(container.id, launch)
            container.start()
        except ImageNotFound as exc:
            if container is not None:
                self.remove(container.id)
            raise ExecutorError(
                f"image {launch.image} is not on {self.where}; build the environment first"
            ) from exc
        except (DockerException, requests.exceptions.RequestException, OSError) as exc:
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
        self._copy_out(handle)
        return int(result.get("StatusCode", -1))

    def stop(self, handle: str, *, grace_seconds: float = 10) -> None:
        """SIGTERM, then SIGKILL after `grace_seconds`; a gone container is already stopped."""
        try:
            self._api().stop(handle, timeout=max(0, math.ceil(grace_seconds)))
        except NotFound:
            return
        except (DockerException, requests.exceptions.RequestException) as exc:
            raise self._error("stop", handle, exc) from exc
        if self.transfer == "copy":
            self.inspect(handle)  # copies the results back once the container has exited

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
            self._copy_out(handle, data)
            limit = (data.get("HostConfig") or {}).get("Memory") or None
            return Inspection(
                "exited",
                int(state.get("ExitCode", -1)),
                oom_killed=bool(state.get("OOMKilled")),
                memory_limit=limit,
            )
        # "created" never ran a command (the worker died between create and start), "removing"
        # is on its way out: neither has a result to collect.
        return Inspection("gone")

    def remove(self, handle: str) -> None:
        """Force-remove the container; idempotent."""
        with self._lock:
            self._copied.discard(handle)
            self._copying.pop(handle, None)
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

    # --- copy mode ---------------------------------------------------------------------------

    def _copy_in(self, handle: str, launch: StepLaunch) -> None:
        """Put the workdir (owned by the step's user) and the inputs (root, read-only) in place."""
        api = self._api()
        uid, gid = _numeric_user(launch.user)
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as buffer:
            with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
                writer = _ArchiveWriter(archive, lambda path: self._exists(api, handle, path))
                workdir_target = _container_path(launch.container_workdir or str(launch.workdir))
                writer.add(Path(launch.workdir), workdir_target, uid, gid, read_only=False)
                for mount in launch.mounts:
                    target = _container_path(mount.destination)
                    if not mount.read_only and target != workdir_target:
                        writer.add(Path(mount.path), target, uid, gid, read_only=False)
                # Inputs last: one nested in a writable folder stays read-only.
                for mount in launch.mounts:
                    if mount.read_only:
                        writer.add(Path(mount.path), _container_path(mount.destination), 0, 0, read_only=True)
            buffer.seek(0)
            if not api.put_archive(handle, "/", buffer):
                raise ExecutorError(f"cannot copy the step's files into container {handle[:12]}")

    def _exists(self, api: docker.APIClient, handle: str, path: str) -> bool:
        """Whether `path` exists in the container's filesystem (HEAD of its archive: a stat)."""
        response = api.head(api._url("/containers/{0}/archive", handle), params={"path": path})
        if response.status_code == 404:
            return False
        api._raise_for_status(response)
        return True

    def _copy_out(self, handle: str, data: dict | None = None) -> None:
        """Copy the workdir and output folders of an exited copy-mode container back; once."""
        if self.transfer != "copy" and data is None:
            return
        with self._lock:
            if handle in self._copied:
                return
            lock = self._copying.setdefault(handle, threading.Lock())
        with lock:
            with self._lock:
                if handle in self._copied:
                    return
            try:
                if data is None:
                    data = self._api().inspect_container(handle)
                labels = (data.get("Config") or {}).get("Labels") or {}
                if LABEL_COPY_OUT in labels:
                    for inside, host in _copy_out_pairs(labels[LABEL_COPY_OUT]):
                        self._fetch(handle, inside, host)
            except NotFound as exc:
                raise ExecutorError(f"container {handle[:12]} is gone from {self.where}") from exc
            except (DockerException, requests.exceptions.RequestException, OSError, ValueError) as exc:
                raise self._error("copy the results out of", handle, exc) from exc
            with self._lock:
                self._copied.add(handle)

    def _fetch(self, handle: str, inside: str, host: Path) -> None:
        """Replace the contents of the host folder `host` with the container's folder `inside`."""
        try:
            stream, _stat = self._api().get_archive(handle, inside, chunk_size=_CHUNK)
        except NotFound:
            return  # the step removed it: nothing to bring back
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as buffer:
            for chunk in stream:
                buffer.write(chunk)
            buffer.seek(0)
            host.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{host.name}.copy-", dir=host.parent))
            try:
                _extract_safely(buffer, staging)
                _replace_contents(staging, host)
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    # --- for the reconciler ------------------------------------------------------------------

    def find_step_containers(self, job: str | None = None) -> list[tuple[str, dict[str, str], str]]:
        """(id, labels, state) of every step container on the engine, or of one job's."""
        label = LABEL_JOB if job is None else f"{LABEL_JOB}={job}"
        try:
            found = self._api().containers(all=True, filters={"label": [label]})
        except (DockerException, requests.exceptions.RequestException) as exc:
            raise ExecutorError(f"cannot list step containers on {self.where}: {exc}") from exc
        return [(item["Id"], dict(item.get("Labels") or {}), item.get("State", "")) for item in found]


def _container_path(path: str) -> str:
    """`path` as an absolute, normalised container path; ExecutorError for anything else."""
    posix = PurePosixPath(path)
    if not posix.is_absolute() or ".." in posix.parts:
        raise ExecutorError(f"{path!r} is not an absolute container path")
    return str(posix)


def _copy_out_pairs(label: str) -> list[tuple[str, Path]]:
    """(container path, host path) of each folder to copy back, from the `studio.copy_out` label."""
    pairs = []
    for entry in json.loads(label):
        if isinstance(entry, str):
            entry = [entry, entry]
        if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(p, str) for p in entry)):
            raise ValueError(f"unexpected entry in the {LABEL_COPY_OUT} label: {entry!r}")
        pairs.append((_container_path(entry[0]), Path(entry[1])))
    return pairs


def _copies_under_tmp(launch: StepLaunch) -> bool:
    """Whether copy mode would put some of the step's files under /tmp (a step launched with the
    host's paths, as older launches were): a tmpfs mounted there at start would hide them."""
    targets = [launch.container_workdir or str(launch.workdir)]
    targets += [str(mount.destination) for mount in launch.mounts]
    return any(_container_path(target).startswith("/tmp/") for target in targets)


def _prepare_writable(workdir: Path, writable: list[Path], user: str) -> None:
    """Create the workdir and missing rw mounts; when this worker is root, hand them to the step's user.

    Without this a root-run worker's folders (mode 755, owned by root) are read-only for uid 1000,
    and a bind mount needs its source to exist. Only the folders themselves change owner, not what
    is in them.
    """
    for path in [workdir, *writable]:
        if not os.path.lexists(path):
            path.mkdir(parents=True, exist_ok=True)
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


def _numeric_user(user: str) -> tuple[int | None, int | None]:
    """(uid, gid) of a numeric `uid[:gid]`; (None, None) for a user name."""
    uid_text, _, gid_text = user.partition(":")
    if not uid_text.isdigit() or (gid_text and not gid_text.isdigit()):
        return None, None
    return int(uid_text), int(gid_text) if gid_text else int(uid_text)


class _ArchiveWriter:
    """Builds the copy-in archive: host files as members named by their container paths (from `/`).

    Missing parent folders get root-owned 0755 entries; existing ones in the container are left
    out so that their owner and mode (like /tmp's 1777) stay. Hard links are stored as copies,
    so a read-only input never shares an inode with a writable file.
    """

    def __init__(self, archive: tarfile.TarFile, exists: Callable[[str], bool]) -> None:
        self.archive = archive
        self.exists = exists
        self.known: set[str] = set()

    def add(self, path: Path, target: str, uid: int | None, gid: int | None, *, read_only: bool) -> None:
        """Put the host file or folder `path` at the container path `target`."""
        path = Path(os.path.abspath(path))
        inside = PurePosixPath(target)
        self._parents(inside)
        if not os.path.lexists(path):
            if not read_only:  # a writable folder the step expects: create it empty
                self._entry(path, inside, None, uid, gid, read_only=False, kind="dir")
            return
        self._tree(path, inside, uid, gid, read_only)

    def _parents(self, inside: PurePosixPath) -> None:
        missing: list[PurePosixPath] = []
        for parent in inside.parents:
            key = str(parent)
            if key == "/" or key in self.known:
                break
            if self.exists(key):
                self.known.add(key)
                break
            missing.append(parent)
        for parent in reversed(missing):
            info = tarfile.TarInfo(str(parent).lstrip("/"))
            info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, 0o755, 0, 0
            self.archive.addfile(info)
            self.known.add(str(parent))

    def _tree(
        self, path: Path, inside: PurePosixPath, uid: int | None, gid: int | None, read_only: bool
    ) -> None:
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            self._entry(path, inside, st, uid, gid, read_only=read_only, kind="dir")
            self.known.add(str(inside))
            for child in sorted(os.listdir(path)):
                self._tree(path / child, inside / child, uid, gid, read_only)
        elif stat.S_ISLNK(st.st_mode):
            self._entry(path, inside, st, uid, gid, read_only=read_only, kind="link")
        elif stat.S_ISREG(st.st_mode):
            self._entry(path, inside, st, uid, gid, read_only=read_only, kind="file")
        # sockets, fifos and devices are never copied

    def _entry(self, path, inside, st, uid, gid, *, read_only: bool, kind: str) -> None:
        info = tarfile.TarInfo(str(inside).lstrip("/"))
        executable = bool(st and st.st_mode & 0o111)
        if kind == "dir":
            info.type = tarfile.DIRTYPE
            if read_only:
                info.mode = 0o555
            else:
                info.mode = (stat.S_IMODE(st.st_mode) if st else 0o755) | 0o700
        elif kind == "link":
            info.type = tarfile.SYMTYPE
            info.linkname = os.readlink(path)
            info.mode = 0o777
        else:
            info.type = tarfile.REGTYPE
            info.size = st.st_size
            if read_only:
                info.mode = 0o555 if executable else 0o444
            else:
                info.mode = stat.S_IMODE(st.st_mode) | 0o600
        if st is not None:
            info.mtime = int(st.st_mtime)
        if read_only or uid is None:
            info.uid = info.gid = 0
            if not read_only and kind != "link":  # a user name: only the image knows its ids
                info.mode |= 0o777 if kind == "dir" else 0o666
        else:
            info.uid, info.gid = uid, gid if gid is not None else uid
        info.uname = info.gname = ""
        if kind == "file":
            with open(path, "rb") as content:
                self.archive.addfile(info, content)
        else:
            self.archive.addfile(info)


def _extract_safely(stream: IO[bytes], root: Path) -> None:
    """Extract a `get_archive` tar of one folder into the empty folder `root`.

    Refused (ExecutorError): absolute names, `..`, links pointing outside (the checks of
    `studio.storage.extraction`, which also runs tarfile's data filter); devices and fifos are
    skipped.
    """
    try:
        extract_folder_tar(stream, root)
    except StorageError as exc:
        raise ExecutorError(f"unsafe member in the step's results: {exc}") from None


def _replace_contents(staging: Path, host: Path) -> None:
    """Make `host` hold exactly what `staging` holds, keeping `host`'s own owner and mode."""
    if host.is_symlink() or (host.exists() and not host.is_dir()):
        host.unlink()
    host.mkdir(parents=True, exist_ok=True)
    owner = os.stat(host)
    for child in list(host.iterdir()):
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    for child in list(staging.iterdir()):
        os.replace(child, host / child.name)
    if os.geteuid() == 0 and (owner.st_uid, owner.st_gid) != (0, 0):
        for dirpath, dirnames, filenames in os.walk(host):
            for name in dirnames + filenames:
                os.lchown(os.path.join(dirpath, name), owner.st_uid, owner.st_gid)
