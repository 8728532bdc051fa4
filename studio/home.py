"""STUDIO_HOME private to the server's user, as far as steps allow.

Steps (local processes, as STUDIO_STEP_UID) must reach their virtualenv (`venvs/`) and job
folders and snapshots (`artifacts/`), so STUDIO_HOME and those two stay traversable (0711: no
listing); the rest is the server's alone: every file at its top 0600 (the SQLite database and
its -wal/-shm/-journal, secret_key, admin_password), its own folders (datastores, staticfiles)
0700. Other folders are left as they are (a checkout's var/ may hold other STUDIO_HOMEs). An
empty SQLite database is created 0600 before first use, so SQLite gives -wal and -shm that mode.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

STEP_FOLDERS = ("artifacts", "venvs")  # traversable by steps, never listable
PRIVATE_FOLDERS = ("datastores", "staticfiles")
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def _chmod(path: Path, mode: int, changes: list[str]) -> None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
        return  # never through a link; another user's file is theirs to mind
    if stat.S_IMODE(info.st_mode) != mode:
        path.chmod(mode)
        changes.append(f"{path}: {stat.S_IMODE(info.st_mode):04o} -> {mode:04o}")


def secure_home(home: Path, *, sqlite: Path | None = None) -> list[str]:
    """Set the modes above (and the SQLite database's, wherever it is); returns what changed."""
    home = Path(home)
    changes: list[str] = []
    if sqlite is not None and not Path(sqlite).exists() and Path(sqlite).parent.is_dir():
        os.close(os.open(sqlite, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    _chmod(home, 0o711, changes)
    for entry in sorted(home.iterdir()):
        if entry.is_symlink():
            continue
        if entry.is_dir():
            if entry.name in STEP_FOLDERS:
                _chmod(entry, 0o711, changes)
            elif entry.name in PRIVATE_FOLDERS:
                _chmod(entry, 0o700, changes)
        else:
            _chmod(entry, 0o600, changes)
    _chmod(home / "artifacts" / "jobs", 0o711, changes)
    _chmod(home / "artifacts" / "snapshots", 0o711, changes)
    if sqlite is not None:
        for suffix in SQLITE_COMPANIONS:
            _chmod(Path(f"{sqlite}{suffix}"), 0o600, changes)
    return changes
