"""Archives: an uploaded tar, tar.gz/.bz2/.xz or zip, safely unpacked and snapshotted."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import IO, BinaryIO

from studio.storage.extraction import (
    SPECIAL_MEMBER,
    Extractor,
    UnsafeArchiveError,
    check_uploaded_name,
    extract_tar_member,
    member_parts,
)
from studio.storage.layout import (
    _CHUNK,
    Snapshot,
    SnapshotTooLargeError,
    StorageError,
    _limits,
    _scratch_root,
)
from studio.storage.snapshotting import snapshot_folder

_MAX_LINK_TARGET_BYTES = 4096
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    RuntimeError,
    EOFError,
    zlib.error,
    NotImplementedError,
)
# Tar headers, pax records and padding a member may add on top of its content.
_TAR_OVERHEAD_PER_MEMBER = 4096


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


def _extract_tar(stream: IO[bytes], compression: str, extractor: Extractor) -> None:
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
                check_uploaded_name(member.name)
                extract_tar_member(extractor, archive, member)
    except tarfile.TarError as error:
        raise StorageError(f"not a readable tar, tar.gz or zip archive: {error}") from None


def _extract_zip(stream: IO[bytes], extractor: Extractor) -> None:
    """Extract a zip archive member by member, trusting neither names, types nor sizes."""
    try:
        with zipfile.ZipFile(stream) as archive:
            for info in archive.infolist():
                if "\x00" in info.orig_filename:  # zipfile cuts the name at the NUL: refuse, never cut
                    raise UnsafeArchiveError(f"{info.orig_filename!r}: NUL in a member name")
                name = info.filename.replace("\\", "/")  # a zip's Windows separators read as '/'
                check_uploaded_name(name)
                unix_mode = info.external_attr >> 16 if info.create_system == 3 else 0
                file_type = stat.S_IFMT(unix_mode)
                if info.is_dir() or file_type == stat.S_IFDIR:
                    extractor.folder(name)
                elif file_type == stat.S_IFLNK:
                    member_parts(name)
                    if info.file_size > _MAX_LINK_TARGET_BYTES:
                        raise UnsafeArchiveError(f"{name}: symbolic link target is too long")
                    target = archive.read(info).decode("utf-8", errors="replace")
                    extractor.symlink(name, target)
                elif file_type in (0, stat.S_IFREG):
                    member_parts(name)
                    with archive.open(info) as content:
                        extractor.file(name, content, info.file_size, bool(unix_mode & stat.S_IXUSR))
                else:
                    raise UnsafeArchiveError(f"{name}: {SPECIAL_MEMBER}")
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
        extractor = Extractor(root, max_bytes, max_files)
        if isinstance(archive, (str, os.PathLike)):
            with open(archive, "rb") as stream:
                _extract_stream(stream, extractor, workdir)
        else:
            _extract_stream(archive, extractor, workdir)
        extractor.finish()
        return snapshot_folder(root, max_bytes=max_bytes, max_files=max_files)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _extract_stream(stream: IO[bytes], extractor: Extractor, workdir: Path) -> None:
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
