"""Extraction: the one safe extractor of archives, for uploads and for a container's results."""

from __future__ import annotations

import os
import stat
import tarfile
from pathlib import Path
from typing import IO

from studio.storage.layout import _CHUNK, StorageError, _is_within, _too_many_bytes, _too_many_files

SPECIAL_MEMBER = "device, fifo and other special members are not allowed"


class UnsafeArchiveError(StorageError):
    """Raised when an archive member would escape the extraction root or is a device or fifo."""


def member_parts(name: str) -> tuple[str, ...]:
    """The components of an archive member's name; UnsafeArchiveError for absolute paths and `..`."""
    if "\x00" in name:
        raise UnsafeArchiveError(f"{name!r}: NUL in a member name")
    if name.startswith("/"):
        raise UnsafeArchiveError(f"{name}: absolute member paths are not allowed")
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if ".." in parts:
        raise UnsafeArchiveError(f"{name}: '..' is not allowed in a member path")
    return parts


def check_uploaded_name(name: str) -> None:
    """UnsafeArchiveError for an uploaded archive's member name with a control character (a newline,
    tab, escape: they break listings, logs and headers) or a backslash (a Windows path: `..\\x`
    is one odd file here but leaves the folder where `studio job download` writes it on Windows).
    A step's own outputs (extract_folder_tar) keep whatever names the step gave them."""
    if any(ord(character) < 32 or ord(character) == 127 for character in name):
        raise UnsafeArchiveError(f"{name!r}: a control character (newline, tab, escape…) in a member name")
    if "\\" in name:
        raise UnsafeArchiveError(f"{name}: a backslash in a member name (a Windows path) is not allowed")


class Extractor:
    """Writes archive members under a root, refusing anything that would land outside it."""

    def __init__(self, root: Path, max_bytes: int, max_files: int, *, keep_attributes: bool = False) -> None:
        """Extract into the empty folder `root` within the given limits.

        `keep_attributes`: files keep their mode (as tarfile's data filter leaves it) and their
        time; otherwise a file is 0o755 when its owner may execute it, else 0o644.
        """
        self.root = os.path.realpath(root)
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.keep_attributes = keep_attributes
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
        self._folder(member_parts(name), name)

    def file(
        self,
        name: str,
        content: IO[bytes],
        declared_size: int,
        executable: bool,
        *,
        mode: int | None = None,
        mtime: float | None = None,
    ) -> None:
        """Extract a regular file, counting bytes and stopping as soon as the limit is passed.

        `mode` and `mtime` are used when the extractor keeps attributes.
        """
        parts = member_parts(name)
        if self.bytes + declared_size > self.max_bytes:
            raise _too_many_bytes(self.max_bytes, self.bytes + declared_size, name)
        path = self._new_path(parts, name)
        if not self.keep_attributes or mode is None:
            mode = 0o755 if executable else 0o644
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(path, flags, mode), "wb") as out:
            os.fchmod(out.fileno(), mode)
            while chunk := content.read(_CHUNK):
                self.bytes += len(chunk)
                if self.bytes > self.max_bytes:
                    raise _too_many_bytes(self.max_bytes, self.bytes, name)
                out.write(chunk)
        if self.keep_attributes and mtime is not None:
            os.utime(path, (mtime, mtime), follow_symlinks=False)

    def symlink(self, name: str, target: str) -> None:
        """Extract a symbolic link whose target must stay inside the root."""
        parts = member_parts(name)
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
        member_parts(name)
        try:
            target_parts = member_parts(target)
        except UnsafeArchiveError:
            raise UnsafeArchiveError(f"{name}: hard link to {target!r} points outside the archive") from None
        source = os.path.join(self.root, *target_parts)
        for depth in range(1, len(target_parts) + 1):
            if os.path.islink(os.path.join(self.root, *target_parts[:depth])):
                raise UnsafeArchiveError(f"{name}: hard link to {target!r} goes through a symbolic link")
        if not target_parts or not os.path.isfile(source):
            raise UnsafeArchiveError(f"{name}: hard link to {target!r}, which is not an earlier file member")
        status = os.stat(source)
        executable = bool(status.st_mode & stat.S_IXUSR)
        with open(source, "rb") as content:
            self.file(
                name,
                content,
                status.st_size,
                executable,
                mode=stat.S_IMODE(status.st_mode),
                mtime=status.st_mtime,
            )

    def finish(self) -> None:
        """Check every symbolic link again, now that later members can no longer change them."""
        for name, path in self.links:
            self._check_link(name, path)


def extract_tar_member(extractor: Extractor, archive: tarfile.TarFile, member: tarfile.TarInfo) -> None:
    """Check one tar member (own checks, then tarfile's data filter) and extract it."""
    name = member.name
    member_parts(name)
    if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        raise UnsafeArchiveError(f"{name}: {SPECIAL_MEMBER}")
    if member.issym() and member.linkname.startswith("/"):
        raise UnsafeArchiveError(f"{name}: symbolic link to {member.linkname!r} points outside the archive")
    if member.islnk():
        try:
            member_parts(member.linkname)
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
        extractor.file(
            name, content, member.size, bool(mode & stat.S_IXUSR), mode=mode & 0o777, mtime=member.mtime
        )


# A container's results are as big as the step made them.
_UNLIMITED = 1 << 62


def _strip_top(name: str) -> str | None:
    """A member name without the archive's top folder (the copied folder's own name)."""
    parts = [part for part in name.split("/") if part not in ("", ".")]
    return "/".join(parts[1:]) if len(parts) > 1 else None


def extract_folder_tar(stream: IO[bytes], root: Path) -> None:
    """Extract a tar of one folder (Docker's `get_archive`) into the empty folder `root`.

    Members lose the archive's top folder (the copied folder's own name). Every check of
    `Extractor` applies (absolute names, `..`, paths through links, links resolving outside,
    tarfile's data filter); devices, fifos and sockets are skipped, never brought back. Files
    keep their mode (less what the data filter drops) and time; there is no size limit.
    """
    extractor = Extractor(root, _UNLIMITED, _UNLIMITED, keep_attributes=True)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                member_parts(member.name)  # before stripping: `out/../x` is refused, not shortened
                if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
                    continue  # fifos, sockets, devices: never brought back
                relative = _strip_top(member.name)
                if relative is None:
                    continue  # the folder itself
                if member.islnk():
                    link = member.linkname
                    target = _strip_top(link)
                    if target is None or link.startswith("/") or ".." in link.split("/"):
                        raise UnsafeArchiveError(f"{relative}: hard link to {link!r} points outside")
                    member.linkname = target
                member.name = relative
                extract_tar_member(extractor, archive, member)
    except tarfile.TarError as error:
        raise StorageError(f"not a readable tar archive: {error}") from None
    extractor.finish()
