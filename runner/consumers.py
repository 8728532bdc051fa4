"""Channels consumers: the browser side of live updates."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from runner import events
from runner.models import PipelineJob

logger = logging.getLogger(__name__)

# Close codes in the 4000 range are the application's own; 44xx mirror HTTP statuses.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_RESYNC = 4008
CLOSE_INTERNAL_ERROR = 1011


async def refuse(consumer: AsyncJsonWebsocketConsumer, code: int) -> None:
    """Accept, then close with `code`.

    A socket closed before it is accepted fails its handshake (HTTP 403): the browser only sees
    close code 1006 and cannot tell "signed out" or "no such job" from a network error, so it
    would keep reconnecting. (A refused Origin still fails the handshake, by design.)
    """
    await consumer.accept()
    await consumer.close(code=code)


class NotificationsConsumer(AsyncJsonWebsocketConsumer):
    """Per-user notifications (job finished, endpoint invoked); signed-in users only."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await refuse(self, CLOSE_UNAUTHENTICATED)
            return
        events.attach_loop()
        self.group = events.user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.get_username()})

    async def disconnect(self, code: int) -> None:
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def notify(self, event: dict) -> None:
        """Forward a notification sent through `runner.events.notify_user`."""
        await self.send_json({"type": "notification", **event["payload"]})


def may_watch(user, job: PipelineJob) -> bool:
    """Whether a user may watch a job: any active signed-in user, as in the REST API.

    The REST API lists and shows every job to every signed-in user (`IsAuthenticated`, no
    per-user filter), so the socket does the same; a per-user rule belongs here and in
    `JobViewSet.get_queryset` together.
    """
    return bool(user is not None and user.is_authenticated and user.is_active)


@database_sync_to_async
def _find_job(name: str) -> PipelineJob | None:
    return PipelineJob.objects.filter(name=name).only("pk", "name", "created_by").first()


_replayable = database_sync_to_async(events.replayable)
_snapshot = database_sync_to_async(events.snapshot)
_events_after = database_sync_to_async(events.events_after)
_current_seq = database_sync_to_async(events.current_seq)


def _after(scope) -> int | None:
    """`?after=N` of the connection, or None (absent or not a whole number: send a snapshot)."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("after")
    if not values:
        return None
    try:
        after = int(values[-1])
    except ValueError:
        return None
    return after if after >= 0 else None


class JobEventsConsumer(AsyncJsonWebsocketConsumer):
    """Live events of one job at `/ws/jobs/<name>/`.

    Who: signed-in, active users (session with an allowed Origin, or a bearer token; see
    `studio.websocket_security`); anyone else is refused with 4401. Which jobs: `may_watch`,
    the same rule as the REST API (every signed-in user sees every job); a refusal is 4403, an
    unknown job 4404.

    What: without `?after=`, first `{"type": "snapshot", "seq": S, "job": {…}, "steps": […]}`,
    then every event with seq > S; with `?after=N`, the stored events after N and then live ones
    (a snapshot instead when events after N are no longer stored). Frames are sent strictly in
    seq order, without gaps or repeats: the socket joins the job's group before it reads the
    database, drops what it already sent, holds what arrives early, and fills any gap (an event
    dropped by the channel layer, or still on its way) from the database, which also gets a look
    every `poll_seconds` in case the newest event's message never came.

    Slow clients: at most `max_backlog` live events wait for a client; one more and the socket
    sends `{"type": "resync", "seq": <last seq sent>}` and closes with 4008. The client then
    reconnects with `?after=<that seq>`.
    """

    max_backlog = 1000
    page_size = 200
    poll_seconds = 5.0

    async def connect(self) -> None:
        self.streamer: asyncio.Task | None = None
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await refuse(self, CLOSE_UNAUTHENTICATED)
            return
        job = await _find_job(self.scope["url_route"]["kwargs"]["name"])
        if job is None:
            await refuse(self, CLOSE_NOT_FOUND)
            return
        if not may_watch(user, job):
            await refuse(self, CLOSE_FORBIDDEN)
            return
        events.attach_loop()
        self.job_id = job.pk
        self.group = events.job_group(job.pk)
        # Join first: whatever happens from now on reaches this socket, or is in the database.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        after = _after(self.scope)
        if after is not None and await _replayable(job.pk, after):
            self.start_stream(sent=after, known=await _current_seq(job.pk))
        else:
            snapshot = await _snapshot(job.pk)
            if snapshot is None:
                await self.close(code=CLOSE_NOT_FOUND)
                return
            await self.send_json(snapshot)
            self.start_stream(sent=snapshot["seq"], known=snapshot["seq"])

    def start_stream(self, *, sent: int, known: int) -> None:
        """Begin sending events after `sent`; `known` is the newest seq known to exist."""
        self.sent = sent  # the newest seq the client has been sent
        self.known = known
        self.pending: dict[int, dict] = {}  # live frames not sent yet, by seq
        self.overflowed = False
        self.wakeup = asyncio.Event()
        self.streamer = asyncio.create_task(self._stream())

    async def disconnect(self, code: int) -> None:
        streamer = getattr(self, "streamer", None)
        if streamer is not None and not streamer.done():
            streamer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await streamer
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """Clients have nothing to say; anything they send (JSON or not) is ignored."""

    async def job_event(self, message: dict) -> None:
        """A live event from `runner.events`: hold it for the sender, in seq order."""
        if getattr(self, "streamer", None) is None or self.overflowed:
            return
        frame = message["frame"]
        seq = frame["seq"]
        if seq <= self.sent or seq in self.pending:
            return
        self.known = max(self.known, seq)
        if len(self.pending) >= self.max_backlog:
            self.overflowed = True
            self.pending.clear()  # memory stays bounded; the client resyncs from the database
        else:
            self.pending[seq] = frame
        self.wakeup.set()

    async def _stream(self) -> None:
        """Send frames in seq order for as long as the socket is open."""
        try:
            await self._stream_frames()
        except Exception:
            logger.exception("streaming the events of job %s failed", getattr(self, "job_id", None))
            with contextlib.suppress(Exception):
                await self.close(code=CLOSE_INTERNAL_ERROR)

    async def _stream_frames(self) -> None:
        while True:
            if self.overflowed:
                await self._resync()
                return
            frame = self.pending.pop(self.sent + 1, None)
            if frame is not None:
                await self._send_frame(frame)
                continue
            if self.known > self.sent:
                if not await self._fill_gap():
                    await self._resync()
                    return
                continue
            self.wakeup.clear()
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                self.known = max(self.known, await _current_seq(self.job_id))

    async def _send_frame(self, frame: dict) -> None:
        await self.send_json(frame)
        self.sent = frame["seq"]

    async def _fill_gap(self) -> bool:
        """Send the next stored events after `sent`; False when they are gone from the database."""
        frames = await _events_after(self.job_id, self.sent, self.page_size)
        if not frames or frames[0]["seq"] != self.sent + 1:
            return False
        for frame in frames:
            if self.overflowed or frame["seq"] != self.sent + 1:
                break
            await self._send_frame(frame)
        for seq in [seq for seq in self.pending if seq <= self.sent]:
            del self.pending[seq]
        return True

    async def _resync(self) -> None:
        self.pending.clear()
        await self.send_json({"type": "resync", "seq": self.sent})
        await self.close(code=CLOSE_RESYNC)
