"""Storing the files a data or model `path:` names: local, uploaded, in a datastore, or stored.

Data assets know from their type whether `path` is a file or a folder; a custom model may be
either. Read from disk the answer is the filesystem's; uploaded, a folder arrives as the archive
the CLI packs (`path.tar.gz`), a file under its own name.
"""

from __future__ import annotations

from typing import Literal

from studio.datastores import DatastoreError, datastore_uri_path
from studio.registry.attachments import Attachments, LocalAttachments, UploadedAttachments
from studio.schemas.common import SNAPSHOT_REFERENCE
from studio.schemas.loading import DefinitionError
from studio.storage.layout import Snapshot, StorageError, snapshot_exists
from studio.storage.reading import describe_snapshot
from studio.storage.snapshotting import snapshot_file, snapshot_folder

Shape = Literal["file", "folder", "any"]
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip")


def _fail(filename: str, message: str):
    raise DefinitionError.single(filename, "path", message)


def _local_shape(attachments: Attachments, path: str) -> Literal["file", "folder"]:
    """Whether a local `path` of `any` shape is a file or a folder."""
    if isinstance(attachments, LocalAttachments):
        return "folder" if (attachments.base_dir / path).is_dir() else "file"
    if isinstance(attachments, UploadedAttachments):
        part = attachments.parts.get("path")
        uploaded = str(getattr(part, "name", "") or "").lower()
        names_archive = path.rstrip("/").lower().endswith(ARCHIVE_SUFFIXES)
        if part is not None and uploaded.endswith(ARCHIVE_SUFFIXES) and not names_archive:
            return "folder"
    return "file"


def _from_datastore(path: str, shape: Shape, filename: str) -> Snapshot:
    try:
        _, target = datastore_uri_path(path)
    except DatastoreError as error:
        _fail(filename, str(error))
    if not target.exists():
        _fail(filename, f"{path!r} does not exist in the datastore (looked for {target})")
    if shape == "file" and not target.is_file():
        _fail(filename, f"{path!r} is a folder; a file is expected here")
    if shape == "folder" and not target.is_dir():
        _fail(filename, f"{path!r} is a file; a folder is expected here")
    try:
        return snapshot_folder(target) if target.is_dir() else snapshot_file(target)
    except StorageError as error:
        _fail(filename, str(error))


def store_path(path: str, *, shape: Shape, attachments: Attachments, filename: str) -> Snapshot:
    """Store what `path` names as a snapshot (field `path` in problems)."""
    stored = SNAPSHOT_REFERENCE.match(path)
    if stored:
        if not snapshot_exists(stored["digest"]):
            _fail(filename, "no stored data has this digest")
        return describe_snapshot(stored["digest"])
    if path.lower().startswith("azureml://"):
        return _from_datastore(path, shape, filename)
    if shape == "any":
        shape = _local_shape(attachments, path)
    if shape == "file":
        return attachments.file("path", path)
    return attachments.folder("path", path)


def top_level_file(files: list[tuple[str, int]], name: str) -> bool:
    """Whether a snapshot's file list has `name` at its top."""
    return any(relative == name for relative, _ in files)


__all__ = ["store_path", "top_level_file"]
