"""Workers announce themselves: host, computes, threads, version and a heartbeat, in the database.

The announcement is renewed every `beat_seconds()`; one older than the heartbeat timeout is not
live (its worker died without saying so) and is deleted after `FORGET_AFTER` by any live worker.
A worker that stops cleanly marks itself stopping, then deletes its row.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from importlib import metadata

from django.db import close_old_connections, connection
from django.utils import timezone

from runner.heartbeat import WORKER_HOST, WORKER_ID, beat_seconds, heartbeat_timeout
from runner.serving import Serving
from runner.worker_models import WorkerPresence
from studio.models import Compute

logger = logging.getLogger(__name__)

# A dead worker's row stays this long (shown as not live nowhere: only live rows are listed).
FORGET_AFTER = timedelta(hours=1)
# The computes served are looked at again this often (new computes, engines come and go).
REFRESH_SECONDS = 30.0


@cache
def studio_version() -> str:
    """The installed Studio's version."""
    try:
        return metadata.version("studio")
    except metadata.PackageNotFoundError:
        return "unknown"


def announce(serving: Serving, *, threads: int, stopping: bool = False) -> WorkerPresence:
    """Write (or renew) this worker's announcement."""
    row, _ = WorkerPresence.objects.update_or_create(
        worker_id=WORKER_ID,
        defaults={
            "host": WORKER_HOST,
            "pid": os.getpid(),
            "computes": serving.served(),
            "serves_all": serving.mode == "every",
            "threads": threads,
            "version": studio_version(),
            "stopping": stopping,
            "heartbeat_at": timezone.now(),
        },
    )
    return row


def withdraw() -> None:
    """Delete this worker's announcement (a clean stop)."""
    WorkerPresence.objects.filter(worker_id=WORKER_ID).delete()


def live_workers():
    """Announcements renewed within the heartbeat timeout."""
    return WorkerPresence.objects.filter(heartbeat_at__gte=timezone.now() - heartbeat_timeout())


def workers_of(compute: Compute) -> list[WorkerPresence]:
    """The live workers that take `compute`'s steps (a few rows: filtered here, not in SQL, where
    SQLite cannot look inside a JSON list). A worker that serves every compute (`studio up`) takes
    one registered after its last announcement too."""
    return [w for w in live_workers() if w.serves_all or compute.name in (w.computes or [])]


def describe(worker: WorkerPresence) -> dict:
    """An announcement as the API and pages show it."""
    return {
        "worker_id": worker.worker_id,
        "host": worker.host,
        "pid": worker.pid,
        "computes": worker.computes,
        "threads": worker.threads,
        "version": worker.version,
        "stopping": worker.stopping,
        "started_at": worker.started_at.isoformat(),
        "heartbeat_at": worker.heartbeat_at.isoformat(),
    }


def forget_dead() -> int:
    """Delete the announcements of workers silent for FORGET_AFTER; returns how many."""
    deleted, _ = WorkerPresence.objects.filter(heartbeat_at__lt=timezone.now() - FORGET_AFTER).delete()
    return deleted


class Announcer(threading.Thread):
    """Renews the announcement every beat, and looks at the computes served every REFRESH_SECONDS;
    `on_change(added)` hears which computes this worker serves from now on."""

    def __init__(
        self,
        serving: Serving,
        *,
        threads: int,
        on_change: Callable[[set[str]], None] | None = None,
    ) -> None:
        super().__init__(name="studio-announcer", daemon=True)
        self.serving = serving
        self.threads = threads
        self.on_change = on_change
        self.stopping = threading.Event()
        self.interval = beat_seconds()

    def run(self) -> None:
        refreshed = timezone.now()
        try:
            while not self.stopping.wait(self.interval):
                try:
                    if (timezone.now() - refreshed).total_seconds() >= REFRESH_SECONDS:
                        refreshed = timezone.now()
                        added = self.serving.refresh()
                        if added and self.on_change is not None:
                            self.on_change(added)
                    announce(self.serving, threads=self.threads)
                    forget_dead()
                except Exception:
                    logger.warning("announcing this worker failed", exc_info=True)
                    close_old_connections()
        finally:
            connection.close()

    def stop(self) -> None:
        """Stop renewing (the caller withdraws or marks the announcement)."""
        self.stopping.set()
        self.join(timeout=30)
