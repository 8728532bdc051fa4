"""An OpenSSH server of the test's own on 127.0.0.1:<free port> (Debian's openssh-server), and
an ssh_config for the client that trusts only it: its own host key, a key the test generates,
public keys only, no PAM. `docker_host` is what `docker` on the far side talks to (SetEnv)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.servers import free_port, wait_for_port

SSHD_BIN = shutil.which("sshd") or "/usr/sbin/sshd"


class OwnSshd:
    """sshd for `user` (root: the test runs as root) with its own keys, config and pid file."""

    def __init__(self, *, docker_host: str, user: str = "root") -> None:
        self.root = Path(tempfile.mkdtemp(prefix="studio-sshd-", dir="/tmp"))
        self.port = free_port()
        self.user = user
        self.url = f"ssh://{user}@127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        for name in ("host_key", "id_ed25519"):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.root / name)],
                check=True,
                capture_output=True,
                timeout=30,
            )
        (self.root / "authorized_keys").write_text((self.root / "id_ed25519.pub").read_text())
        (self.root / "sshd_config").write_text(
            f"ListenAddress 127.0.0.1\nPort {self.port}\nHostKey {self.root}/host_key\n"
            f"PidFile {self.root}/sshd.pid\nAuthorizedKeysFile {self.root}/authorized_keys\n"
            "PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            f"UsePAM no\nPermitRootLogin prohibit-password\nAllowUsers {user}\nStrictModes no\n"
            f"SetEnv DOCKER_HOST={docker_host}\n"
        )
        host_key = (self.root / "host_key.pub").read_text().split()
        (self.root / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {host_key[0]} {host_key[1]}\n")
        self.client_config = self.root / "ssh_config"
        self.client_config.write_text(
            "Host 127.0.0.1\n"
            f"  IdentityFile {self.root}/id_ed25519\n  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {self.root}/known_hosts\n  StrictHostKeyChecking yes\n"
        )

    def start(self) -> None:
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation folder
        self.process = subprocess.Popen(
            [SSHD_BIN, "-D", "-f", str(self.root / "sshd_config"), "-E", str(self.root / "sshd.log")],
            start_new_session=True,
        )
        wait_for_port(self.port, timeout=30, process=self.process)

    def log(self) -> str:
        path = self.root / "sshd.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)
