"""A step's default artifacts: what it wrote under `./outputs` and `./logs` of its working folder.

Azure ML uploads these two folders of every job as its "Outputs + logs". Studio keeps them when an
attempt ends, whatever its outcome (a failed step's logs matter most): they are taken from the
step's working folder (`<step>/.work/`) into `<step>/.artifacts/outputs/` and
`<step>/.artifacts/logs/`, next to the step's output folders (the dot: no output can be named so).
Paths are listed relative to `.artifacts`, as Azure ML lists them: `outputs/model.pkl`.

Only regular files are kept, and nothing is followed out of the folders, as with declared outputs:
a symbolic link (to a file or a folder), a FIFO, a socket or a device is left out, and
`.artifacts/skipped.json` says which and why. A file is kept as a hard link to the working folder's
(a copy where that cannot be made), so a large model costs no second copy on disk. A new
collection replaces the last attempt's. A step that wrote no file there keeps nothing.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from studio.storage.job_artifacts import step_dir

FOLDERS = ("outputs", "logs")
ARTIFACTS = ".artifacts"
SKIPPED_FILE = "skipped.json"
LINKS_NOT_FOLLOWED = "links are not followed"


def artifacts_dir(job: str, step: str) -> Path:
    """Where a step's default artifacts are kept: `<step>/.artifacts/`."""
    return step_dir(job, step) / ARTIFACTS


@dataclass
class Collected:
    """What a collection kept (`files`, `size` in bytes) and left out (`skipped`: path, reason)."""

    files: int = 0
    size: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)

    def skip(self, relative: str, reason: str) -> None:
        self.skipped.append({"path": relative, "reason": reason})


def collect(job: str, step: str) -> Collected:
    """Keep the files of the step's `./outputs` and `./logs` as its artifacts (see the module)."""
    folder = step_dir(job, step)
    work = folder / ".work"
    result = Collected()
    if not folder.is_dir():
        return result
    staging = Path(tempfile.mkdtemp(prefix=f"{ARTIFACTS}-", dir=folder))
    try:
        for name in FOLDERS:
            _collect_folder(work, name, staging, result)
        if result.skipped:
            (staging / SKIPPED_FILE).write_text(json.dumps(result.skipped, indent=1) + "\n")
        staging.chmod(0o755)  # mkdtemp's 0700: readable as the outputs are
        _replace(staging, folder / ARTIFACTS, keep=bool(result.files or result.skipped))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


NOTED_SKIPS = 10  # at most this many left-out paths are named in the step's log


def keep(job: str, step: str, note) -> Collected | None:
    """`collect`, saying in the step's log (`note`) what was kept and left out; never raises:
    artifacts that cannot be kept do not change the step's outcome."""
    try:
        result = collect(job, step)
    except OSError as error:
        note(f"keeping ./outputs and ./logs as artifacts failed: {error}")
        return None
    if result.files:
        note(
            f"kept {result.files} file(s) of ./outputs and ./logs as the step's artifacts "
            f"({result.size} bytes)"
        )
    for skipped in result.skipped[:NOTED_SKIPS]:
        note(f"artifacts: left out {skipped['path']}: {skipped['reason']}")
    if len(result.skipped) > NOTED_SKIPS:
        note(f"artifacts: {len(result.skipped) - NOTED_SKIPS} more left out (see {ARTIFACTS}/{SKIPPED_FILE})")
    return result


def _collect_folder(work: Path, name: str, staging: Path, result: Collected) -> None:
    source = work / name
    if source.is_symlink():
        result.skip(name, f"a symbolic link (to {os.readlink(source)}); {LINKS_NOT_FOLLOWED}")
        return
    if not source.exists():
        return
    if not source.is_dir():
        result.skip(name, "not a folder")
        return

    def unreadable(error: OSError) -> None:
        where = Path(error.filename).relative_to(work).as_posix() if error.filename else name
        result.skip(where, f"cannot be read: {error.strerror or error}")

    for root, folders, files in os.walk(source, onerror=unreadable):  # never follows links
        here = Path(root)
        for child in sorted(folders):
            if (here / child).is_symlink():
                relative = (here / child).relative_to(work).as_posix()
                to = os.readlink(here / child)
                result.skip(relative, f"a symbolic link (to {to}); {LINKS_NOT_FOLLOWED}")
                folders.remove(child)
        for child in sorted(files):
            relative = (here / child).relative_to(work).as_posix()
            reason = _keep(here / child, staging / relative, result)
            if reason:
                result.skip(relative, reason)


def _keep(path: Path, target: Path, result: Collected) -> str | None:
    """Keep one regular file at `target`; the reason it is left out otherwise."""
    try:
        # O_NOFOLLOW: a link is refused even if it replaced the file since the walk saw it;
        # O_NONBLOCK: opening a FIFO does not wait for a writer.
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ELOOP:
            try:
                to = os.readlink(path)
            except OSError:
                to = "?"
            return f"a symbolic link (to {to}); {LINKS_NOT_FOLLOWED}"
        return f"cannot be read: {error.strerror or error}"
    with os.fdopen(descriptor, "rb") as source:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not _hard_link(path, target, info):
            with target.open("wb") as copy:
                shutil.copyfileobj(source, copy, 1 << 20)
    result.files += 1
    result.size += info.st_size
    return None


def _hard_link(path: Path, target: Path, opened: os.stat_result) -> bool:
    """Link `target` to the very file that was opened; False (nothing left behind) otherwise."""
    try:
        os.link(path, target, follow_symlinks=False)
    except OSError:
        return False
    linked = target.lstat()
    if (linked.st_dev, linked.st_ino) == (opened.st_dev, opened.st_ino):
        return True
    target.unlink()  # the name now points elsewhere (replaced since it was opened): copy instead
    return False


def _replace(staging: Path, target: Path, *, keep: bool) -> None:
    """Put the new collection in place of the last one (or remove that when there is nothing)."""
    old = None
    if target.exists():
        old = target.with_name(f"{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    if keep:
        staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def listing(folder: Path) -> dict:
    """The kept files (`path`, `size`, in path order) and what was left out, from `folder`."""
    files = []
    for name in FOLDERS:
        root = folder / name
        if root.is_dir() and not root.is_symlink():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    files.append({"path": path.relative_to(folder).as_posix(), "size": path.stat().st_size})
    files.sort(key=lambda entry: entry["path"])
    skipped = []
    try:
        skipped = json.loads((folder / SKIPPED_FILE).read_text())
    except (OSError, ValueError):
        pass
    return {"files": files, "skipped": skipped if isinstance(skipped, list) else []}


def artifact_file(folder: Path, relative: str) -> Path | None:
    """The kept file at `relative` under `outputs/` or `logs/` of `folder`; None for anything else."""
    if "\0" in relative:  # a NUL cannot name a file (os calls raise ValueError on it)
        return None
    base = folder.resolve()
    target = (folder / relative).resolve()
    if base not in target.parents or not target.is_file():
        return None
    first = target.relative_to(base).parts[0]
    if first not in FOLDERS:
        return None  # skipped.json is not an artifact
    return target
