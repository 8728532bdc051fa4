"""Environment builds stream their log to the Preparing steps waiting for them, as `log` events
marked `"source": "build"`: the step that builds and every step that waits for its build."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection

from config.asgi import application
from runner.choices import JobStatus, StepStatus
from runner.events import reading, recording
from runner.images import building_once
from runner.images.building_once import WAITING_LINE, build_lines, build_once, new_lines
from runner.logs import StepLog, read_log
from runner.models import PipelineJob, StepRun
from studio.models import ApiToken, Environment

# --- What a waiter passes on (pure) ---------------------------------------------------------------


def test_new_lines_of_a_growing_log():
    assert new_lines("", "a\nb\n") == ["a", "b"]
    assert new_lines("a\n", "a\nb\nc\n") == ["b", "c"]
    assert new_lines("a\nb\n", "a\nb\n") == []
    assert new_lines("", "progress 10%\r20%\ndone\n") == ["progress 10%\r20%", "done"]


def test_new_lines_of_a_log_that_lost_its_start():
    previous = "".join(f"line {n}\n" for n in range(1, 2000))
    current = "".join(f"line {n}\n" for n in range(1500, 2100))  # trimmed, then 100 more
    assert new_lines(previous, current) == [f"line {n}" for n in range(2000, 2100)]
    repeated = "x\n" * 10
    assert new_lines(repeated, "x\n" * 8 + "y\n") == ["y"]


def test_new_lines_of_a_restarted_build():
    assert new_lines("old 1\nold 2\n", "") == []
    assert new_lines("old 1\nold 2\n", "new 1\n") == ["new 1"]


# --- build_once: the builder's lines reach the waiters --------------------------------------------


@pytest.fixture
def environment(db, studio_home) -> Environment:
    spec = {"name": "build-log-test", "image": "python:3.11-slim", "description": uuid.uuid4().hex}
    return Environment.objects.create(
        name=spec["name"], version="1", spec=spec, content_hash=uuid.uuid4().hex
    )


@pytest.fixture
def quick_polls(monkeypatch):
    monkeypatch.setattr(building_once, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(building_once, "LOG_FLUSH_SECONDS", 0.05)


def slow_build(lines: list[str], started: threading.Event, pause: float = 0.15):
    built = []

    def build(log) -> None:
        started.set()
        for line in lines:
            log(line)
            time.sleep(pause)
        built.append(True)

    return build, built


def run_threads(*targets) -> list[BaseException]:
    errors: list[BaseException] = []

    def wrap(target):
        def run():
            try:
                target()
            except BaseException as error:  # reported by the test
                errors.append(error)
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(target)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_a_waiter_passes_on_every_line_of_the_build_once_in_order(environment, quick_polls):
    lines = [f"Step {n}/6 : RUN something" for n in range(1, 7)]
    started = threading.Event()
    build, built = slow_build(lines, started)
    builder_log: list[str] = []
    waiter_log: list[str] = []

    def builder():
        build_once(
            environment,
            target="t",
            tag="tag",
            present=lambda: bool(built),
            build=build,
            log=builder_log.append,
        )

    def waiter():
        assert started.wait(10)
        time.sleep(0.2)  # join mid-build: what was logged before comes first
        build_once(
            environment,
            target="t",
            tag="tag",
            present=lambda: bool(built),
            build=build,
            log=waiter_log.append,
        )

    assert run_threads(builder, waiter) == []
    assert builder_log == lines and len(built) == 1
    assert waiter_log == [WAITING_LINE, *lines]


@pytest.mark.django_db(transaction=True)
def test_build_lines_are_marked_in_the_step_log_and_carry_no_metrics(environment):
    job = PipelineJob.objects.create(spec={"steps": {}}, status=JobStatus.RUNNING)
    log = StepLog(job.name, "train")
    log.note("attempt 1")
    write = build_lines(log.write)
    write("studio: pip install numpy")
    write("##studio[metric loss=1]")
    log.write("##studio[metric loss=0.5]")
    recording.log_buffer.flush(job.name, "train")

    stored = read_log(job.name, "train")
    assert [(entry["line"], entry.get("source")) for entry in stored] == [
        ("[studio] attempt 1", None),
        ("studio: pip install numpy", "build"),
        ("##studio[metric loss=1]", "build"),
        ("##studio[metric loss=0.5]", None),
    ]
    frames = reading.events_after(job.pk, 0)
    assert [f["type"] for f in frames] == ["log", "metric"]
    assert [line.get("source") for line in frames[0]["lines"]] == [None, "build", "build", None]
    assert [p["value"] for p in frames[1]["points"]] == [0.5]


# --- The job's websocket --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_preparing_steps_get_the_build_log_on_the_jobs_socket(environment, quick_polls, django_user_model):
    user = django_user_model.objects.create_user("bea", password="a-long-test-password-7")
    _, raw_token = ApiToken.issue(user, "socket")
    job = PipelineJob.objects.create(spec={"steps": {}}, status=JobStatus.RUNNING)
    for name in ("a", "b"):
        StepRun.objects.create(job=job, name=name, status=StepStatus.PREPARING)
    lines = [f"#{n} building layer {n}" for n in range(1, 5)]
    started = threading.Event()
    build, built = slow_build(lines, started)

    def step(name: str, wait_first: bool):
        def run():
            if wait_first:
                assert started.wait(10)
            log = StepLog(job.name, name)
            build_once(
                environment,
                target="t",
                tag="tag",
                present=lambda: bool(built),
                build=build,
                log=build_lines(log.write),
            )
            recording.log_buffer.flush(job.name, name)

        return run

    async def follow() -> list[dict]:
        socket = WebsocketCommunicator(
            application,
            f"/ws/jobs/{job.name}/",
            headers=[(b"host", b"localhost"), (b"authorization", f"Bearer {raw_token}".encode())],
        )
        connected, _ = await socket.connect()
        assert connected
        frames = [await socket.receive_json_from(timeout=10)]
        assert frames[0]["type"] == "snapshot"
        errors = await asyncio.gather(
            sync_to_async(run_threads, thread_sensitive=False)(step("a", False), step("b", True))
        )
        assert errors == [[]]
        while not await socket.receive_nothing(timeout=1.0, interval=0.05):
            frames.append(await socket.receive_json_from(timeout=5))
        await socket.disconnect()
        return frames

    frames = async_to_sync(follow)()
    received: dict[str, list[tuple[str, str | None]]] = {"a": [], "b": []}
    for frame in frames[1:]:
        assert frame["type"] == "log"
        received[frame["step"]] += [(line["line"], line.get("source")) for line in frame["lines"]]
    assert received["a"] == [(line, "build") for line in lines]
    assert received["b"] == [(WAITING_LINE, "build"), *((line, "build") for line in lines)]
    assert [f["seq"] for f in frames[1:]] == list(range(frames[0]["seq"] + 1, frames[0]["seq"] + len(frames)))


@pytest.mark.django_db(transaction=True)
def test_lines_just_before_a_long_silent_build_step_are_stored_while_it_runs(environment):
    """`RUN echo working && sleep 600`: the echo comes right after other lines (within the flush
    interval) and then nothing for minutes; the stored log has it in about a second, not at the end."""
    from runner.models import EnvironmentImage

    silent = threading.Event()
    release = threading.Event()

    def build(log) -> None:
        for line in ("Step 1/2 : FROM base", "Step 2/2 : RUN echo working && sleep 600", "working"):
            log(line)
        silent.set()
        release.wait(30)

    worker = threading.Thread(
        target=lambda: (
            build_once(
                environment,
                target="silent",
                tag="t",
                present=lambda: release.is_set(),
                build=build,
                log=lambda _: None,
            ),
            connection.close(),
        )
    )
    worker.start()
    try:
        assert silent.wait(30)
        deadline = time.monotonic() + 10
        stored = ""
        while time.monotonic() < deadline and "working\n" not in stored:
            time.sleep(0.1)
            stored = EnvironmentImage.objects.get(environment=environment, target="silent").log
        assert "working\n" in stored, stored
        assert EnvironmentImage.objects.get(environment=environment, target="silent").status == "building"
    finally:
        release.set()
        worker.join(30)
