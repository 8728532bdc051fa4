"""The filesystem layout of the artifact store: immutable, content-addressed snapshots.

This is the only module that knows where snapshots live. Component `code:` folders, environment
build contexts and data assets are stored as `ARTIFACTS_ROOT/snapshots/<digest[:2]>/<digest>/`,
where the digest is a sha256 over the sorted (relative path, executable bit, content sha256) of
every file, so the same tree always gets the same digest whatever its mtimes or walk order.
Stored files are read-only; folders only hold files (empty folders are not recorded).

Ignore files: in every folder of a snapshotted tree, `.amlignore` is used when present, otherwise
`.gitignore` (Azure ML's rule, applied per folder the way git applies nested ignore files: the
patterns of a subfolder's ignore file are relative to that subfolder and win over its parents').
`.git` and `__pycache__` are always left out; the ignore files themselves are kept.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Literal

import pathspec
from django.conf import settings

DEFAULT_MAX_SNAPSHOT_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_SNAPSHOT_FILES = 10_000
ALWAYS_EXCLUDED = frozenset({".git", "__pycache__"})
IGNORE_FILE_NAMES = (".amlignore", ".gitignore")

_CHUNK = 1024 * 1024
_DIGEST = re.compile(r"[0-9a-f]{64}")
_MANIFEST_HEADER = b"studio-snapshot-v1\n"
_MAX_IGNORE_FILE_BYTES = 1024 * 1024
_MAX_LINK_TARGET_BYTES = 4096
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    RuntimeError,
    EOFError,
    zlib.error,
    NotImplementedError,
)
_SPECIAL_MEMBER = "device, fifo and other special members are not allowed"
# (folder prefix, spec) of the ignore files in force, outermost first.
_Specs = tuple[tuple[str, pathspec.GitIgnoreSpec], ...]
# Tar headers, pax records and padding a member may add on top of its content.
_TAR_OVERHEAD_PER_MEMBER = 4096


class StorageError(ValueError):
    """Raised when a snapshot cannot be made or read: a bad source, digest or path."""


class UnsafeArchiveError(StorageError):
    """Raised when an archive member would escape the extraction root or is a device or fifo."""


class SnapshotTooLargeError(StorageError):
    """Raised when a snapshot's total size or file count passes its limit."""


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


# --- Layout -------------------------------------------------------------------------------------


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


# --- Reading snapshots --------------------------------------------------------------------------


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


# --- Making snapshots ---------------------------------------------------------------------------


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


def _collect_folder(source: Path, max_bytes: int, max_files: int) -> list[_Entry]:
    """The files of `source` to snapshot, after ignore files, with symlinks checked."""
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


def snapshot_folder(source: Path, *, max_bytes: int | None = None, max_files: int | None = None) -> Snapshot:
    """Store the folder's files (after `.amlignore`/`.gitignore`) as a snapshot; idempotent.

    Symbolic links that resolve inside `source` are stored as the files (or folders) they point
    to; links that point outside it, dangling links and link loops raise StorageError.
    """
    max_bytes, max_files = _limits(max_bytes, max_files)
    entries = _collect_folder(Path(source), max_bytes, max_files)
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


# --- Archives -----------------------------------------------------------------------------------


class _LimitedReader:
    """A read-only stream that raises SnapshotTooLargeError once more than `limit` bytes are read."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        """Wrap `stream`, allowing at most `limit` bytes through."""
        self._stream = stream
        self._limit = limit
        self._count = 0

    def read(self, size: int = -1) -> bytes:
        """Read up to `size` bytes; StorageError when the stream cannot be decompressed."""
        if size is None or size < 0:
            size = self._limit - self._count + 1
        try:
            data = self._stream.read(size)
        except (OSError, EOFError, zlib.error, lzma.LZMAError) as error:
            raise StorageError(f"the archive cannot be decompressed: {error}") from None
        self._count += len(data)
        if self._count > self._limit:
            raise SnapshotTooLargeError(
                f"the archive unpacks to more than its limit of {self._limit} bytes "
                f"(files plus tar headers; read {self._count} bytes)"
            )
        return data


def _member_parts(name: str) -> tuple[str, ...]:
    """The components of an archive member's name; UnsafeArchiveError for absolute paths and `..`."""
    if "\x00" in name:
        raise UnsafeArchiveError(f"{name!r}: NUL in a member name")
    if name.startswith("/"):
        raise UnsafeArchiveError(f"{name}: absolute member paths are not allowed")
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if ".." in parts:
        raise UnsafeArchiveError(f"{name}: '..' is not allowed in a member path")
    return parts


class _Extractor:
    """Writes archive members under a root, refusing anything that would land outside it."""

    def __init__(self, root: Path, max_bytes: int, max_files: int) -> None:
        """Extract into the empty folder `root` within the given limits."""
        self.root = os.path.realpath(root)
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.bytes = 0
        self.files = 0
        self.folders = 0
        self.links: list[tuple[str, str]] = []

    def _folder(self, parts: tuple[str, ...], name: str) -> str:
        """Create the folders `parts` (no symbolic links on the way) and return the last one."""
        current = self.root
        for depth, part in enumerate(parts, start=1):
            current = os.path.join(current, part)
            if os.path.islink(current):
                link = "/".join(parts[:depth])
                raise UnsafeArchiveError(f"{name}: its path goes through the symbolic link {link}")
            if os.path.isdir(current):
                continue
            if os.path.lexists(current):
                raise StorageError(f"{name}: {part} is both a file and a folder in the archive")
            self.folders += 1
            if self.folders > self.max_files:
                raise _too_many_files(self.max_files, self.folders, f"{name} (folders)")
            os.mkdir(current, 0o755)
        return current

    def _new_path(self, parts: tuple[str, ...], name: str) -> str:
        """The path for a new non-folder member, replacing an earlier member of the same name."""
        if not parts:
            raise StorageError(f"{name!r}: a file member needs a name")
        self.files += 1
        if self.files > self.max_files:
            raise _too_many_files(self.max_files, self.files, name)
        path = os.path.join(self._folder(parts[:-1], name), parts[-1])
        if os.path.islink(path) or os.path.isfile(path):
            os.unlink(path)
        elif os.path.lexists(path):
            raise StorageError(f"{name}: is both a file and a folder in the archive")
        return path

    def folder(self, name: str) -> None:
        """Extract a folder member."""
        self._folder(_member_parts(name), name)

    def file(self, name: str, content: IO[bytes], declared_size: int, executable: bool) -> None:
        """Extract a regular file, counting bytes and stopping as soon as the limit is passed."""
        parts = _member_parts(name)
        if self.bytes + declared_size > self.max_bytes:
            raise _too_many_bytes(self.max_bytes, self.bytes + declared_size, name)
        path = self._new_path(parts, name)
        mode = 0o755 if executable else 0o644
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(path, flags, mode), "wb") as out:
            os.fchmod(out.fileno(), mode)
            while chunk := content.read(_CHUNK):
                self.bytes += len(chunk)
                if self.bytes > self.max_bytes:
                    raise _too_many_bytes(self.max_bytes, self.bytes, name)
                out.write(chunk)

    def symlink(self, name: str, target: str) -> None:
        """Extract a symbolic link whose target must stay inside the root."""
        parts = _member_parts(name)
        if not target or "\x00" in target or target.startswith("/"):
            raise UnsafeArchiveError(f"{name}: symbolic link to {target!r} points outside the archive")
        lexical = os.path.normpath(os.path.join(*parts[:-1], target) if parts[:-1] else target)
        if lexical == ".." or lexical.startswith("../"):
            raise UnsafeArchiveError(f"{name}: symbolic link to {target!r} points outside the archive")
        path = self._new_path(parts, name)
        os.symlink(target, path)
        self.links.append((name, path))
        self._check_link(name, path)

    def _check_link(self, name: str, path: str) -> None:
        """UnsafeArchiveError unless the link at `path` resolves inside the root."""
        if not _is_within(os.path.realpath(path), self.root):
            raise UnsafeArchiveError(
                f"{name}: symbolic link to {os.readlink(path)!r} resolves outside the archive"
            )

    def hardlink(self, name: str, target: str) -> None:
        """Extract a hard link as a copy of an earlier regular-file member."""
        _member_parts(name)
        try:
            target_parts = _member_parts(target)
        except UnsafeArchiveError:
            raise UnsafeArchiveError(f"{name}: hard link to {target!r} points outside the archive") from None
        source = os.path.join(self.root, *target_parts)
        for depth in range(1, len(target_parts) + 1):
            if os.path.islink(os.path.join(self.root, *target_parts[:depth])):
                raise UnsafeArchiveError(f"{name}: hard link to {target!r} goes through a symbolic link")
        if not target_parts or not os.path.isfile(source):
            raise UnsafeArchiveError(f"{name}: hard link to {target!r}, which is not an earlier file member")
        executable = bool(os.stat(source).st_mode & stat.S_IXUSR)
        with open(source, "rb") as content:
            self.file(name, content, os.path.getsize(source), executable)

    def finish(self) -> None:
        """Check every symbolic link again, now that later members can no longer change them."""
        for name, path in self.links:
            self._check_link(name, path)


def _tar_member(extractor: _Extractor, archive: tarfile.TarFile, member: tarfile.TarInfo) -> None:
    """Check one tar member (own checks, then tarfile's data filter) and extract it."""
    name = member.name
    _member_parts(name)
    if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        raise UnsafeArchiveError(f"{name}: {_SPECIAL_MEMBER}")
    if member.issym() and member.linkname.startswith("/"):
        raise UnsafeArchiveError(f"{name}: symbolic link to {member.linkname!r} points outside the archive")
    if member.islnk():
        try:
            _member_parts(member.linkname)
        except UnsafeArchiveError:
            raise UnsafeArchiveError(
                f"{name}: hard link to {member.linkname!r} points outside the archive"
            ) from None
    mode = member.mode
    data_filter = getattr(tarfile, "data_filter", None)
    if data_filter is not None:
        try:
            filtered = data_filter(member, extractor.root)
        except tarfile.FilterError as error:
            # tarfile's message names the server's temporary folder: give the reason only.
            raise UnsafeArchiveError(
                f"{name}: refused by tarfile's data filter ({type(error).__name__})"
            ) from None
        if filtered.mode is not None:
            mode = filtered.mode
    if member.isdir():
        extractor.folder(name)
    elif member.issym():
        extractor.symlink(name, member.linkname)
    elif member.islnk():
        extractor.hardlink(name, member.linkname)
    else:
        content = archive.extractfile(member)
        if content is None:
            raise StorageError(f"{name}: cannot read this member")
        extractor.file(name, content, member.size, bool(mode & stat.S_IXUSR))


def _extract_tar(stream: IO[bytes], compression: str, extractor: _Extractor) -> None:
    """Extract a (compressed) tar read sequentially, bounding the decompressed size."""
    decompressed: IO[bytes]
    if compression == "gz":
        decompressed = gzip.GzipFile(fileobj=stream, mode="rb")
    elif compression == "bz2":
        decompressed = bz2.BZ2File(stream, mode="rb")
    elif compression == "xz":
        decompressed = lzma.LZMAFile(stream, mode="rb")
    else:
        decompressed = stream
    members_allowed = 2 * extractor.max_files + 16
    limit = extractor.max_bytes + members_allowed * _TAR_OVERHEAD_PER_MEMBER
    limited = _LimitedReader(decompressed, limit)
    try:
        with tarfile.open(fileobj=limited, mode="r|") as archive:
            for member in archive:
                _tar_member(extractor, archive, member)
    except tarfile.TarError as error:
        raise StorageError(f"not a readable tar, tar.gz or zip archive: {error}") from None


def _extract_zip(stream: IO[bytes], extractor: _Extractor) -> None:
    """Extract a zip archive member by member, trusting neither names, types nor sizes."""
    try:
        with zipfile.ZipFile(stream) as archive:
            for info in archive.infolist():
                name = info.filename.replace("\\", "/")
                unix_mode = info.external_attr >> 16 if info.create_system == 3 else 0
                file_type = stat.S_IFMT(unix_mode)
                if info.is_dir() or file_type == stat.S_IFDIR:
                    extractor.folder(name)
                elif file_type == stat.S_IFLNK:
                    _member_parts(name)
                    if info.file_size > _MAX_LINK_TARGET_BYTES:
                        raise UnsafeArchiveError(f"{name}: symbolic link target is too long")
                    target = archive.read(info).decode("utf-8", errors="replace")
                    extractor.symlink(name, target)
                elif file_type in (0, stat.S_IFREG):
                    _member_parts(name)
                    with archive.open(info) as content:
                        extractor.file(name, content, info.file_size, bool(unix_mode & stat.S_IXUSR))
                else:
                    raise UnsafeArchiveError(f"{name}: {_SPECIAL_MEMBER}")
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        RuntimeError,
        EOFError,
        zlib.error,
        NotImplementedError,
    ) as error:
        raise StorageError(f"not a readable zip archive: {error}") from None


def _archive_kind(head: bytes) -> str:
    """'zip', 'gz', 'bz2', 'xz' or 'tar', from the archive's first bytes."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    return "tar"  # ustar, old-style tar, or not an archive at all: tarfile tells


def snapshot_archive(
    archive: Path | BinaryIO, *, max_bytes: int | None = None, max_files: int | None = None
) -> Snapshot:
    """Safely unpack a tar, tar.gz/.tgz (or .bz2/.xz) or zip, detected by content, and snapshot it.

    Members are extracted as they are, so an archive whose files sit in one top-level folder gives
    a snapshot with that folder (it is not stripped). Unsafe members raise UnsafeArchiveError and
    the size and file limits are enforced while extracting. The unpacked tree then goes through
    `snapshot_folder`, so `.amlignore`/`.gitignore` apply and the digest matches the folder's.
    """
    max_bytes, max_files = _limits(max_bytes, max_files)
    scratch = _scratch_root()
    workdir = Path(tempfile.mkdtemp(prefix="extract-", dir=scratch))
    try:
        root = workdir / "tree"
        root.mkdir()
        extractor = _Extractor(root, max_bytes, max_files)
        if isinstance(archive, (str, os.PathLike)):
            with open(archive, "rb") as stream:
                _extract_stream(stream, extractor, workdir)
        else:
            _extract_stream(archive, extractor, workdir)
        extractor.finish()
        return snapshot_folder(root, max_bytes=max_bytes, max_files=max_files)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _extract_stream(stream: IO[bytes], extractor: _Extractor, workdir: Path) -> None:
    """Detect the archive's kind and extract it; unseekable streams are spooled to `workdir` first."""
    seekable = getattr(stream, "seekable", None)
    if seekable is None or not seekable():
        with tempfile.TemporaryFile(dir=workdir) as spool:
            shutil.copyfileobj(stream, spool, _CHUNK)
            spool.seek(0)
            _extract_stream(spool, extractor, workdir)
        return
    start = stream.tell()
    head = stream.read(512)
    stream.seek(start)
    if not head:
        raise StorageError("the archive is empty")
    kind = _archive_kind(head)
    if kind == "zip":
        _extract_zip(stream, extractor)
    else:
        _extract_tar(stream, kind, extractor)


# --- Job artifacts ------------------------------------------------------------------------------


def job_dir(job: str) -> Path:
    """Where a job's step outputs, work folders and logs live."""
    return Path(settings.ARTIFACTS_ROOT) / "jobs" / job


def step_dir(job: str, step: str) -> Path:
    """The folder of one step: `<output>/` folders, `.work/` and `.log.jsonl`."""
    return job_dir(job) / step


def step_output_path(job: str, step: str, output: str, *, kind: str) -> Path:
    """Where a step writes an output: a folder, or for uri_file a file inside its folder."""
    folder = step_dir(job, step) / output
    return folder / output if kind == "uri_file" else folder


def tree_digest(path: Path) -> tuple[str, int]:
    """The digest and total size of a step output (folder or file), computed as snapshots are.

    Unlike snapshots, every file counts: ignore files do not apply to what a step produced.
    """
    if not path.exists():
        return "", 0
    if path.is_file():
        entries = [_Entry(path.name, str(path), os.access(path, os.X_OK))]
    else:
        entries = [
            _Entry(file.relative_to(path).as_posix(), str(file), os.access(file, os.X_OK))
            for file in sorted(path.rglob("*"))
            if file.is_file() and not file.is_symlink()
        ]
    manifest = hashlib.sha256(_MANIFEST_HEADER)
    total = 0
    for entry in sorted(entries, key=lambda item: item.relative):
        file_hash, size = _copy_hashed(entry, None, 1 << 62, 1 << 62)
        total += size
        flag = b"x" if entry.executable else b"-"
        manifest.update(entry.relative.encode("utf-8") + b"\0" + flag + b"\0" + file_hash.encode() + b"\n")
    return manifest.hexdigest(), total
