"""What every executor (docker, local) offers the step runner.

A step is launched once, its log lines are read as they come, it is waited for with a timeout,
and it can be stopped (SIGTERM, then SIGKILL after a grace period), inspected after a worker
crash, and removed.

Paths: `StepLaunch.workdir` and `Mount.path` are host paths. A local step sees them as they are.
A container sees each mount at its `target` and the workdir at `StepLaunch.container_workdir`:
the step runner puts them at fixed paths under /studio (`CONTAINER_WORKDIR`, `input_target`,
`output_target`) and renders the command with those, so a STUDIO_HOME inside a folder the step's
user cannot enter (a checkout in /root, mode 0700) does not matter to the step. Without a target a
path is mounted where it is on the host.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal, Protocol

from studio.errors import StudioError

# The fixed places of a step's files inside its container.
CONTAINER_WORKDIR = "/studio/work"
CONTAINER_INPUTS = "/studio/inputs"
CONTAINER_OUTPUTS = "/studio/outputs"


def input_target(name: str, host: Path) -> str:
    """Where the input `name` appears in a container: its folder, or for a file the file in it.

    A uri_file input keeps its file name (`/studio/inputs/<name>/<file>`): the command still gets a
    file path, and a script that looks at the extension still sees it.
    """
    folder = PurePosixPath(CONTAINER_INPUTS) / name
    return str(folder / host.name) if host.is_file() else str(folder)


def output_target(name: str) -> str:
    """Where the folder of the output `name` appears in a container (`/studio/outputs/<name>`)."""
    return str(PurePosixPath(CONTAINER_OUTPUTS) / name)


class ExecutorError(StudioError):
    """Raised when an executor cannot start or reach a step's process or container (infrastructure; 503)."""

    status = 503


@dataclass(frozen=True)
class Mount:
    """A host path visible to the step at `target` in a container (the host path when None)."""

    path: Path
    read_only: bool = True
    target: str | None = None

    @property
    def destination(self) -> str:
        """The path inside the container."""
        return self.target or str(self.path)

    def inside(self, host: Path) -> str:
        """The container path of `host`, which is this mount's path or lies under it."""
        relative = Path(host).relative_to(self.path)
        return str(PurePosixPath(self.destination, *relative.parts))


@dataclass(frozen=True)
class StepLaunch:
    """Everything needed to start one attempt of a step."""

    job: str
    step: str
    attempt: int
    command: str
    workdir: Path
    mounts: tuple[Mount, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    image: str = ""
    venv: Path | None = None
    user: str = "65532:65532"  # the step runner passes STUDIO_STEP_UID:STUDIO_STEP_GID
    cpus: float | None = None
    memory_bytes: int | None = None
    gpu_ids: tuple[str, ...] = ()
    shm_size: str | None = None
    network: bool = True
    pids_limit: int = 4096
    # Size of a container's writable /tmp (a tmpfs; it counts against the memory limit).
    tmp_bytes: int = 1024**3
    # Where the workdir is inside a container (the host path when None); the container starts there.
    container_workdir: str | None = None


@dataclass(frozen=True)
class Inspection:
    """What an executor knows of a step it started, possibly from another worker.

    Once exited: `oom_killed` when the kernel's OOM killer ended it (with `memory_limit`, the
    container's limit in bytes), `signal` when the executor knows a signal ended it.
    """

    state: Literal["running", "exited", "gone"]
    exit_code: int | None = None
    oom_killed: bool = False
    memory_limit: int | None = None
    signal: int | None = None


def human_bytes(count: int) -> str:
    """`4 GiB`, `64 MiB`, `1.5 GiB`: a size as people write memory limits."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {unit}"


def describe_exit(code: int | None, inspection: Inspection | None) -> str:
    """Why a step ended with a non-zero code, in words for its status reason.

    A kill by the OOM killer says so with the limit it hit; a known signal is named. Otherwise
    only the code is known (137 from a container may be a SIGKILL or a plain `exit 137`).
    """
    if inspection is not None and inspection.oom_killed:
        limit = f" (limit {human_bytes(inspection.memory_limit)})" if inspection.memory_limit else ""
        return f"killed: out of memory{limit}; exit code {code}"
    if inspection is not None and inspection.signal:
        try:
            name = f" ({signal.Signals(inspection.signal).name})"
        except ValueError:
            name = ""
        return f"killed by signal {inspection.signal}{name}; exit code {code}"
    return f"exited with code {code}"


def exit_description(executor: Executor, handle: str, code: int | None) -> str:
    """`describe_exit` for a step that has ended but is not removed yet (inspected here)."""
    try:
        inspection = executor.inspect(handle)
    except ExecutorError as error:  # the reason loses its detail, never the step its outcome
        return f"{describe_exit(code, None)}; asking why failed: {error}"
    if inspection is not None and inspection.state != "exited":
        inspection = None
    return describe_exit(code, inspection)


LogSink = Callable[[str], None]


class Executor(Protocol):
    """Runs steps somewhere."""

    def start(self, launch: StepLaunch) -> str:
        """Start the step and return its handle (container id, or process id)."""

    def follow_logs(self, handle: str, sink: LogSink, *, since: float | None = None) -> None:
        """Send each output line to `sink` as it is produced, until the step ends."""

    def wait(self, handle: str, timeout: float | None) -> int | None:
        """The exit code, or None when `timeout` seconds passed first."""

    def stop(self, handle: str, *, grace_seconds: float = 10) -> None:
        """SIGTERM, then SIGKILL after the grace period."""

    def inspect(self, handle: str) -> Inspection:
        """Whether the step still runs, exited (with its code, and how it was killed when known)
        or is gone."""

    def remove(self, handle: str) -> None:
        """Forget the step's container or process; idempotent."""
