"""Importing a pipeline that comes with its local component files: an uploaded zip or tar of its
folder, or the folder's files picked in the browser, unpacked safely into a scratch folder.

The pipeline is the folder's `pipeline.yml` (or `.yaml`), else its only top-level YAML with `jobs:`;
a folder or archive holding one top-level folder is read from inside it. Every local component file
a pipeline (or a pipeline component) names must lie inside the upload: nothing is read from the
server's own files. The components are then registered anonymously, as `studio job create` does.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import yaml

from designer import actions
from designer.models import PipelineDraft
from studio.schemas.loading import DefinitionError, Problem
from studio.storage.archives import snapshot_archive
from studio.storage.extraction import check_uploaded_name, member_parts
from studio.storage.layout import StorageError, _limits, _scratch_root
from studio.storage.reading import copy_snapshot_to

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz")
PIPELINE_NAMES = ("pipeline.yml", "pipeline.yaml")
MAX_DEPTH = 20  # pipeline components inside pipeline components


def is_archive(name: str) -> bool:
    """Whether an uploaded file's name says it is an archive of a pipeline's folder."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def _refuse(field: str, message: str) -> DefinitionError:
    return DefinitionError([Problem("upload", field, message)])


def import_archive(stream: IO[bytes], *, filename: str, name: str | None = None, user=None) -> PipelineDraft:
    """A draft from a zip or tar of a pipeline's folder (DefinitionError naming `file` when unsafe)."""
    try:
        snapshot = snapshot_archive(stream)
    except StorageError as error:  # unsafe members (.., absolute, links out, devices) and limits
        raise _refuse("file", f"{filename}: {error}") from None
    with tempfile.TemporaryDirectory(prefix="import-", dir=_scratch_root()) as scratch:
        root = Path(scratch) / "tree"
        copy_snapshot_to(snapshot.digest, root)
        return import_folder(root, name=name, user=user, label=filename)


def import_files(
    files: Iterable[tuple[str, IO[bytes]]], *, name: str | None = None, user=None
) -> PipelineDraft:
    """A draft from a folder's files as the browser sends them: (relative path, content) pairs."""
    max_bytes, max_files = _limits(None, None)
    total = count = 0
    with tempfile.TemporaryDirectory(prefix="import-", dir=_scratch_root()) as scratch:
        root = Path(scratch) / "tree"
        root.mkdir()
        for relative, content in files:
            try:
                check_uploaded_name(relative)
                parts = member_parts(relative)
            except StorageError as error:
                raise _refuse("paths", str(error)) from None
            if not parts:
                raise _refuse("paths", f"{relative!r} is not a file's path in the folder")
            count += 1
            if count > max_files:
                raise _refuse("files", f"the folder holds more than {max_files} files")
            target = root.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as out:
                while chunk := content.read(1 << 20):
                    total += len(chunk)
                    if total > max_bytes:
                        raise _refuse("files", f"the folder holds more than {max_bytes} bytes")
                    out.write(chunk)
        return import_folder(root, name=name, user=user, label="the folder")


def _pipeline_file(root: Path, label: str) -> Path:
    top = [entry for entry in root.iterdir() if not entry.name.startswith(".")]
    if len(top) == 1 and top[0].is_dir():  # a zip of the folder itself, or the picked folder
        return _pipeline_file(top[0], label)
    for candidate in PIPELINE_NAMES:
        if (root / candidate).is_file():
            return root / candidate
    pipelines = [
        path for path in sorted(root.iterdir()) if path.suffix in (".yml", ".yaml") and _has_jobs(path)
    ]
    if len(pipelines) == 1:
        return pipelines[0]
    held = (
        f"several pipelines ({', '.join(path.name for path in pipelines)})"
        if pipelines
        else "no pipeline YAML"
    )
    raise _refuse("file", f"{label} holds {held} at its top: name the pipeline pipeline.yml")


def _has_jobs(path: Path) -> bool:
    try:
        document = yaml.safe_load(path.read_text(errors="replace"))
    except yaml.YAMLError:
        return False
    return isinstance(document, dict) and isinstance(document.get("jobs"), dict)


def check_references(pipeline: Path, root: Path) -> None:
    """DefinitionError when a local component file the pipeline (or a pipeline component of it)
    names lies outside `root` or is missing, checked before anything is read or registered."""
    root = root.resolve()
    seen: set[Path] = set()
    todo = [(pipeline.resolve(), 0)]
    while todo:
        file, depth = todo.pop()
        if file in seen or depth > MAX_DEPTH:
            continue
        seen.add(file)
        try:
            document = yaml.safe_load(file.read_text(errors="replace"))
        except yaml.YAMLError:
            continue  # the compiler says what is wrong with it, with its line
        jobs = document.get("jobs") if isinstance(document, dict) else None
        for job, step in jobs.items() if isinstance(jobs, dict) else ():
            component = step.get("component") if isinstance(step, dict) else None
            if not isinstance(component, str):
                continue
            reference = component.strip().removeprefix("file:")
            if not reference.endswith((".yml", ".yaml")) or reference.startswith("azureml:"):
                continue
            target = (file.parent / reference).resolve()
            shown = file.relative_to(root) if root in file.parents else file.name
            if target != root and root not in target.parents:
                raise _refuse(f"{shown}: jobs.{job}.component", f"{reference!r} leaves the uploaded folder")
            todo.append((target, depth + 1))


def import_folder(
    root: Path, *, name: str | None = None, user=None, label: str = "the folder"
) -> PipelineDraft:
    """A draft from the pipeline in an unpacked folder, its local components registered."""
    if any(path.is_symlink() for path in root.rglob("*")):
        raise _refuse("file", f"{label} holds a symbolic link; send its files as they are")
    pipeline = _pipeline_file(root, label)
    check_references(pipeline, root)
    try:
        return actions.import_pipeline(
            pipeline.read_bytes(),
            filename=pipeline.name,
            name=name,
            user=user,
            base_dir=pipeline.parent,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
