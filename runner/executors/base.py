"""What every executor (docker, local) offers the step runner.

A step is launched once, its log lines are read as they come, it is waited for with a timeout,
and it can be stopped (SIGTERM, then SIGKILL after a grace period), inspected after a worker
crash, and removed. Paths are host paths; the docker executor mounts each at the same path in the
container, so the command line means the same inside and out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol


class ExecutorError(Exception):
    """Raised when an executor cannot start or reach a step's process or container (infrastructure)."""


@dataclass(frozen=True)
class Mount:
    """A host path visible to the step at the same path."""

    path: Path
    read_only: bool = True


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
    user: str = "1000:1000"
    cpus: float | None = None
    memory_bytes: int | None = None
    gpu_ids: tuple[str, ...] = ()
    shm_size: str | None = None
    network: bool = True
    pids_limit: int = 4096


@dataclass(frozen=True)
class Inspection:
    """What an executor knows of a step it started, possibly from another worker."""

    state: Literal["running", "exited", "gone"]
    exit_code: int | None = None


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
        """Whether the step still runs, exited (with its code) or is gone."""

    def remove(self, handle: str) -> None:
        """Forget the step's container or process; idempotent."""
