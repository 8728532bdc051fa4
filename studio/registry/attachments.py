"""Where the files a definition points at come from: a local folder, or uploaded parts.

A definition names local paths (`code: ./src`, `conda_file: conda.yml`, `path: data/`). Read
from disk (the built-in library, tests) they resolve against the definition's folder; sent over
the API they arrive as upload parts named after the field (`code`, `build`, `conda_file`,
`path`), folders as archives. The CLI packs them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from studio.schemas.loading import DefinitionError
from studio.storage.archives import snapshot_archive
from studio.storage.layout import Snapshot, StorageError
from studio.storage.snapshotting import snapshot_file, snapshot_folder

MAX_TEXT_BYTES = 1024 * 1024


class Attachments:
    """The files a definition refers to."""

    filename: str

    def folder(self, field: str, path: str) -> Snapshot:
        """Store the folder a field names and return its snapshot."""
        raise NotImplementedError

    def file(self, field: str, path: str) -> Snapshot:
        """Store the single file a field names and return its snapshot."""
        raise NotImplementedError

    def text(self, field: str, path: str) -> str:
        """The text of a small file a field names (a conda file)."""
        raise NotImplementedError

    def name_of(self, field: str, path: str) -> str:
        """What to call the file a field names in a warning about its contents: the path as written."""
        return path

    def _fail(self, field: str, message: str):
        raise DefinitionError.single(self.filename, field, message)


class LocalAttachments(Attachments):
    """Paths relative to the folder of the definition file, refusing paths that leave it."""

    def __init__(self, base_dir: Path, *, filename: str) -> None:
        self.base_dir = base_dir.resolve()
        self.filename = filename

    def _resolve(self, field: str, path: str) -> Path:
        target = (self.base_dir / path).resolve()
        if target != self.base_dir and self.base_dir not in target.parents:
            self._fail(field, f"{path!r} leaves the folder of the definition; use a path inside it")
        if not target.exists():
            self._fail(field, f"{path!r} does not exist (relative to {self.base_dir})")
        return target

    def name_of(self, field: str, path: str) -> str:
        """The file's full path on this machine (a definition's paths are relative to its folder)."""
        return str(self._resolve(field, path))

    def folder(self, field: str, path: str) -> Snapshot:
        target = self._resolve(field, path)
        if not target.is_dir():
            self._fail(field, f"{path!r} is a file; a folder is expected here")
        try:
            return snapshot_folder(target)
        except StorageError as error:
            self._fail(field, str(error))

    def file(self, field: str, path: str) -> Snapshot:
        target = self._resolve(field, path)
        if not target.is_file():
            self._fail(field, f"{path!r} is a folder; a file is expected here")
        try:
            return snapshot_file(target)
        except StorageError as error:
            self._fail(field, str(error))

    def text(self, field: str, path: str) -> str:
        target = self._resolve(field, path)
        if not target.is_file():
            self._fail(field, f"{path!r} is a folder; a file is expected here")
        if target.stat().st_size > MAX_TEXT_BYTES:
            self._fail(field, f"{path!r} is larger than {MAX_TEXT_BYTES // 1024} KiB")
        try:
            return target.read_text()
        except UnicodeDecodeError:
            self._fail(field, f"{path!r} is not UTF-8 text")


class UploadedAttachments(Attachments):
    """Upload parts of an API request, keyed by field name."""

    def __init__(self, parts: dict, *, filename: str) -> None:
        self.parts = parts
        self.filename = filename

    def _part(self, field: str, path: str):
        part = self.parts.get(field)
        if part is None:
            self._fail(
                field,
                f"{path!r} is a local path: upload it as the multipart part {field!r} "
                "(folders as .tar.gz or .zip; the studio CLI does this)",
            )
        part.seek(0)
        return part

    def folder(self, field: str, path: str) -> Snapshot:
        try:
            return snapshot_archive(self._part(field, path))
        except StorageError as error:
            self._fail(field, str(error))

    def file(self, field: str, path: str) -> Snapshot:
        part = self._part(field, path)
        name = Path(path).name or getattr(part, "name", "data")
        if name in (".", ".."):  # `path: ..` names a folder; it cannot be the stored file's name
            self._fail(field, f"{path!r} names a folder, not a file; give the file's name (e.g. data.csv)")
        with tempfile.TemporaryDirectory() as scratch:
            target = Path(scratch) / name
            with target.open("wb") as handle:
                for chunk in (
                    part.chunks() if hasattr(part, "chunks") else iter(lambda: part.read(65536), b"")
                ):
                    handle.write(chunk)
            try:
                return snapshot_file(target, name=name)
            except StorageError as error:
                self._fail(field, str(error))

    def text(self, field: str, path: str) -> str:
        part = self._part(field, path)
        raw = part.read(MAX_TEXT_BYTES + 1)
        if len(raw) > MAX_TEXT_BYTES:
            self._fail(field, f"{path!r} is larger than {MAX_TEXT_BYTES // 1024} KiB")
        try:
            return raw.decode()
        except UnicodeDecodeError:
            self._fail(field, f"{path!r} is not UTF-8 text")
