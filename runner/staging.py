"""Where a step's inputs and outputs are on disk, and fetching http(s) inputs once per job."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings

from studio.errors import StudioError
from studio.net import FetchError, URLRefused, fetch
from studio.storage.job_artifacts import job_dir
from studio.storage.layout import snapshot_exists, snapshot_path


class StagingError(StudioError):
    """Raised when an input cannot be made available to a step (a download failed, data is gone; 502)."""

    status = 502


def snapshot_input_path(digest: str, kind: str) -> Path:
    """The path a stored snapshot is read from: its folder, or for uri_file its single file."""
    if not snapshot_exists(digest):
        raise StagingError(f"stored data {digest[:12]}… is missing from the artifact store")
    folder = snapshot_path(digest)
    if kind == "uri_file":
        files = [path for path in folder.rglob("*") if path.is_file()]
        if len(files) != 1:
            raise StagingError(f"stored data {digest[:12]}… holds {len(files)} files; a uri_file needs one")
        return files[0]
    return folder


def download_once(job: str, url: str, kind: str) -> Path:
    """Fetch an http(s) input into the job's artifact folder, once per job; returns its path."""
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    folder = job_dir(job) / ".downloads" / key
    name = Path(urlparse(url).path).name or "data"
    target = folder / name
    if target.exists():
        return target if kind == "uri_file" else folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    limit = settings.STUDIO_MAX_SNAPSHOT_BYTES
    scratch = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=folder.parent))
    try:
        # Checked and pinned to the address it resolved to, every redirect too (studio.net).
        with fetch(url, connect_timeout=10, read_timeout=120) as response:
            size = 0
            with (scratch / name).open("wb") as handle:
                for chunk in response.stream(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        raise StagingError(f"{url} is larger than STUDIO_MAX_SNAPSHOT_BYTES ({limit} bytes)")
                    handle.write(chunk)
        # mkdtemp makes the folder 0700: steps run as another user (never root) and must read it.
        scratch.chmod(0o755)
        (scratch / name).chmod(0o644)
        try:
            os.rename(scratch, folder)
        except OSError:
            if not folder.exists():
                raise
    except (URLRefused, FetchError) as error:
        raise StagingError(f"cannot download {url}: {error}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target if kind == "uri_file" else folder


def fresh_folder(path: Path, *, owner: tuple[int, int] | None) -> Path:
    """An empty folder at `path` (a new attempt starts clean), owned by the step's user."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    if owner is not None:
        os.chown(path, *owner)
    return path


def chown_tree(path: Path, owner: tuple[int, int]) -> None:
    """Give a copied code folder to the step's user so it can write `outputs/` and caches."""
    for root, folders, files in os.walk(path):
        os.chown(root, *owner)
        for name in folders + files:
            os.chown(os.path.join(root, name), *owner, follow_symlinks=False)
