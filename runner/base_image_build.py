"""The base image built in the background: `studio up` starts it when the engine lacks the image,
the computes page shows its progress, and steps on Docker wait in Queued until it is there.

The build's state is a small JSON file in STUDIO_HOME (`base-image/build.json`), so any process
of this Studio home (the web pages, the workers) reads it. A build whose process has died
(another pid on this host that is gone) no longer counts as running: steps then go on and fail
with the missing image's message, which names the command to build it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from runner import messages
from runner.choices import STEP_ACTIVE, StepStatus
from runner.executors.docker import DockerUnavailable, image_exists
from runner.models import StepRun
from studio.errors import StudioError

logger = logging.getLogger(__name__)

WAIT_REASON = "waiting for the base image to finish building"
# A waiting step looks again this often, in case the build's process dies without waking it.
WAIT_POLL_MS = 15_000
# The state file is rewritten at most this often while lines stream in.
WRITE_EVERY_SECONDS = 1.0
# Bootstrap's own lines say which part of the build is under way.
STAGES = (
    ("debootstrap ", "installing Debian with debootstrap"),
    ("packing ", "packing the root filesystem"),
    ("importing ", "importing it into the Docker engine"),
    ("built base image", "checking that python3 runs in it"),
)


# Tags this process is building now.
_building_here: set[str] = set()


class BaseImageWaiting(StudioError):
    """Raised when a step needs the base image that is being built now (the step waits, Queued)."""

    status = 503


@dataclass
class BuildState:
    """Where the background build of the base image is."""

    tag: str
    engine: str = ""
    stage: str = "starting"
    status: str = "building"  # building, built, failed
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    last_line: str = ""
    error: str = ""
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)

    @property
    def running(self) -> bool:
        """Building, by a process that is still alive (when it is on this host)."""
        if self.status != "building":
            return False
        if self.host != socket.gethostname():
            return True
        if self.pid == os.getpid():  # (a restarted container may reuse an old build's pid)
            return self.tag in _building_here
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    @property
    def elapsed(self) -> float:
        """Seconds since the build started, until it ended."""
        return (self.finished_at or time.time()) - self.started_at

    @property
    def retry_command(self) -> str:
        """The command that builds the image by hand (as root, which debootstrap needs)."""
        tag = "" if self.tag == settings.STUDIO_BASE_IMAGE else f" --tag {self.tag}"
        return f"{'' if os.geteuid() == 0 else 'sudo '}.venv/bin/studio image bootstrap{tag}"


def state_path() -> Path:
    """The state file of this Studio home."""
    return Path(settings.STUDIO_HOME) / "base-image" / "build.json"


def read_state() -> BuildState | None:
    """The last build's state, or None when no background build was ever started here."""
    try:
        data = json.loads(state_path().read_text())
        return BuildState(**data)
    except (OSError, ValueError, TypeError):
        return None


def _write(state: BuildState) -> None:
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    scratch.write_text(json.dumps(asdict(state)))
    os.replace(scratch, path)


def _same_engine(a: str | None, b: str | None) -> bool:
    default = settings.STUDIO_DOCKER_URL or ""
    return (a or default) == (b or default)


def check_ready(image: str, base_url: str | None) -> None:
    """Raise BaseImageWaiting when `image` is the one being built now for the engine at `base_url`."""
    state = read_state()
    if state is not None and state.tag == image and _same_engine(state.engine, base_url) and state.running:
        raise BaseImageWaiting(f"{WAIT_REASON} ({state.tag}: {state.stage}, {state.elapsed:.0f} s so far)")


def wait_queued(step: StepRun, reason: str, note: Callable[[str], None]) -> bool:
    """Put a claimed step back in Queued with `reason`; its attempt does not count. True if moved."""
    if not (step.status_reason or "").startswith(WAIT_REASON):
        note(reason)  # once, not at every look
    with transaction.atomic():
        moved = step.transition(
            STEP_ACTIVE,
            StepStatus.QUEUED,
            attempt=max(step.attempt - 1, 0),
            status_reason=reason[:2000],
            queued_at=step.queued_at,  # its place in the queue is kept
            worker_id="",
            heartbeat_at=None,
        )
        if moved:
            transaction.on_commit(partial(messages.run_step, step.pk, delay_ms=WAIT_POLL_MS))
    return moved


def wake_waiting_steps() -> int:
    """Send each step waiting for the base image a message to run now; how many."""
    waiting = list(
        StepRun.objects.filter(status=StepStatus.QUEUED, status_reason__startswith=WAIT_REASON).values_list(
            "pk", flat=True
        )
    )
    for pk in waiting:
        messages.run_step(pk)
    return len(waiting)


Builder = Callable[..., bool]


def start_if_missing(
    *,
    tag: str | None = None,
    base_url: str | None = None,
    builder: Builder | None = None,
    log: Callable[[str], None] = print,
) -> threading.Thread | None:
    """Start building the base image in a thread when the engine answers and lacks it.

    None when there is nothing to do: no engine answers, the image is there, or a build is already
    running. `builder` (default `runner.base_image.bootstrap_base_image`) is replaceable in tests.
    """
    tag = tag or settings.STUDIO_BASE_IMAGE
    if base_url is None:
        base_url = settings.STUDIO_DOCKER_URL or None
    try:
        if image_exists(tag, base_url=base_url):
            return None
    except DockerUnavailable:
        return None
    previous = read_state()
    if previous is not None and previous.tag == tag and previous.running:
        return None
    state = BuildState(tag=tag, engine=base_url or "")
    _building_here.add(tag)
    _write(state)  # before the thread: a step submitted right away already waits
    log(f"Base image {tag} is missing: building it in the background (progress on the computes page)")
    thread = threading.Thread(
        target=_build, args=(state, base_url, builder, log), name="studio-base-image", daemon=True
    )
    thread.start()
    return thread


def _build(
    state: BuildState, base_url: str | None, builder: Builder | None, log: Callable[[str], None]
) -> None:
    from runner.base_image import bootstrap_base_image, verify_base_image

    build = builder or bootstrap_base_image
    last_write = [0.0]

    def line(text: str) -> None:
        for prefix, stage in STAGES:
            if text.startswith(prefix):
                state.stage = stage
        state.last_line = text[-500:]
        if time.monotonic() - last_write[0] >= WRITE_EVERY_SECONDS:
            last_write[0] = time.monotonic()
            _write(state)

    try:
        build(state.tag, ca_bundle=settings.STUDIO_BUILD_CA_BUNDLE or None, log=line, base_url=base_url)
        state.stage = "checking that python3 runs in it"
        _write(state)
        version = verify_base_image(state.tag, base_url=base_url)
        state.status, state.stage = "built", "built"
        state.last_line = f"Python {version.split()[0]}"
        log(f"Base image {state.tag} built in {state.elapsed:.0f} s")
    except Exception as error:  # noqa: BLE001 - any failure is shown on the computes page
        state.status, state.stage = "failed", "failed"
        state.error = str(error)[-2000:]
        log(f"Building the base image {state.tag} failed: {error}\n  Retry with: {state.retry_command}")
    state.finished_at = time.time()
    _write(state)
    _building_here.discard(state.tag)
    try:
        close_old_connections()
        woken = wake_waiting_steps()
        if woken:
            log(f"{woken} steps waiting for the base image go on")
    except Exception:
        logger.exception("waking the steps that waited for the base image")
    finally:
        connection.close()
