"""Packing local folders for upload, and a multipart body that reports its progress.

Folders go up as .tar.gz with paths relative to the folder (no top-level directory), so the
server's snapshot of the archive has the digest of the folder itself. The server applies
`.amlignore` / `.gitignore`; here only `.git/` and `__pycache__/` are left out. Symbolic links
are kept when they point inside the folder and refused when they point outside it.
"""

from __future__ import annotations

import io
import os
import sys
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from studio.errors import StudioError

SKIPPED_NAMES = frozenset({".git", "__pycache__"})
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
PROGRESS_THRESHOLD_BYTES = 4 * 1024 * 1024
CHUNK_BYTES = 256 * 1024


class PackingError(StudioError):
    """Raised when a folder cannot be packed (a link leaving it, an unreadable file; 400)."""


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def pack_folder(folder: Path) -> IO[bytes]:
    """The folder as a .tar.gz in a (spooled) temporary file, rewound to its start."""
    root = os.path.realpath(folder)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)
    try:
        with tarfile.open(fileobj=spool, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as archive:
            for directory, subdirectories, files in os.walk(root, followlinks=False):
                subdirectories[:] = sorted(name for name in subdirectories if name not in SKIPPED_NAMES)
                for name in sorted([*subdirectories, *files]):
                    if name in SKIPPED_NAMES:
                        continue
                    path = os.path.join(directory, name)
                    relative = os.path.relpath(path, root).replace(os.sep, "/")
                    if os.path.islink(path):
                        _add_link(archive, path, relative, root)
                        if name in subdirectories:
                            subdirectories.remove(name)  # the link is kept; the server follows it
                    elif os.path.isdir(path):
                        archive.add(path, arcname=relative, recursive=False)
                    elif os.path.isfile(path):
                        _add_file(archive, path, relative)
                    else:
                        raise PackingError(f"{relative}: not a regular file, folder or symbolic link")
    except OSError as error:
        spool.close()
        raise PackingError(f"cannot pack {folder}: {error}") from None
    except PackingError:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _add_file(archive: tarfile.TarFile, path: str, relative: str) -> None:
    info = archive.gettarinfo(path, arcname=relative)
    info.type = tarfile.REGTYPE  # never a hard-link member: each file stands on its own
    info.linkname = ""
    info.size = os.stat(path).st_size
    info.uname = info.gname = ""
    info.uid = info.gid = 0
    with open(path, "rb") as content:
        archive.addfile(info, content)


def _add_link(archive: tarfile.TarFile, path: str, relative: str, root: str) -> None:
    target = os.readlink(path)
    real = os.path.realpath(path)
    if not _is_within(real, root):
        raise PackingError(f"{relative}: symbolic link to {target!r} points outside the folder")
    if not os.path.exists(real):
        raise PackingError(f"{relative}: symbolic link to {target!r} is dangling")
    info = tarfile.TarInfo(relative)
    info.type = tarfile.SYMTYPE
    # Relative, so the link still resolves inside the folder wherever it is unpacked.
    info.linkname = os.path.relpath(real, os.path.dirname(os.path.join(root, relative))).replace(os.sep, "/")
    info.mode = 0o777
    info.mtime = int(os.lstat(path).st_mtime)
    archive.addfile(info)


def stream_size(stream: IO[bytes]) -> int:
    """The number of bytes from the stream's position to its end; the position is kept."""
    start = stream.tell()
    stream.seek(0, io.SEEK_END)
    end = stream.tell()
    stream.seek(start)
    return end - start


def format_size(size: float) -> str:
    """Bytes as B, kB, MB or GB (powers of 1000, one decimal)."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


@dataclass
class Part:
    """One part of a multipart/form-data body."""

    name: str
    filename: str
    content: IO[bytes] | bytes
    content_type: str = "application/octet-stream"

    def size(self) -> int:
        if isinstance(self.content, bytes):
            return len(self.content)
        return stream_size(self.content)


class MultipartBody:
    """A multipart/form-data body read part by part from files, with a known length.

    requests sends it with a Content-Length and reads it in blocks, so large archives are not
    held in memory twice; `on_progress(sent, total)` is called as blocks go out.
    """

    def __init__(self, parts: list[Part], *, on_progress: Callable[[int, int], None] | None = None) -> None:
        self.boundary = f"studio-{uuid.uuid4().hex}"
        self.on_progress = on_progress
        self._segments: list[IO[bytes] | bytes] = []
        for part in parts:
            filename = part.filename.replace('"', "%22").replace("\r", " ").replace("\n", " ")
            head = (
                f"--{self.boundary}\r\n"
                f'Content-Disposition: form-data; name="{part.name}"; filename="{filename}"\r\n'
                f"Content-Type: {part.content_type}\r\n\r\n"
            ).encode()
            self._segments += [head, part.content, b"\r\n"]
        self._segments.append(f"--{self.boundary}--\r\n".encode())
        self._starts = [stream.tell() if not isinstance(stream, bytes) else 0 for stream in self._segments]
        self.total = sum(
            len(segment) if isinstance(segment, bytes) else stream_size(segment) for segment in self._segments
        )
        self.sent = 0
        self._index = 0
        self._offset = 0

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[bytes]:
        while True:
            chunk = self.read(CHUNK_BYTES)
            if not chunk:
                return
            yield chunk

    def read(self, size: int = -1) -> bytes:
        """The next `size` bytes of the body (all that is left with -1)."""
        wanted = self.total if size is None or size < 0 else size
        pieces: list[bytes] = []
        while wanted > 0 and self._index < len(self._segments):
            segment = self._segments[self._index]
            if isinstance(segment, bytes):
                piece = segment[self._offset : self._offset + wanted]
                self._offset += len(piece)
                if self._offset >= len(segment):
                    self._index, self._offset = self._index + 1, 0
            else:
                piece = segment.read(wanted)
                if not piece:
                    self._index, self._offset = self._index + 1, 0
                    continue
            pieces.append(piece)
            wanted -= len(piece)
        data = b"".join(pieces)
        self.sent += len(data)
        if data and self.on_progress is not None:
            self.on_progress(self.sent, self.total)
        return data

    def rewind(self) -> None:
        """Start again from the first byte (for a retried request)."""
        for segment, start in zip(self._segments, self._starts, strict=True):
            if not isinstance(segment, bytes):
                segment.seek(start)
        self.sent = self._index = self._offset = 0


class UploadProgress:
    """Progress of a large upload on stderr: a live line on a terminal, a line per quarter otherwise."""

    def __init__(self, label: str, total: int, *, stream: IO[str] | None = None) -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.enabled = total >= PROGRESS_THRESHOLD_BYTES
        self._next_quarter = 1
        self._last_draw = 0.0
        if self.enabled:
            print(f"Uploading {label} ({format_size(total)})…", file=self.stream, flush=True)

    def __call__(self, sent: int, total: int) -> None:
        if not self.enabled:
            return
        percent = 100 * sent // max(total, 1)
        if self.live:
            now = time.monotonic()
            if sent >= total or now - self._last_draw > 0.1:
                self._last_draw = now
                self.stream.write(f"\r  {format_size(sent)} of {format_size(total)} sent ({percent}%)")
                if sent >= total:
                    self.stream.write("\n")
                self.stream.flush()
            return
        while self._next_quarter <= 4 and sent * 4 >= total * self._next_quarter:
            print(
                f"  {format_size(sent)} of {format_size(total)} sent ({percent}%)",
                file=self.stream,
                flush=True,
            )
            self._next_quarter += 1
