"""Building once: the `EnvironmentImage` row claimed, built by one caller, waited for by the others."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from runner.choices import ImageStatus
from runner.executors.docker import DockerUnavailable, image_exists
from runner.heartbeat import WORKER_ID, KeepAlive, heartbeat_timeout
from runner.images import registry
from runner.images.dockerfiles import environment_image_tag
from runner.images.engine import _build_image
from runner.images.errors import EngineUnreachable, ImageBuildError
from runner.logs import line_source
from runner.models import EnvironmentImage

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
WAIT_TIMEOUT_SECONDS = 3 * 3600
# The builder writes a "still building" line after this much silence, so progress is visible.
HEARTBEAT_SECONDS = 60.0
LOG_FLUSH_SECONDS = 1.0
MAX_STORED_LOG_CHARS = 1_000_000
WAITING_LINE = "waiting for the build started by another step"
LOCKED_RETRY_SECONDS = 30.0


class _BuildLog:
    """Passes build output to the caller's `log` and into the row's `log` field (flushed ~1/s).

    A heartbeat line after each HEARTBEAT_SECONDS of silence shows waiters the build is alive.
    """

    def __init__(self, row_pk: int, log: Callable[[str], None]) -> None:
        self.row_pk = row_pk
        self.log = log
        self.lines: list[str] = []
        self.size = 0
        self.lock = threading.Lock()
        self.last_flush = 0.0
        self.last_line = time.monotonic()
        self.started = time.monotonic()
        self.dirty = False
        self.done = threading.Event()
        self.heartbeat = threading.Thread(target=self._beat, name="studio-build-heartbeat", daemon=True)
        self.heartbeat.start()

    def __call__(self, line: str) -> None:
        with self.lock:
            self.lines.append(line)
            self.size += len(line) + 1
            while self.size > MAX_STORED_LOG_CHARS and len(self.lines) > 1:
                self.size -= len(self.lines.pop(0)) + 1
            self.dirty = True
            self.last_line = time.monotonic()
            self.log(line)
        if time.monotonic() - self.last_flush >= LOG_FLUSH_SECONDS:
            self.flush()

    @property
    def text(self) -> str:
        with self.lock:
            return "\n".join(self.lines) + ("\n" if self.lines else "")

    def flush(self) -> None:
        with self.lock:
            if not self.dirty:
                return
            self.dirty = False
            self.last_flush = time.monotonic()
        try:
            _db(EnvironmentImage.objects.filter(pk=self.row_pk).update, log=self.text)
        except Exception:  # the log copy in the row is a convenience; never fail the build for it
            logger.warning("cannot store the build log of image row %s", self.row_pk, exc_info=True)

    def _beat(self) -> None:
        """Stores lines that came just after a flush once the build falls silent (a `RUN` step
        that prints a line and then works for minutes shows that line at once, not at its end),
        and writes the heartbeat line after HEARTBEAT_SECONDS of silence."""
        try:
            while not self.done.wait(LOG_FLUSH_SECONDS):
                if time.monotonic() - self.last_line >= HEARTBEAT_SECONDS:
                    self(f"... still building ({time.monotonic() - self.started:.0f} s)")
                if time.monotonic() - self.last_flush >= LOG_FLUSH_SECONDS:
                    self.flush()
        finally:
            connection.close()

    def close(self) -> None:
        self.done.set()
        self.heartbeat.join(timeout=10)


def _db(function: Callable, *args, **kwargs):
    """Call `function`, retrying while SQLite says the database (or a table) is locked.

    A busy timeout covers most of that, but not SQLITE_LOCKED (shared-cache databases, as in
    tests); PostgreSQL never raises it.
    """
    delay = 0.02
    deadline = time.monotonic() + LOCKED_RETRY_SECONDS
    while True:
        try:
            return function(*args, **kwargs)
        except OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def _claim(environment, target: str, tag: str) -> tuple[str, EnvironmentImage]:
    """("won", row) when this caller must build, else ("busy"/"done", row) as the row stands."""
    row = EnvironmentImage.objects.filter(environment=environment, target=target).first()
    if row is None:
        try:
            with transaction.atomic():
                now = timezone.now()
                row = EnvironmentImage.objects.create(
                    environment=environment,
                    target=target,
                    tag=tag,
                    status=ImageStatus.BUILDING,
                    started_at=now,
                    builder=WORKER_ID,
                    heartbeat_at=now,
                )
            return "won", row
        except IntegrityError:
            row = EnvironmentImage.objects.get(environment=environment, target=target)
    if row.status == ImageStatus.BUILDING:
        return "busy", row
    return "done", row


def _take_over(row: EnvironmentImage, tag: str) -> bool:
    """Conditionally restart the row's build (ready-but-vanished, failed or lost); True if won."""
    now = timezone.now()
    moved = EnvironmentImage.objects.filter(
        pk=row.pk, status=row.status, started_at=row.started_at, heartbeat_at=row.heartbeat_at
    ).update(
        status=ImageStatus.BUILDING,
        started_at=now,
        builder=WORKER_ID,
        heartbeat_at=now,
        finished_at=None,
        error="",
        log="",
        tag=tag,
    )
    if moved:
        row.refresh_from_db()
    return bool(moved)


def _build_lost(row: EnvironmentImage) -> bool:
    """Whether a `building` row's builder has stopped renewing its claim (its worker died)."""
    last_sign = row.heartbeat_at or row.started_at
    return timezone.now() - last_sign > heartbeat_timeout()


def _renew(row: EnvironmentImage) -> None:
    EnvironmentImage.objects.filter(
        pk=row.pk, status=ImageStatus.BUILDING, started_at=row.started_at, builder=WORKER_ID
    ).update(heartbeat_at=timezone.now())


def _run_build(row: EnvironmentImage, log: Callable[[str], None], build: Callable[[Callable], None]) -> None:
    _db(EnvironmentImage.objects.filter(pk=row.pk).update, builds=F("builds") + 1)
    build_log = _BuildLog(row.pk, log)
    try:
        with KeepAlive(partial(_renew, row), name=f"build-heartbeat-{row.pk}"):
            build(build_log)
    except BaseException as exc:
        build_log.close()
        error = str(exc) if isinstance(exc, ImageBuildError) else f"{type(exc).__name__}: {exc}"
        _db(
            EnvironmentImage.objects.filter(pk=row.pk).update,
            status=ImageStatus.FAILED,
            error=error,
            log=build_log.text,
            finished_at=timezone.now(),
        )
        if isinstance(exc, Exception) and not isinstance(exc, ImageBuildError):
            raise ImageBuildError(error) from exc
        raise
    build_log.close()
    _db(
        EnvironmentImage.objects.filter(pk=row.pk).update,
        status=ImageStatus.READY,
        error="",
        log=build_log.text,
        finished_at=timezone.now(),
    )


def new_lines(previous: str, current: str) -> list[str]:
    """The lines of a build log `current` that were not in `previous`, an earlier copy of it.

    The stored log only grows, except that it loses lines at its start once it is over
    MAX_STORED_LOG_CHARS and starts empty when the build restarts: `current` is then the end of
    `previous` plus new lines, or something new altogether (all of it is new).
    """
    if current.startswith(previous):
        return _lines(current[len(previous) :])
    # The longest start of `current` that `previous` ends with (fewest lines taken for new).
    anchor = previous[-max(1, min(4096, len(previous) // 2)) :] if previous else ""
    overlap = 0
    start = current.find(anchor) if anchor else -1
    for _ in range(1000):
        if start < 0:
            break
        end = start + len(anchor)
        if previous.endswith(current[:end]):
            overlap = end
        start = current.find(anchor, start + 1)
    return _lines(current[overlap:])


def _lines(text: str) -> list[str]:
    """The lines of a stored build log (`\n` ends each; a `\r` inside a line stays in it)."""
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _pass_on(log: Callable[[str], None], shown: str, current: str) -> str:
    """Give a waiter's `log` the builder's lines it has not had yet; returns what it has now."""
    if current != shown:
        for line in new_lines(shown, current):
            log(line)
    return current


def record_present(environment, target: str, tag: str) -> None:
    """Note that (environment, target) is ready although no step built it here (the image was on
    the engine already), so the environment's page does not say "not built yet"."""

    def note() -> None:
        if EnvironmentImage.objects.filter(environment=environment, target=target).exists():
            return
        now = timezone.now()
        try:
            with transaction.atomic():
                EnvironmentImage.objects.create(
                    environment=environment,
                    target=target,
                    tag=tag,
                    status=ImageStatus.READY,
                    log=f"{tag} was found on the engine; it was not built here.\n",
                    started_at=now,
                    finished_at=now,
                )
        except IntegrityError:
            pass  # another step noted it (or claimed a build) at the same moment

    _db(note)


def build_once(
    environment,
    *,
    target: str,
    tag: str,
    present: Callable[[], bool],
    build: Callable[[Callable[[str], None]], None],
    log: Callable[[str], None],
    wait_timeout: float = WAIT_TIMEOUT_SECONDS,
) -> None:
    """Make sure (environment, target) is built, building it here only if no one else is.

    `present()` says whether the result exists; `build(log)` makes it or raises. Waiters poll the
    row every POLL_SECONDS, pass the builder's new log lines on to their own `log` (after
    WAITING_LINE), and raise ImageBuildError with the builder's error when it fails.
    """
    deadline = time.monotonic() + wait_timeout
    announced = False
    shown = ""  # the builder's log as far as this waiter passed it on
    while True:
        state, row = _db(_claim, environment, target, tag)
        if state == "won":
            _run_build(row, log, build)
            return
        if state == "done":
            if row.status == ImageStatus.READY and present():
                return
            # Failed earlier, or ready but the result vanished: build again.
            if _db(_take_over, row, tag):
                _run_build(row, log, build)
                return
            continue
        if not announced:
            log(WAITING_LINE)
            announced = True
        shown = _pass_on(log, shown, row.log)
        while True:
            if time.monotonic() > deadline:
                raise ImageBuildError(
                    f"gave up after {wait_timeout:.0f} s waiting for the build of {tag} "
                    "started by another step"
                )
            time.sleep(POLL_SECONDS)
            row = _db(EnvironmentImage.objects.filter(pk=row.pk).first)
            if row is None:
                break  # the row was deleted: claim again
            shown = _pass_on(log, shown, row.log)
            if row.status == ImageStatus.READY:
                if present():
                    return
                break  # ready, but vanished since: claim again (and rebuild)
            if row.status == ImageStatus.FAILED:
                raise ImageBuildError(row.error or f"the build of {tag} failed")
            if _build_lost(row):
                log(
                    f"the build of {tag} by {row.builder or 'another worker'} stopped "
                    f"(no heartbeat since {(row.heartbeat_at or row.started_at):%Y-%m-%d %H:%M:%S}); "
                    "building it here"
                )
                if _db(_take_over, row, tag):
                    _run_build(row, log, build)
                    return
                break


def build_lines(log: Callable[[str], None]) -> Callable[[str], None]:
    """`log`, writing each line as an environment build's: a step log (`runner.logs.StepLog`)
    marks it `"source": "build"`, so its live `log` event shows the step panel where it came from."""

    def write(line: str) -> None:
        with line_source("build"):
            log(line)

    return write


def ensure_environment_image(environment, *, base_url: str | None, log: Callable[[str], None]) -> str:
    """The environment's image tag on the engine at `base_url`, built first if it is missing.

    With STUDIO_REGISTRY set the build is once for the registry, not per engine
    (`runner.images.registry`): built and pushed by one engine, pulled by the others.
    """
    tag = environment_image_tag(environment)

    def present() -> bool:
        try:
            return image_exists(tag, base_url=base_url)
        except DockerUnavailable as exc:
            raise EngineUnreachable(str(exc)) from exc

    if present():
        record_present(environment, base_url or "", tag)
        return tag
    name = registry.registry()
    if not name:
        build_once(
            environment,
            target=base_url or "",
            tag=tag,
            present=present,
            build=lambda build_log: _build_image(environment, tag, base_url=base_url, log=build_log),
            log=build_lines(log),
        )
        return tag
    reference = registry.registry_reference(tag, name)

    def build_and_push(build_log: Callable[[str], None]) -> None:
        _build_image(environment, tag, base_url=base_url, log=build_log)
        registry.push(tag, reference, base_url=base_url, log=build_log)

    build_once(
        environment,
        target=registry.registry_target(name),
        tag=reference,
        present=lambda: registry.in_registry(reference, base_url=base_url),
        build=build_and_push,
        log=build_lines(log),
    )
    if not present():  # built on another engine
        registry.pull(reference, tag, base_url=base_url, log=build_lines(log))
    return tag
