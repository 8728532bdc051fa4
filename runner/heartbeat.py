"""Keeping a claim alive: a thread that says, every few seconds, "this worker still holds it".

A step is claimed by a worker from the moment it leaves Queued until it ends, through every
phase (building its environment, staging inputs, running, collecting outputs); an environment
build is claimed by the worker building it. Another worker takes a claim over only once its
heartbeat is older than `STUDIO_HEARTBEAT_TIMEOUT_SECONDS`: a claim that dies with its worker is
taken over within that time, and one whose worker is merely busy (a build of many minutes) never
is. The beat runs in a thread of its own, so no phase has to remember to send it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)

MAX_BEAT_SECONDS = 5.0
# Who holds a claim: this process, on this host.
WORKER_HOST = socket.gethostname()
WORKER_ID = f"{WORKER_HOST}:{os.getpid()}"


def heartbeat_timeout() -> timedelta:
    """How old a heartbeat must be before its claim is taken over."""
    return timedelta(seconds=settings.STUDIO_HEARTBEAT_TIMEOUT_SECONDS)


def beat_seconds() -> float:
    """How often a claim is renewed: a third of the timeout, at most every MAX_BEAT_SECONDS."""
    return min(MAX_BEAT_SECONDS, settings.STUDIO_HEARTBEAT_TIMEOUT_SECONDS / 3)


class KeepAlive:
    """Calls `beat()` every `beat_seconds()` in a daemon thread while the `with` block runs.

    `beat` renews the claim (a conditional UPDATE of its heartbeat column); its failures are
    logged, never raised: a missed beat only matters when the timeout passes without any.
    """

    def __init__(self, beat: Callable[[], object], *, name: str) -> None:
        self.beat = beat
        self.interval = beat_seconds()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> KeepAlive:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        try:
            while not self.stopping.wait(self.interval):
                try:
                    self.beat()
                except Exception:
                    logger.warning("heartbeat %s failed", self.thread.name, exc_info=True)
                    close_old_connections()
        finally:
            connection.close()
