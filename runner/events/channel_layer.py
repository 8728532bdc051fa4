"""The channel layer: groups, and the publisher that sends worker threads' messages.

The only module that talks to the channel layer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading

from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

GROUP_MESSAGE_TYPE = "job.event"  # handled by JobEventsConsumer.job_event


def user_group(user_id: int) -> str:
    """The channel-layer group of one user's notification sockets."""
    return f"user.{user_id}"


def job_group(job_id: int) -> str:
    """The channel-layer group of the sockets watching one job."""
    return f"job.{job_id}"


_home: tuple[asyncio.AbstractEventLoop, int] | None = None


def attach_loop() -> None:
    """Called by consumers: the event loop that serves websockets in this process.

    The in-memory channel layer keeps asyncio queues that belong to that loop; worker threads must
    put messages in from that loop (not from a loop of their own, which would not wake it).
    """
    global _home
    _home = (asyncio.get_running_loop(), threading.get_ident())


class _Publisher:
    """One event loop per process, in a thread of its own, that sends worker threads' messages.

    `async_to_sync` would start a thread and an event loop for every message (milliseconds
    each, and for Redis a new connection each time); this loop lives as long as the process.
    Messages wait in one queue and are sent one at a time, in the order they were handed over,
    so a job's events keep their order; the sender does not wait for the channel layer.
    """

    MAX_WAITING = 10_000
    SEND_TIMEOUT = 5

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._idle = threading.Event()
        self._idle.set()
        self._waiting = 0

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if (
                self._loop is None
                or self._pid != os.getpid()
                or self._thread is None
                or not self._thread.is_alive()
            ):
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    self._queue = asyncio.Queue()
                    loop.create_task(self._drain())
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=serve, name="studio-events-publisher", daemon=True)
                thread.start()
                ready.wait(timeout=5)
                self._loop, self._thread, self._pid, self._waiting = loop, thread, os.getpid(), 0
                self._idle.set()
            return self._loop

    async def _drain(self) -> None:
        while True:
            layer, group, message = await self._queue.get()
            try:
                await asyncio.wait_for(layer.group_send(group, message), timeout=self.SEND_TIMEOUT)
            except Exception:  # the row is stored: sockets catch up from the database
                logger.warning("could not send a message to %s on the channel layer", group, exc_info=True)
            finally:
                with self._lock:
                    self._waiting -= 1
                    if self._waiting <= 0:
                        self._waiting = 0
                        self._idle.set()

    def send(self, layer, group: str, message: dict) -> None:
        """Hand a message over; it is sent after every message handed over before it."""
        loop = self._start()
        with self._lock:
            if self._waiting >= self.MAX_WAITING:
                raise RuntimeError(f"{self._waiting} messages are waiting for the channel layer")
            self._waiting += 1
            self._idle.clear()
        try:
            loop.call_soon_threadsafe(self._queue.put_nowait, (layer, group, message))
        except RuntimeError:
            with self._lock:
                self._waiting -= 1
            raise

    def wait(self, timeout: float = 5) -> bool:
        """Block until every message handed over has been sent (or given up on); True if so."""
        return self._idle.wait(timeout)


_publisher = _Publisher()


def group_send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    home = _home
    if (
        isinstance(layer, InMemoryChannelLayer)
        and home is not None
        and home[0].is_running()
        and home[1] != threading.get_ident()
    ):
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), home[0])
        future.result(timeout=5)
        return
    _publisher.send(layer, group, message)


def wait_for_sends(timeout: float = 5) -> bool:
    """Block until the messages this process handed to the channel layer are sent (for tests)."""
    return _publisher.wait(timeout)


def notify_user(user_id: int, payload: dict) -> None:
    """Send a notification to every open notifications socket of a user."""
    group_send(user_group(user_id), {"type": "notify", "payload": payload})
