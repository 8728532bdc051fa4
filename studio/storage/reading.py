"""Reading snapshots: a stored snapshot's files, one file's content, a tar.gz, a copy."""

from __future__ import annotations

import gzip
import shutil
import stat
import tarfile
from pathlib import Path
from typing import BinaryIO

from studio.storage.layout import Snapshot, StorageError, _existing_snapshot, _iter_snapshot, _relative_parts


def snapshot_files(digest: str) -> list[tuple[str, int]]:
    """(relative posix path, size in bytes) of every file in the snapshot, sorted by path."""
    return [(relative, path.stat().st_size) for relative, path in _iter_snapshot(digest)]


def describe_snapshot(digest: str) -> Snapshot:
    """The size and file count of a stored snapshot (reported as a folder)."""
    files = snapshot_files(digest)
    return Snapshot(
        digest=digest, size_bytes=sum(size for _, size in files), file_count=len(files), kind="folder"
    )


def read_snapshot_file(digest: str, relative_path: str, *, max_bytes: int = 1_000_000) -> bytes:
    """The content of one file of a snapshot; StorageError when missing or over `max_bytes`."""
    base = _existing_snapshot(digest)
    path = base.joinpath(*_relative_parts(relative_path))
    if path.is_symlink() or not path.is_file():
        raise StorageError(f"{relative_path}: no such file in snapshot {digest}")
    size = path.stat().st_size
    if size > max_bytes:
        raise StorageError(f"{relative_path}: {size} bytes is over the {max_bytes}-byte limit for reading")
    with path.open("rb") as file:
        return file.read(max_bytes + 1)[:max_bytes]


def write_snapshot_archive(digest: str, destination: BinaryIO) -> None:
    """Write the snapshot as a reproducible tar.gz: sorted members, zero mtimes, no owners."""
    with gzip.GzipFile(fileobj=destination, mode="wb", mtime=0, filename="") as compressed:
        with tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive:
            for relative, path in _iter_snapshot(digest):
                status = path.stat()
                info = tarfile.TarInfo(relative)
                info.size = status.st_size
                info.mode = 0o755 if status.st_mode & stat.S_IXUSR else 0o644
                info.mtime = 0
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                with path.open("rb") as file:
                    archive.addfile(info, file)


def copy_snapshot_to(digest: str, destination: Path) -> None:
    """Materialise the snapshot's files under `destination` (created), as writable copies."""
    files = list(_iter_snapshot(digest))
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    for relative, path in files:
        target = destination.joinpath(*relative.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.is_file():
            target.unlink()
        shutil.copyfile(path, target)
        target.chmod(0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644)
