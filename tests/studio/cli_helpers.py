"""Running the `studio` console script against a test server, and files for it to send."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

from tests.servers import REPO_ROOT, STUDIO_BIN

IRIS = REPO_ROOT / "studio" / "library" / "data" / "iris" / "iris.csv"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def new_token(server) -> str:
    return server.issue_token("CLI job tests")


def cli_runner(server, token: str, tmp_path: Path):
    """Run the `studio` console script against `server`."""
    env = {key: value for key, value in os.environ.items() if key not in ("STUDIO_URL", "STUDIO_TOKEN")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), STUDIO_URL=server.url, STUDIO_TOKEN=token)

    def run(*arguments: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(STUDIO_BIN), *arguments],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
