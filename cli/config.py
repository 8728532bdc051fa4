"""Where the CLI keeps the server URL and token from `studio login`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


def config_path() -> Path:
    """The CLI's config file: $XDG_CONFIG_HOME/studio/config.json (default ~/.config)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "studio" / "config.json"


@dataclass(frozen=True)
class ClientConfig:
    """The server and credentials a client verb uses."""

    url: str
    token: str
    username: str = ""


def load_config() -> ClientConfig | None:
    """The saved login, overridden field by field by STUDIO_URL and STUDIO_TOKEN."""
    saved: dict = {}
    path = config_path()
    if path.exists():
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            saved = {}
    url = os.environ.get("STUDIO_URL") or saved.get("url", "")
    token = os.environ.get("STUDIO_TOKEN") or saved.get("token", "")
    if not url or not token:
        return None
    return ClientConfig(url=url.rstrip("/"), token=token, username=saved.get("username", ""))


def save_config(config: ClientConfig) -> Path:
    """Write the login with permissions only the user can read."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"url": config.url, "token": config.token, "username": config.username}, handle, indent=2)
    os.chmod(path, 0o600)
    return path
