"""The job websocket: a snapshot, then every event in order; reconnecting with ?after= misses nothing."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from runner.choices import JobStatus, StepStatus
from runner.consumers import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_RESYNC,
    CLOSE_UNAUTHENTICATED,
    JobEventsConsumer,
    may_watch,
)
from runner.events import reading, recording
from runner.logs import read_log
from runner.models import JobEvent, PipelineJob
from studio.models import ApiToken
from tests.runner.jobs import PIPELINES, submit_file, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

THREE_STEPS = PIPELINES / "three_steps" / "pipeline.yml"
STEP_ORDER = [StepStatus.QUEUED, StepStatus.PREPARING, StepStatus.RUNNING, StepStatus.COMPLETED]
ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture
def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


@pytest.fixture
def start_worker(studio_home):
    """Like the `worker` fixture, but started by the test: the socket connects before the job moves."""
    from runner.worker import start_workers

    groups = []
    yield lambda: groups.append(start_workers(control_threads=2, step_threads=4, reconcile=False))
    for group in groups:
        group.stop(timeout=5_000)


def communicator(job_name: str, *headers, after: int | None = None) -> WebsocketCommunicator:
    path = f"/ws/jobs/{job_name}/" + (f"?after={after}" if after is not None else "")
    return WebsocketCommunicator(application, path, headers=[(b"host", b"localhost"), *headers])


async def collect_until_quiet(socket: WebsocketCommunicator, frames: list, *, quiet: float = 1.0) -> None:
    """Receive until the job's Completed event has come and then nothing for `quiet` seconds."""
    while not any(f["type"] == "job" and f["status"] == JobStatus.COMPLETED for f in frames):
        frames.append(await socket.receive_json_from(timeout=120))
    while not await socket.receive_nothing(timeout=quiet, interval=0.05):
        frames.append(await socket.receive_json_from(timeout=5))


def assert_gap_free(frames: list[dict], first: int) -> None:
    assert [f["seq"] for f in frames] == list(range(first, first + len(frames)))


def test_a_socket_follows_a_real_job_and_a_reconnect_misses_nothing(
    computes, library, start_worker, session_cookie, admin_client
):
    job = submit_file(THREE_STEPS, default_compute="azureml:local")

    async def follow():
        first = communicator(job.name, session_cookie, ORIGIN)
        connected, _ = await first.connect(timeout=10)
        assert connected
        snapshot = await first.receive_json_from(timeout=10)
        await sync_to_async(start_worker)()
        frames: list[dict] = []
        # A second socket joins mid-run with ?after=: stored events, then live ones, in order.
        while not any(f["type"] == "step" and f["step"] == "b" and f["status"] == "Running" for f in frames):
            frames.append(await first.receive_json_from(timeout=120))
        middle = frames[len(frames) // 2]["seq"]
        second = communicator(job.name, session_cookie, ORIGIN, after=middle)
        connected, _ = await second.connect(timeout=10)
        assert connected
        rejoined: list[dict] = []
        await collect_until_quiet(first, frames)
        await collect_until_quiet(second, rejoined)
        await first.disconnect()
        await second.disconnect()
        return snapshot, frames, middle, rejoined

    snapshot, frames, middle, rejoined = async_to_sync(follow)()

    # The snapshot: the job as submitted, nothing started yet.
    assert snapshot["type"] == "snapshot" and snapshot["seq"] == 1
    assert snapshot["job"]["job"] == job.name and snapshot["job"]["status"] == JobStatus.QUEUED
    assert [(s["step"], s["status"], s["log_seq"]) for s in snapshot["steps"]] == [
        ("a", StepStatus.NOT_STARTED, 0),
        ("b", StepStatus.NOT_STARTED, 0),
        ("c", StepStatus.NOT_STARTED, 0),
    ]
    # Then every event after it, without gaps.
    assert_gap_free(frames, 2)
    statuses = [
        (f["type"], f.get("step") or f.get("job"), f.get("status")) for f in frames if f["type"] != "log"
    ]
    assert statuses[0] == ("job", job.name, JobStatus.RUNNING)
    assert statuses[-1] == ("job", job.name, JobStatus.COMPLETED)
    for name in "abc":
        assert [s for kind, n, s in statuses if kind == "step" and n == name] == STEP_ORDER
    position = {(n, s): i for i, (_, n, s) in enumerate(statuses)}
    assert position[("a", "Completed")] < position[("b", "Queued")]
    assert position[("b", "Completed")] < position[("c", "Queued")]
    completed_a = next(
        f for f in frames if f["type"] == "step" and f["step"] == "a" and f["status"] == "Completed"
    )
    assert completed_a["exit_code"] == 0 and completed_a["compute"] == "local"
    assert completed_a["outputs"]["out"]["hash"] and completed_a["attempt"] == 1

    # Log events carry every line of the log files, once, in order; printed lines before the end.
    for name, count in (("a", 1), ("b", 2), ("c", 3)):
        logs = [f for f in frames if f["type"] == "log" and f["step"] == name]
        lines = [line for f in logs for line in f["lines"]]
        assert lines == read_log(job.name, name)
        printed = next(
            f["seq"] for f in logs if any(f"{name} wrote {count} lines" in x["line"] for x in f["lines"])
        )
        assert printed < completed_seq(frames, name)

    # The socket that joined mid-run got exactly the events after its seq.
    assert rejoined == [f for f in frames if f["seq"] > middle]

    # The REST replay agrees with both.
    body = admin_client.get(f"/api/v1/jobs/{job.name}/events/", {"after": 0}).json()
    assert body["events"][1:] == frames
    assert body["events"][0]["type"] == "job" and body["events"][0]["status"] == JobStatus.QUEUED
    assert body["last_seq"] == frames[-1]["seq"]
    later = admin_client.get(f"/api/v1/jobs/{job.name}/events/", {"after": middle}).json()
    assert later["events"] == rejoined

    # Reconnecting after the end replays exactly the rest, then nothing.
    async def reconnect():
        socket = communicator(job.name, session_cookie, ORIGIN, after=middle)
        connected, _ = await socket.connect(timeout=10)
        assert connected
        replay = [await socket.receive_json_from(timeout=10) for _ in rejoined]
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return replay

    assert async_to_sync(reconnect)() == rejoined
    assert wait_for(job).status == JobStatus.COMPLETED


def completed_seq(frames: list[dict], step: str) -> int:
    return next(
        f["seq"] for f in frames if f["type"] == "step" and f["step"] == step and f["status"] == "Completed"
    )


@pytest.fixture
def queued_job(studio_home) -> PipelineJob:
    return PipelineJob.objects.create(spec={"steps": {}}, status=JobStatus.QUEUED)


def attempt(path: str, *headers) -> tuple[bool, object, list[dict]]:
    """Connect, read what comes within a moment, disconnect; return what happened."""

    async def run():
        socket = WebsocketCommunicator(application, path, headers=[(b"host", b"localhost"), *headers])
        connected, detail = await socket.connect(timeout=5)
        received = []
        if connected:
            while not await socket.receive_nothing(timeout=0.3):
                output = await socket.receive_output(timeout=5)
                if output["type"] == "websocket.close":
                    # Refused: accepted and closed at once, so a browser sees the code.
                    return False, output.get("code"), received
                received.append(json.loads(output["text"]))
            await socket.disconnect()
        return connected, detail, received

    return async_to_sync(run)()


def test_it_refuses_anonymous_connections(queued_job):
    connected, code, _ = attempt(f"/ws/jobs/{queued_job.name}/", ORIGIN)
    assert (connected, code) == (False, CLOSE_UNAUTHENTICATED)


def test_it_refuses_a_session_from_another_origin(queued_job, session_cookie):
    connected, _, _ = attempt(
        f"/ws/jobs/{queued_job.name}/", session_cookie, (b"origin", b"http://evil.example")
    )
    assert not connected


def test_it_refuses_an_inactive_user(queued_job, user, session_cookie):
    _, raw = ApiToken.issue(user, "ws")
    user.is_active = False
    user.save()

    by_session = attempt(f"/ws/jobs/{queued_job.name}/", session_cookie, ORIGIN)
    by_token = attempt(f"/ws/jobs/{queued_job.name}/", (b"authorization", f"Bearer {raw}".encode()))

    assert by_session[:2] == (False, CLOSE_UNAUTHENTICATED)
    assert not by_token[0]
    assert not may_watch(user, queued_job)


def test_it_says_when_a_job_does_not_exist(session_cookie):
    connected, code, _ = attempt("/ws/jobs/no_such_job/", session_cookie, ORIGIN)
    assert (connected, code) == (False, CLOSE_NOT_FOUND)
    assert CLOSE_FORBIDDEN == 4403


def test_a_token_sees_the_snapshot_and_a_stale_after_gets_one_too(queued_job, user):
    _, raw = ApiToken.issue(user, "ws")
    token = (b"authorization", f"Bearer {raw}".encode())
    recording.record_job(queued_job)
    recording.record_job(queued_job)

    _, _, fresh = attempt(f"/ws/jobs/{queued_job.name}/", token)
    _, _, replayed = attempt(f"/ws/jobs/{queued_job.name}/?after=0", token)
    _, _, ahead = attempt(f"/ws/jobs/{queued_job.name}/?after=99", token)

    assert [(f["type"], f["seq"]) for f in fresh] == [("snapshot", 2)]
    assert fresh[0]["job"]["status"] == JobStatus.QUEUED and fresh[0]["steps"] == []
    assert [(f["type"], f["seq"]) for f in replayed] == [("job", 1), ("job", 2)]
    assert [(f["type"], f["seq"]) for f in ahead] == [("snapshot", 2)]

    JobEvent.objects.filter(job=queued_job, seq=1).delete()  # no longer kept
    _, _, pruned = attempt(f"/ws/jobs/{queued_job.name}/?after=0", token)
    assert [(f["type"], f["seq"]) for f in pruned] == [("snapshot", 2)]


# --- The consumer's ordering and memory bound, driven directly --------------------------------------


def frame(seq: int) -> dict:
    return {"type": "job.event", "frame": {"type": "log", "seq": seq, "step": "a", "lines": []}}


class FakeSocket:
    """Stands in for the ASGI connection: records frames and the close code; can be made slow."""

    def __init__(self, consumer: JobEventsConsumer) -> None:
        self.frames: list[dict] = []
        self.closed: list[int] = []
        self.gate = asyncio.Event()
        self.gate.set()
        consumer.send_json = self.send_json
        consumer.close = self.close

    async def send_json(self, content: dict, close: bool = False) -> None:
        await self.gate.wait()
        self.frames.append(content)

    async def close(self, code=None, reason=None) -> None:
        self.closed.append(code)


def test_a_slow_client_gets_resync_and_is_closed():
    async def run():
        consumer = JobEventsConsumer()
        consumer.max_backlog = 3
        socket = FakeSocket(consumer)
        socket.gate.clear()  # the client reads nothing for now
        consumer.start_stream(sent=10, known=10)
        await consumer.job_event(frame(11))
        await asyncio.sleep(0.01)  # 11 is on its way: the sender waits on the client
        for seq in range(12, 16):  # 12, 13, 14 wait in memory; 15 is one too many
            await consumer.job_event(frame(seq))
        assert consumer.overflowed and consumer.pending == {}
        socket.gate.set()
        await asyncio.wait_for(consumer.streamer, 5)
        return socket

    socket = async_to_sync(run)()
    assert [f["seq"] for f in socket.frames] == [11, 11]
    assert socket.frames[-1] == {"type": "resync", "seq": 11}
    assert socket.closed == [CLOSE_RESYNC]


def test_the_consumer_sends_in_seq_order_once():
    async def run():
        consumer = JobEventsConsumer()
        socket = FakeSocket(consumer)
        consumer.start_stream(sent=10, known=10)
        for seq in (12, 11, 11, 9, 10, 13):  # early, late, repeated, already sent
            await consumer.job_event(frame(seq))
        for _ in range(50):
            await asyncio.sleep(0.01)
            if len(socket.frames) >= 3:
                break
        consumer.streamer.cancel()
        return socket

    socket = async_to_sync(run)()
    assert [f["seq"] for f in socket.frames] == [11, 12, 13]


def test_the_consumer_fills_a_gap_from_the_database(queued_job):
    for _ in range(4):
        recording.record_job(queued_job)
    stored = reading.events_after(queued_job.pk, 0)

    async def run():
        consumer = JobEventsConsumer()
        consumer.job_id = queued_job.pk
        socket = FakeSocket(consumer)
        consumer.start_stream(sent=1, known=1)
        await consumer.job_event({"type": "job.event", "frame": stored[3]})  # 2 and 3 never came
        for _ in range(200):
            await asyncio.sleep(0.01)
            if len(socket.frames) >= 3:
                break
        await asyncio.sleep(0.05)
        consumer.streamer.cancel()
        return socket

    socket = async_to_sync(run)()
    assert socket.frames == stored[1:]


def test_what_a_client_sends_is_ignored_and_live_events_still_come(queued_job, user):
    _, raw = ApiToken.issue(user, "ws")

    async def run():
        socket = communicator(queued_job.name, (b"authorization", f"Bearer {raw}".encode()))
        assert (await socket.connect(timeout=5))[0]
        snapshot = await socket.receive_json_from(timeout=5)
        await socket.send_to(text_data="not json {")
        await sync_to_async(recording.record_job)(queued_job)
        live = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return snapshot, live

    snapshot, live = async_to_sync(run)()
    assert (snapshot["type"], snapshot["seq"]) == ("snapshot", 0)
    assert (live["type"], live["seq"], live["job"]) == ("job", 1, queued_job.name)
