"""Docker engines and an image registry the tests start of their own, on loopback.

`OwnDockerd` is a second dockerd (its own data root, exec root, pid file, config, unix socket and
bridge; optionally a tcp://127.0.0.1 socket with TLS) that stands for another host's engine.
`OwnRegistry` is Debian's `docker-registry` serving a temporary folder. `TLSFiles` makes a CA, a
server certificate for 127.0.0.1 and a client certificate, as an operator would for `dockerd
--tlsverify`.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import docker
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.servers import free_port, wait_for_port

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"


def _kill_group(process: subprocess.Popen, signum: int = signal.SIGKILL) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait(timeout=30)


@dataclass(frozen=True)
class TLSFiles:
    """PEM files of a test CA, a server certificate (127.0.0.1) and a client certificate."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    @classmethod
    def make(cls, folder: Path) -> TLSFiles:
        folder.mkdir(parents=True, exist_ok=True)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "studio test CA")])
        now = datetime.datetime.now(datetime.UTC)
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(*[False] * 5, True, True, False, False), critical=True)
            .sign(ca_key, hashes.SHA256())
        )

        def leaf(name: str, usage, san=None):
            key = ec.generate_private_key(ec.SECP256R1())
            builder = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(ca_name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=2))
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            )
            if san is not None:
                builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
            return builder.sign(ca_key, hashes.SHA256()), key

        server, server_key = leaf(
            "127.0.0.1", ExtendedKeyUsageOID.SERVER_AUTH, [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        )
        client, client_key = leaf("studio worker", ExtendedKeyUsageOID.CLIENT_AUTH)
        files = cls(
            ca=folder / "ca.pem",
            server_cert=folder / "server-cert.pem",
            server_key=folder / "server-key.pem",
            client_cert=folder / "cert.pem",
            client_key=folder / "key.pem",
        )
        files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        for path, certificate in ((files.server_cert, server), (files.client_cert, client)):
            path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        for path, key in ((files.server_key, server_key), (files.client_key, client_key)):
            path.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            path.chmod(0o600)
        return files


class OwnDockerd:
    """A Docker engine of the test's own (data, exec root, socket, config in a temporary folder,
    a bridge of its own): restarting it touches nothing else on the host.

    `url` is its unix socket (for the test itself: loading images, listing containers); with
    `tcp=True` it also listens on tcp://127.0.0.1:<free port> (`tcp_url`), requiring client
    certificates when `tls` (TLSFiles) is given, as a remote host's engine would.

    Never `--bridge=none`: a dockerd without a bridge deletes the host's `docker0` as it starts,
    cutting every other engine's containers off. Its own bridge (made here, removed at the end),
    no iptables and no ip forwarding changes leave the host's network alone.
    """

    def __init__(self, *, tcp: bool = False, tls: TLSFiles | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="studio-dockerd-", dir="/tmp"))
        self.url = f"unix://{self.root}/docker.sock"
        self.tcp_url = f"tcp://127.0.0.1:{free_port()}" if tcp or tls else ""
        self.tls = tls
        self.process: subprocess.Popen | None = None
        self.bridge = f"sfb{uuid.uuid4().hex[:8]}"
        (self.root / "daemon.json").write_text("{}")
        subnet = f"10.{random.randint(200, 250)}.{random.randint(0, 255)}"
        for command in (
            ["ip", "link", "add", self.bridge, "type", "bridge"],
            ["ip", "addr", "add", f"{subnet}.1/24", "dev", self.bridge],
            ["ip", "link", "set", self.bridge, "up"],
        ):
            subprocess.run(command, check=True, capture_output=True, timeout=30)

    def _arguments(self) -> list[str]:
        arguments = [
            "dockerd",
            f"--data-root={self.root}/data",
            f"--exec-root={self.root}/exec",
            f"--pidfile={self.root}/dockerd.pid",
            f"--host={self.url}",
            f"--config-file={self.root}/daemon.json",
            f"--bridge={self.bridge}",
            "--iptables=false",
            "--ip-masq=false",
            "--ip-forward=false",
        ]
        if self.tcp_url:
            arguments.append(f"--host={self.tcp_url}")
        if self.tls is not None:
            arguments += [
                "--tlsverify",
                f"--tlscacert={self.tls.ca}",
                f"--tlscert={self.tls.server_cert}",
                f"--tlskey={self.tls.server_key}",
            ]
        return arguments

    def start(self) -> None:
        with (self.root / "dockerd.log").open("ab") as sink:
            self.process = subprocess.Popen(
                self._arguments(), stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                if docker.DockerClient(base_url=self.url, timeout=5).ping():
                    return
            except Exception:
                time.sleep(0.3)
        raise TimeoutError(f"the test's dockerd did not answer:\n{self.log()}")

    def client(self) -> docker.DockerClient:
        """A client of its unix socket (no TLS needed)."""
        return docker.DockerClient(base_url=self.url, timeout=60)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                _kill_group(self.process)

    def log(self) -> str:
        path = self.root / "dockerd.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def load(self, image: str) -> None:
        """Copy an image of the host's engine into this one (`docker save | docker load`)."""
        save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        loaded = subprocess.run(
            ["docker", "-H", self.url, "load", "-q"], stdin=save.stdout, capture_output=True, timeout=300
        )
        save.wait(timeout=60)
        assert loaded.returncode == 0, loaded.stderr

    def close(self) -> None:
        self.stop()
        subprocess.run(["ip", "link", "delete", self.bridge], capture_output=True, timeout=30, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


class OwnRegistry:
    """Debian's docker-registry on 127.0.0.1:<free port>, storing into a temporary folder.

    Engines treat a registry on 127.0.0.0/8 as insecure (plain HTTP) without any configuration.
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="studio-registry-", dir="/tmp"))
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        (self.root / "config.yml").write_text(
            "version: 0.1\n"
            "log: {level: warn}\n"
            f"storage: {{filesystem: {{rootdirectory: {self.root}/data}}, delete: {{enabled: true}}}}\n"
            f"http: {{addr: '{self.address}'}}\n"
        )

    def start(self) -> None:
        with (self.root / "registry.log").open("ab") as sink:
            self.process = subprocess.Popen(
                [REGISTRY_BIN, "serve", str(self.root / "config.yml")],
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.port, timeout=30, process=self.process)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _kill_group(self.process)
        shutil.rmtree(self.root, ignore_errors=True)


def bridge_gateway() -> str:
    """The host's address on the default engine's `bridge` network (what a container reaches the
    host at). An engine restarted on an existing docker0 may list only the subnet: its first host."""
    client = docker.from_env()
    try:
        config = client.networks.get("bridge").attrs["IPAM"]["Config"][0]
    finally:
        client.close()
    return config.get("Gateway") or str(next(ipaddress.ip_network(config["Subnet"]).hosts()))
