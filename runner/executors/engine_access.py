"""How the Docker SDK reaches an engine URL: TLS client material for tcp://, the ssh binary for ssh://.

tcp:// (and https://) engines take the TLS material of the compute registered with that URL
(`Compute.engine_tls`, decrypted here). Python's ssl module loads certificates and keys from files
only, so the material is written to a private folder of this process (0700, on /dev/shm when the
host has it, so never on a disk) and removed when the process exits.

ssh://user@host engines go through the `ssh` binary (`docker system dial-stdio` on the far side):
~/.ssh/config (or STUDIO_SSH_CONFIG), known_hosts and the agent of the worker's user apply. ssh
runs with BatchMode: no password, passphrase or unknown host key is ever asked on a terminal (a
worker has none, and the prompt would hang its thread); a refused key or host fails at once.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from docker.tls import TLSConfig
from docker.transport import sshconn

from studio.engine_tls import EngineTLS

_lock = threading.Lock()
_folder: Path | None = None


SSH_CONNECT_TIMEOUT = 10  # seconds


def ssh_options() -> list[str]:
    """Options of every `ssh` run for an ssh:// engine."""
    options = ["-o", "BatchMode=yes", "-o", f"ConnectTimeout={SSH_CONNECT_TIMEOUT}"]
    if settings.STUDIO_SSH_CONFIG:
        options = ["-F", settings.STUDIO_SSH_CONFIG, *options]
    return options


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C of a foreground worker stops it, not ssh


class BatchSSHSocket(sshconn.SSHSocket):
    """The SDK's `ssh` child (`docker/transport/sshconn.py`), with `ssh_options()`: the SDK takes
    no ssh options, so the module's SSHSocket is this class from the import of this module on."""

    def connect(self, **kwargs) -> None:
        args = ["ssh", *ssh_options()]
        if self.user:
            args += ["-l", self.user]
        if self.port:
            args += ["-p", self.port]
        args += ["--", self.host, "docker system dial-stdio"]
        env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "SSL_CERT_FILE")}
        self.proc = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stdin=subprocess.PIPE, preexec_fn=_ignore_sigint
        )

    def close(self) -> None:
        try:
            super().close()
        except OSError:  # the ssh child already ended (the far side went away): just reap it
            if self.proc is not None:
                self.proc.kill()
                self.proc.wait()


sshconn.SSHSocket = BatchSSHSocket


def is_tls_url(base_url: str | None) -> bool:
    """Whether the engine URL is reached over TCP, where TLS material applies."""
    return (base_url or "").strip().lower().startswith(("tcp://", "https://"))


def client_options(base_url: str | None) -> dict[str, Any]:
    """Keyword arguments of `docker.DockerClient` for this engine URL beyond the URL itself."""
    url = (base_url or "").strip()
    if url.lower().startswith("ssh://"):
        return {"use_ssh_client": True}
    if not is_tls_url(url):
        return {}
    material = registered_tls(url)
    if material is None:
        return {}
    return {"tls": tls_config(material)}


def registered_tls(base_url: str) -> EngineTLS | None:
    """The TLS material of the compute registered with this engine URL, if it has any."""
    from studio.models import Compute

    token = (
        Compute.objects.filter(engine_url=base_url)
        .exclude(engine_tls="")
        .values_list("engine_tls", flat=True)
        .first()
    )
    return EngineTLS.unsealed(token) if token else None


class _EngineTLSConfig(TLSConfig):
    """The SDK's TLS settings, with the engine's CA winning over REQUESTS_CA_BUNDLE.

    requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE replace a session's `verify` on every request
    (psf/requests#3829): the engine's CA would be ignored and its certificate refused.
    """

    def configure_client(self, client) -> None:
        super().configure_client(client)
        client.trust_env = False


def tls_config(material: EngineTLS) -> TLSConfig:
    """The SDK's TLS settings for this material (files written once per material per process)."""
    folder = _material_folder(material)
    paths: dict[str, Any] = {"verify": True}
    if material.ca:
        paths["ca_cert"] = str(folder / "ca.pem")
    if material.cert:
        paths["client_cert"] = (str(folder / "cert.pem"), str(folder / "key.pem"))
    return _EngineTLSConfig(**paths)


def _material_folder(material: EngineTLS) -> Path:
    global _folder
    digest = hashlib.sha256("\0".join((material.ca, material.cert, material.key)).encode()).hexdigest()
    with _lock:
        if _folder is None:
            shm = Path("/dev/shm")
            where = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
            _folder = Path(tempfile.mkdtemp(prefix="studio-engine-tls-", dir=where))  # 0700
            atexit.register(shutil.rmtree, _folder, True)
        folder = _folder / digest[:24]
        if not folder.is_dir():
            scratch = Path(tempfile.mkdtemp(dir=_folder))
            for name, text in (
                ("ca.pem", material.ca),
                ("cert.pem", material.cert),
                ("key.pem", material.key),
            ):
                if text:
                    descriptor = os.open(scratch / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(descriptor, "w") as handle:
                        handle.write(text)
            os.rename(scratch, folder)
        return folder
