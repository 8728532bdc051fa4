"""Job artifacts: where a job's step outputs, work folders and logs live, and their digests."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.conf import settings

from studio.storage.layout import _MANIFEST_HEADER, _Entry
from studio.storage.snapshotting import _copy_hashed


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
