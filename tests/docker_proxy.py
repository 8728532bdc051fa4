"""A recording proxy in front of a Docker engine, for tests of what Studio asks the engine for.

`DockerProxy` listens on a unix socket of its own and relays every connection to the engine's
socket (STUDIO_DOCKER_URL's when unix://, else /var/run/docker.sock). It reads each
connection's first request: a `POST /containers/create` body is recorded (`creates`) with its
`HostConfig.DeviceRequests`, which are then stripped before the engine sees them, so an engine
without the NVIDIA runtime still runs the container a GPU step asked for. Every request but a
hijacked one (attach, `Upgrade: tcp`) is sent on with `Connection: close`, so a client's next
request comes on a new connection and is read again; after the first request the connection is
a plain byte relay both ways (logs, wait and attach stream through unchanged).
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


def engine_socket() -> str:
    """The engine's socket: STUDIO_DOCKER_URL or DOCKER_HOST when a unix:// address, else the usual."""
    for variable in ("STUDIO_DOCKER_URL", "DOCKER_HOST"):
        url = os.environ.get(variable, "")
        if url.startswith("unix://"):
            return url.removeprefix("unix://")
    return "/var/run/docker.sock"


CREATE_PATH = re.compile(rb"^POST (/v[0-9.]+)?/containers/create(\?|\s)")
HEADER_LIMIT = 64 * 1024


@dataclass
class Create:
    """One `POST /containers/create` as the client sent it."""

    at: float
    body: dict
    device_requests: list[dict] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, str]:
        return self.body.get("Labels") or {}

    @property
    def device_ids(self) -> list[str]:
        """Every device id of every device request, in order."""
        return [str(item) for request in self.device_requests for item in request.get("DeviceIDs") or []]


class DockerProxy:
    """A unix-socket relay to a Docker engine that records container creates (see module doc)."""

    def __init__(self, path: Path, engine: str | None = None) -> None:
        self.path = Path(path)
        self.engine_socket = engine or engine_socket()
        self.creates: list[Create] = []
        self.requests: list[str] = []  # each connection's request line
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def start(self) -> DockerProxy:
        if self.path.exists():
            self.path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.path))
        os.chmod(self.path, 0o660)
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, name=f"proxy {self.path.name}", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._listener is not None:
            self._listener.close()
        self.path.unlink(missing_ok=True)

    def creates_labelled(self, **labels: str) -> list[Create]:
        """The recorded creates whose labels include all of these (`studio.job`: `studio_job=`)."""
        wanted = {key.replace("_", "."): value for key, value in labels.items()}
        with self._lock:
            return [c for c in self.creates if all(c.labels.get(k) == v for k, v in wanted.items())]

    # -- relaying ------------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(self.engine_socket)
            first = self._first_request(client)
            if first is None:
                return
            upstream.sendall(first)
            done = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
            done.start()
            _pump(client, upstream)
            done.join()
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()

    def _first_request(self, client: socket.socket) -> bytes | None:
        """The client's first request, rewritten: `Connection: close`, a create's GPUs recorded and
        stripped. Bytes of a body beyond a create's are sent on as they are."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(65536)
            if not chunk:
                return None
            data += chunk
            if len(data) > HEADER_LIMIT:
                return data  # not HTTP as docker-py speaks it: relay it untouched
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        with self._lock:
            self.requests.append(lines[0].decode(errors="replace"))
        headers = lines[1:]
        upgrade = any(line.lower().startswith(b"upgrade:") for line in headers)
        if not upgrade:
            headers = [line for line in headers if not line.lower().startswith(b"connection:")]
            headers.append(b"Connection: close")
        if CREATE_PATH.match(lines[0]):
            length = _content_length(headers)
            while len(rest) < length:
                chunk = client.recv(65536)
                if not chunk:
                    return None
                rest += chunk
            body, rest = rest[:length], rest[length:]
            body = self._record_create(body)
            headers = [line for line in headers if not line.lower().startswith(b"content-length:")]
            headers.append(b"Content-Length: " + str(len(body)).encode())
            rest = body + rest
        return b"\r\n".join([lines[0], *headers]) + b"\r\n\r\n" + rest

    def _record_create(self, body: bytes) -> bytes:
        document = json.loads(body or b"{}")
        host_config = document.get("HostConfig") or {}
        requests = host_config.pop("DeviceRequests", None) or []
        with self._lock:
            self.creates.append(Create(time.time(), json.loads(body or b"{}"), requests))
        return json.dumps(document).encode()


def _content_length(headers: list[bytes]) -> int:
    for line in headers:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes until `source` closes, then close `sink`'s writing half."""
    try:
        while True:
            chunk = source.recv(65536)
            if not chunk:
                break
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass
