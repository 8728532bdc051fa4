"""Making snapshots: a folder (after its ignore files) or one file, stored by content."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import IO, Literal

import pathspec

from studio.storage.layout import (
    _CHUNK,
    _MANIFEST_HEADER,
    Snapshot,
    StorageError,
    _Entry,
    _is_within,
    _limits,
    _scratch_root,
    _too_many_bytes,
    _too_many_files,
)

ALWAYS_EXCLUDED = frozenset({".git", "__pycache__"})
IGNORE_FILE_NAMES = (".amlignore", ".gitignore")

_MAX_IGNORE_FILE_BYTES = 1024 * 1024
# (folder prefix, spec) of the ignore files in force, outermost first.
_Specs = tuple[tuple[str, pathspec.GitIgnoreSpec], ...]


def _ignore_spec(directory: str, root: str) -> pathspec.GitIgnoreSpec | None:
    """The folder's `.amlignore`, else its `.gitignore`, as a spec; None when it has neither."""
    for name in IGNORE_FILE_NAMES:
        path = os.path.join(directory, name)
        if not os.path.isfile(path) or not _is_within(os.path.realpath(path), root):
            continue
        with open(path, "rb") as file:
            text = file.read(_MAX_IGNORE_FILE_BYTES).decode("utf-8", errors="replace")
        return pathspec.GitIgnoreSpec.from_lines(text.splitlines())
    return None


def _is_ignored(relative: str, is_dir: bool, specs: _Specs) -> bool:
    """Whether the ignore files in force exclude `relative`; the deepest one that matches decides."""
    ignored = False
    for prefix, spec in specs:
        candidate = relative[len(prefix) :] + ("/" if is_dir else "")
        decision = spec.check_file(candidate).include
        if decision is not None:
            ignored = decision
    return ignored


def _collect_folder(
    source: Path, max_bytes: int, max_files: int, *, skip_links: bool = False
) -> list[_Entry]:
    """The files of `source` to snapshot, after ignore files, with symlinks checked (or left out)."""
    if not source.exists():
        raise StorageError(f"{source}: no such folder")
    root = os.path.realpath(source)
    if not os.path.isdir(root):
        raise StorageError(f"{source}: not a folder")
    entries: list[_Entry] = []
    total = 0
    stack: list[tuple[str, str, _Specs, frozenset[str]]] = [(root, "", (), frozenset({root}))]
    while stack:
        directory, prefix, specs, ancestors = stack.pop()
        spec = _ignore_spec(directory, root)
        if spec is not None:
            specs = (*specs, (prefix, spec))
        try:
            names = sorted(os.listdir(directory))
        except OSError as error:
            raise StorageError(f"{prefix or '.'}: cannot list this folder: {error.strerror}") from None
        for name in names:
            relative = prefix + name
            try:
                relative.encode("utf-8")
            except UnicodeEncodeError:
                raise StorageError(f"{relative!r}: file names must be valid UTF-8") from None
            if name in ALWAYS_EXCLUDED:
                continue
            path = os.path.join(directory, name)
            if skip_links and os.path.islink(path):
                continue
            if _is_ignored(relative, os.path.isdir(path), specs):
                continue
            real = path
            if os.path.islink(path):
                real = os.path.realpath(path)
                if not _is_within(real, root):
                    raise StorageError(
                        f"{relative}: symbolic link to {os.readlink(path)!r} points outside the folder"
                    )
                if not os.path.exists(real):
                    raise StorageError(f"{relative}: symbolic link to {os.readlink(path)!r} is dangling")
            status = os.stat(real)
            if stat.S_ISDIR(status.st_mode):
                if real in ancestors:
                    raise StorageError(f"{relative}: symbolic link loop")
                stack.append((real, relative + "/", specs, ancestors | {real}))
            elif stat.S_ISREG(status.st_mode):
                entries.append(_Entry(relative, real, bool(status.st_mode & stat.S_IXUSR)))
                total += status.st_size
                if len(entries) > max_files:
                    raise _too_many_files(max_files, len(entries), relative)
                if total > max_bytes:
                    raise _too_many_bytes(max_bytes, total, relative)
            else:
                raise StorageError(f"{relative}: not a regular file, folder or symbolic link")
    return entries


def _copy_hashed(entry: _Entry, destination: IO[bytes] | None, budget: int, limit: int) -> tuple[str, int]:
    """Hash (and copy when `destination` is given) one file; (sha256 hex, size) within `budget`."""
    digest = hashlib.sha256()
    size = 0
    try:
        descriptor = os.open(entry.source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as error:
        raise StorageError(f"{entry.relative}: cannot read this file: {error.strerror}") from None
    with os.fdopen(descriptor, "rb") as file:
        while chunk := file.read(_CHUNK):
            size += len(chunk)
            if size > budget:
                raise _too_many_bytes(limit, limit - budget + size, entry.relative)
            digest.update(chunk)
            if destination is not None:
                destination.write(chunk)
    return digest.hexdigest(), size


def _store(entries: list[_Entry], *, max_bytes: int, kind: Literal["folder", "file"]) -> Snapshot:
    """Hash the entries, and copy them into the store unless a snapshot with that digest exists."""
    entries = sorted(entries, key=lambda entry: entry.relative)
    hashes: list[str] = []
    total = 0
    manifest = hashlib.sha256(_MANIFEST_HEADER)
    for entry in entries:
        file_hash, size = _copy_hashed(entry, None, max_bytes - total, max_bytes)
        total += size
        hashes.append(file_hash)
        flag = b"x" if entry.executable else b"-"
        manifest.update(entry.relative.encode("utf-8") + b"\0" + flag + b"\0" + file_hash.encode() + b"\n")
    snapshot = Snapshot(digest=manifest.hexdigest(), size_bytes=total, file_count=len(entries), kind=kind)
    target = snapshot.path
    if target.is_dir():
        return snapshot
    temporary = Path(tempfile.mkdtemp(prefix=f"{snapshot.digest[:16]}-", dir=_scratch_root()))
    try:
        for entry, expected in zip(entries, hashes, strict=True):
            destination = temporary.joinpath(*entry.relative.split("/"))
            destination.parent.mkdir(parents=True, exist_ok=True)
            with destination.open("xb") as file:
                actual, _ = _copy_hashed(entry, file, max_bytes, max_bytes)
            if actual != expected:
                raise StorageError(f"{entry.relative}: the file changed while it was being snapshotted")
            destination.chmod(0o555 if entry.executable else 0o444)
        for directory, _, _ in os.walk(temporary):
            os.chmod(directory, 0o755)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(temporary, target)
        except OSError:
            if not target.is_dir():
                raise
            # Another writer stored the same tree first; its copy is identical, ours is dropped.
    finally:
        if temporary.exists():
            shutil.rmtree(temporary)
    return snapshot


def snapshot_folder(
    source: Path, *, max_bytes: int | None = None, max_files: int | None = None, skip_links: bool = False
) -> Snapshot:
    """Store the folder's files (after `.amlignore`/`.gitignore`) as a snapshot; idempotent.

    Symbolic links that resolve inside `source` are stored as the files (or folders) they point
    to; links that point outside it, dangling links and link loops raise StorageError. With
    `skip_links` (a step's output, whose hash leaves links out) every link is left out instead.
    """
    max_bytes, max_files = _limits(max_bytes, max_files)
    entries = _collect_folder(Path(source), max_bytes, max_files, skip_links=skip_links)
    return _store(entries, max_bytes=max_bytes, kind="folder")


def snapshot_file(source: Path, *, name: str | None = None, max_bytes: int | None = None) -> Snapshot:
    """Store one file as a snapshot folder holding just that file, under `name` (default: its own)."""
    max_bytes, _ = _limits(max_bytes, None)
    source = Path(source)
    name = source.name if name is None else name
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise StorageError(f"{name!r}: not a valid file name")
    real = os.path.realpath(source)
    if not os.path.isfile(real):
        raise StorageError(f"{source}: no such file")
    status = os.stat(real)
    if status.st_size > max_bytes:
        raise _too_many_bytes(max_bytes, status.st_size, name)
    entry = _Entry(name, real, bool(status.st_mode & stat.S_IXUSR))
    return _store([entry], max_bytes=max_bytes, kind="file")
