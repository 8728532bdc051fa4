"""Layout: where snapshots live, their limits, and the errors of the artifact store."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.conf import settings

from studio.errors import StudioError

DEFAULT_MAX_SNAPSHOT_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_SNAPSHOT_FILES = 10_000

_CHUNK = 1024 * 1024
_DIGEST = re.compile(r"[0-9a-f]{64}")
_MANIFEST_HEADER = b"studio-snapshot-v1\n"


class StorageError(StudioError, ValueError):
    """Raised when a snapshot cannot be made or read: a bad source, digest or path (400)."""


class SnapshotTooLargeError(StorageError):
    """Raised when a snapshot's total size or file count passes its limit (413)."""

    status = 413


@dataclass(frozen=True)
class Snapshot:
    """An immutable, content-addressed tree of files in the artifact store."""

    digest: str
    size_bytes: int
    file_count: int
    kind: Literal["folder", "file"]

    @property
    def path(self) -> Path:
        """The folder that holds the snapshot's files."""
        return snapshot_path(self.digest)


@dataclass(frozen=True)
class _Entry:
    """One file to store: its path in the snapshot, where to read it, and its executable bit."""

    relative: str
    source: str
    executable: bool


def _snapshots_root() -> Path:
    """The folder holding every snapshot, read from settings at call time."""
    return Path(settings.ARTIFACTS_ROOT) / "snapshots"


def _scratch_root() -> Path:
    """A folder on the snapshots' filesystem for temporary copies, so renames are atomic."""
    scratch = _snapshots_root() / ".tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    return scratch


def _limits(max_bytes: int | None, max_files: int | None) -> tuple[int, int]:
    """The given limits, or the settings' (or built-in defaults) where not given."""
    if max_bytes is None:
        max_bytes = getattr(settings, "STUDIO_MAX_SNAPSHOT_BYTES", DEFAULT_MAX_SNAPSHOT_BYTES)
    if max_files is None:
        max_files = getattr(settings, "STUDIO_MAX_SNAPSHOT_FILES", DEFAULT_MAX_SNAPSHOT_FILES)
    return int(max_bytes), int(max_files)


def _too_many_bytes(limit: int, size: int, path: str) -> SnapshotTooLargeError:
    """The error for a snapshot that reached `size` bytes at `path`."""
    return SnapshotTooLargeError(
        f"{path}: the snapshot is over its size limit of {limit} bytes (reached {size} bytes)"
    )


def _too_many_files(limit: int, count: int, path: str) -> SnapshotTooLargeError:
    """The error for a snapshot that reached `count` files at `path`."""
    return SnapshotTooLargeError(
        f"{path}: the snapshot is over its limit of {limit} files (reached {count} files)"
    )


def _is_within(path: str, root: str) -> bool:
    """Whether the absolute `path` is `root` or lies below it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _relative_parts(relative_path: str) -> tuple[str, ...]:
    """The components of a relative posix path; StorageError for absolute paths and `..`."""
    if not relative_path or "\x00" in relative_path:
        raise StorageError(f"{relative_path!r}: not a valid relative path")
    if relative_path.startswith("/"):
        raise StorageError(f"{relative_path}: absolute paths are not allowed")
    parts = tuple(part for part in relative_path.split("/") if part not in ("", "."))
    if ".." in parts:
        raise StorageError(f"{relative_path}: '..' is not allowed in a path")
    if not parts:
        raise StorageError(f"{relative_path!r}: not a valid relative path")
    return parts


def snapshot_path(digest: str) -> Path:
    """Where the snapshot with this digest lives; StorageError unless it is 64 lowercase hex chars."""
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise StorageError(f"{digest!r}: not a snapshot digest (64 lowercase hex characters)")
    return _snapshots_root() / digest[:2] / digest


def snapshot_exists(digest: str) -> bool:
    """Whether the snapshot is stored; StorageError for a malformed digest."""
    return snapshot_path(digest).is_dir()


def _existing_snapshot(digest: str) -> Path:
    """The folder of a stored snapshot; StorageError naming the digest when it is missing."""
    path = snapshot_path(digest)
    if not path.is_dir():
        raise StorageError(f"snapshot {digest} does not exist")
    return path


def _iter_snapshot(digest: str) -> Iterator[tuple[str, Path]]:
    """(relative posix path, absolute path) of every file in a stored snapshot, sorted by path."""
    base = _existing_snapshot(digest)
    found: list[tuple[str, Path]] = []
    for directory, folders, files in os.walk(base):
        folders.sort()
        prefix = Path(directory).relative_to(base).as_posix()
        for name in files:
            relative = name if prefix == "." else f"{prefix}/{name}"
            found.append((relative, Path(directory) / name))
    found.sort(key=lambda item: item[0])
    yield from found
