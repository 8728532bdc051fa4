"""Crash recovery end to end: a `studio worker` killed with SIGKILL while a step runs.

Every Studio here is a real process (PostgreSQL through DATABASE_URL, Redis through REDIS_URL), so
the worker can die the hard way. A second worker's reconciler must then find the step (its
heartbeat goes stale after STUDIO_HEARTBEAT_TIMEOUT_SECONDS, 6 s here instead of the default 30 s so
that each scenario waits seconds, not half a minute) and

- adopt it when its container still runs: logs resume after the last recorded line;
- retry it when its container is gone;
- collect it when its container exited while nobody watched, without running it again.

Each scenario runs once and records what happened; the tests assert on that, so one broken aspect
(say the log) does not hide the others. The three run at the same time, each in a Studio of its own.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.production import Studio, Worker, docker_client, production_studio

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.postgres]

STUDIO_BIN = Path(sys.executable).parent / "studio"
PIPELINE = Path(__file__).parent / "pipelines" / "crash_recovery" / "pipeline.yml"
PRODUCE, CONSUME = "produce", "consume"
# The reconciler adopts a step once its heartbeat is older than this (STUDIO_HEARTBEAT_TIMEOUT_SECONDS;
# workers beat every third of it) and looks every RECONCILE_SECONDS (STUDIO_RECONCILE_SECONDS).
STALE_AFTER_SECONDS = 6
RECONCILE_SECONDS = 2
# The adopted step prints this many lines a second apart: it must still run when its heartbeat
# turns stale and a new worker looks (about STALE_AFTER + RECONCILE + a worker's start after the kill).
ADOPT_LINES = 30
COMMAND_TIMEOUT = 180
# Before the first kill the environment image may still have to be built.
FIRST_START_TIMEOUT = 300
# The recovered job must end within this long after the second worker starts.
RECOVERY_TIMEOUT = 90


@dataclass
class Scenario:
    """One crash and its recovery, and everything needed to explain a failure."""

    studio: Studio
    name: str
    job: str = ""
    workers: list[Worker] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Filled in as it goes.
    container_id: str = ""
    container_state_after_kill: str = ""
    lines_before_kill: int = 0
    recovery_seconds: float | None = None
    final_job: dict = field(default_factory=dict)
    final_steps: dict[str, dict] = field(default_factory=dict)
    produce_log: list[dict] = field(default_factory=list)
    consume_log: list[dict] = field(default_factory=list)

    def start_worker(self, *, threads: int = 2) -> Worker:
        output = self.studio.home / f"worker-{self.name}-{len(self.workers) + 1}.log"
        worker = self.studio.start_worker(output, threads=threads)
        self.workers.append(worker)
        self.notes.append(f"{time.strftime('%X')} started worker {worker.process.pid} ({threads} threads)")
        return worker

    def note(self, text: str) -> None:
        self.notes.append(f"{time.strftime('%X')} {text}")

    def produce_lines(self) -> list[str]:
        return [e["line"] for e in self.studio.log(self.job, PRODUCE) if e["line"].startswith("line-")]

    def diagnostics(self) -> str:
        parts = [f"scenario {self.name}, job {self.job}", *self.notes]
        if self.job:
            parts.append(f"job: {self.studio.job(self.job)}")
            for step in self.studio.steps(self.job).values():
                parts.append(f"step: {step}")
            for step in (PRODUCE, CONSUME):
                lines = [f"{e['seq']:>3} {e['t']:.3f} {e['line']}" for e in self.studio.log(self.job, step)]
                parts.append(f"--- log of {step}:\n" + "\n".join(lines[-80:]))
        for worker in self.workers:
            parts.append(f"--- {worker.output.name} (exit {worker.process.poll()}):\n{worker.text()[-6000:]}")
        return "\n".join(parts)

    def wait(self, what: str, condition: Callable[[], bool], *, timeout: float, interval: float = 0.2):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(interval)
        pytest.fail(f"timed out after {timeout} s waiting for {what}\n{self.diagnostics()}", pytrace=False)

    def produce(self) -> dict:
        return self.studio.steps(self.job)[PRODUCE]

    def produce_running(self, *, min_lines: int = 0) -> bool:
        step = self.produce()
        if self.workers and self.workers[-1].process.poll() is not None:
            pytest.fail(f"the worker exited early\n{self.diagnostics()}", pytrace=False)
        if step["status"] in ("Completed", "Failed", "Canceled"):
            pytest.fail(f"{PRODUCE} ended before the crash\n{self.diagnostics()}", pytrace=False)
        return (
            step["status"] == "Running"
            and bool(step["container_id"])
            and len(self.produce_lines()) >= min_lines
        )

    def container_state(self) -> str:
        import docker.errors

        try:
            container = docker_client().containers.get(self.container_id)
        except docker.errors.NotFound:
            return "gone"
        return container.status

    def recover(self) -> None:
        """Start a fresh worker and wait for the job to end; record the outcome."""
        started = time.monotonic()
        self.start_worker()

        def ended() -> bool:
            return self.studio.job(self.job)["status"] in ("Completed", "Failed", "Canceled")

        deadline = time.monotonic() + STALE_AFTER_SECONDS + RECOVERY_TIMEOUT
        while time.monotonic() < deadline and not ended():
            time.sleep(0.5)
        if ended():
            self.recovery_seconds = time.monotonic() - started
        self.note(f"job ended: {ended()} after {time.monotonic() - started:.1f} s")
        self.final_job = self.studio.job(self.job)
        self.final_steps = self.studio.steps(self.job)
        self.produce_log = self.studio.log(self.job, PRODUCE)
        self.consume_log = self.studio.log(self.job, CONSUME)

    def cleanup(self) -> None:
        for worker in self.workers:
            try:
                worker.stop()
            except Exception as error:  # never leave a worker behind
                self.note(f"stopping worker {worker.process.pid}: {error}")
                worker.kill()
        if self.job:
            try:
                client = docker_client()
                for container in client.containers.list(
                    all=True, filters={"label": f"studio.job={self.job}"}
                ):
                    container.remove(force=True)
            except Exception as error:
                self.note(f"removing containers: {error}")
            if self.final_job.get("status") not in ("Completed", "Failed", "Canceled"):
                self.studio.abandon(self.job)


# --- the three crashes -------------------------------------------------------------------------------


def crash_adopted(studio: Studio) -> Scenario:
    """SIGKILL the worker while the step prints; its container keeps running; a new worker adopts it.

    ADOPT_LINES lines a second apart: the step still runs when its heartbeat turns stale (~6 s
    after the kill), so the new worker must adopt it rather than collect it.
    """
    scenario = Scenario(studio, "adopt")
    try:
        scenario.job = studio.submit(PIPELINE, lines=ADOPT_LINES, pause=1)
        first = scenario.start_worker()
        scenario.wait(
            f"{PRODUCE} Running with a container and 3 lines",
            lambda: scenario.produce_running(min_lines=3),
            timeout=FIRST_START_TIMEOUT,
        )
        scenario.container_id = scenario.produce()["container_id"]
        first.kill()
        scenario.lines_before_kill = len(scenario.produce_lines())
        scenario.note(f"SIGKILLed the first worker after {scenario.lines_before_kill} lines")
        scenario.container_state_after_kill = scenario.container_state()
        scenario.recover()
    finally:
        scenario.cleanup()
    return scenario


def crash_retried(studio: Studio) -> Scenario:
    """SIGKILL the worker, then remove the step's container: the step is retried."""
    scenario = Scenario(studio, "retry")
    try:
        scenario.job = studio.submit(PIPELINE, lines=20, pause=0.5)
        first = scenario.start_worker()
        scenario.wait(
            f"{PRODUCE} Running with a container and 2 lines",
            lambda: scenario.produce_running(min_lines=2),
            timeout=FIRST_START_TIMEOUT,
        )
        scenario.container_id = scenario.produce()["container_id"]
        first.kill()
        scenario.lines_before_kill = len(scenario.produce_lines())
        docker_client().containers.get(scenario.container_id).remove(force=True)
        scenario.container_state_after_kill = scenario.container_state()
        scenario.note(f"SIGKILLed the first worker and removed {scenario.container_id[:12]}")
        scenario.recover()
    finally:
        scenario.cleanup()
    return scenario


def crash_collected(studio: Studio) -> Scenario:
    """The worker freezes (SIGSTOP) as the step starts, the container exits, then SIGKILL.

    The step is still Running in the database with an exited container: a new worker must collect
    its result without running it again.
    """
    scenario = Scenario(studio, "collect")
    try:
        scenario.job = studio.submit(PIPELINE, lines=6, pause=0.5)
        first = scenario.start_worker()
        scenario.wait(
            f"{PRODUCE} Running with a container",
            lambda: scenario.produce_running(min_lines=0),
            timeout=FIRST_START_TIMEOUT,
            interval=0.02,
        )
        first.signal(signal.SIGSTOP)
        scenario.container_id = scenario.produce()["container_id"]
        scenario.lines_before_kill = len(scenario.produce_lines())
        scenario.note(f"SIGSTOPped the first worker after {scenario.lines_before_kill} lines")
        scenario.wait("the container to exit", lambda: scenario.container_state() == "exited", timeout=60)
        first.kill()
        scenario.container_state_after_kill = scenario.container_state()
        step = scenario.produce()
        if step["status"] != "Running":
            pytest.fail(
                f"{PRODUCE} is {step['status']}, not Running, after the kill: the worker recorded "
                f"the end before it froze\n{scenario.diagnostics()}",
                pytrace=False,
            )
        scenario.note("SIGKILLed the frozen worker; the container had exited, the step is Running")
        scenario.recover()
    finally:
        scenario.cleanup()
    return scenario


CRASHES = {"adopt": crash_adopted, "retry": crash_retried, "collect": crash_collected}


@pytest.fixture(scope="module")
def crashes(postgres_url: str, redis_url: str) -> Iterator[dict[str, Future]]:
    """The three crashes at the same time, each in a Studio of its own (database, home, Redis
    database): most of a crash is waiting (for a container, a stale heartbeat, numbered lines).

    The Studios stay until the module ends, so a failing test's diagnostics can still read them.
    """
    opened: list[AbstractContextManager] = []
    lock = threading.Lock()

    def run(redis_db: int, crash: Callable[[Studio], Scenario]) -> Scenario:
        made = production_studio(
            postgres_url,
            redis_url,
            reconcile_seconds=RECONCILE_SECONDS,
            redis_db=redis_db,
            STUDIO_HEARTBEAT_TIMEOUT_SECONDS=str(STALE_AFTER_SECONDS),
        )
        studio = made.__enter__()
        with lock:
            opened.append(made)
        return crash(studio)

    pool = ThreadPoolExecutor(max_workers=len(CRASHES), thread_name_prefix="crash")
    try:
        yield {name: pool.submit(run, db, crash) for db, (name, crash) in enumerate(CRASHES.items(), 1)}
    finally:
        pool.shutdown(wait=True)
        for made in opened:
            made.__exit__(None, None, None)


@pytest.fixture(scope="module")
def adopted(crashes: dict[str, Future]) -> Scenario:
    return crashes["adopt"].result()


@pytest.fixture(scope="module")
def retried(crashes: dict[str, Future]) -> Scenario:
    return crashes["retry"].result()


@pytest.fixture(scope="module")
def collected(crashes: dict[str, Future]) -> Scenario:
    return crashes["collect"].result()


# --- helpers for the assertions --------------------------------------------------------------------


def _numbered(entries: list[dict]) -> list[str]:
    return [entry["line"] for entry in entries if entry["line"].startswith("line-")]


def _studio_notes(entries: list[dict]) -> list[str]:
    return [entry["line"] for entry in entries if entry["line"].startswith("[studio]")]


def _assert_completed(scenario: Scenario) -> None:
    assert scenario.final_job.get("status") == "Completed", scenario.diagnostics()
    assert scenario.final_steps[PRODUCE]["status"] == "Completed", scenario.diagnostics()
    assert scenario.final_steps[CONSUME]["status"] == "Completed", scenario.diagnostics()


# --- a. adopted ------------------------------------------------------------------------------------


def test_killed_worker_step_is_adopted_and_the_job_completes(adopted: Scenario):
    assert adopted.container_state_after_kill == "running", adopted.diagnostics()
    _assert_completed(adopted)
    produce = adopted.final_steps[PRODUCE]
    assert produce["attempt"] == 1, adopted.diagnostics()
    assert produce["exit_code"] == 0, adopted.diagnostics()
    assert produce["container_id"] == adopted.container_id, adopted.diagnostics()
    notes = _studio_notes(adopted.produce_log)
    assert any("recovery:" in note and "adopting" in note for note in notes), adopted.diagnostics()
    assert not any("retrying" in note for note in notes), adopted.diagnostics()
    assert any(f"consumed {ADOPT_LINES} numbers" in entry["line"] for entry in adopted.consume_log), (
        adopted.diagnostics()
    )
    assert adopted.recovery_seconds is not None and adopted.recovery_seconds < 60 + STALE_AFTER_SECONDS


def test_adopted_step_log_resumes_without_gap_or_duplicate(adopted: Scenario):
    assert adopted.lines_before_kill >= 3
    numbered = _numbered(adopted.produce_log)
    expected = [f"line-{i}" for i in range(1, ADOPT_LINES + 1)]
    missing = [line for line in expected if line not in numbered]
    assert numbered == expected, (
        f"{len(numbered)} numbered lines, missing {missing}, {len(numbered) - len(set(numbered))} repeated; "
        f"{adopted.lines_before_kill} were recorded before the kill\n{adopted.diagnostics()}"
    )
    seqs = [entry["seq"] for entry in adopted.produce_log]
    assert seqs == list(range(1, len(seqs) + 1)), seqs


# --- b. retried ------------------------------------------------------------------------------------


def test_vanished_container_is_retried_and_the_job_completes(retried: Scenario):
    assert retried.container_state_after_kill == "gone", retried.diagnostics()
    _assert_completed(retried)
    produce = retried.final_steps[PRODUCE]
    assert produce["attempt"] == 2, retried.diagnostics()
    assert produce["exit_code"] == 0, retried.diagnostics()
    assert produce["container_id"] != retried.container_id, retried.diagnostics()
    notes = _studio_notes(retried.produce_log)
    assert any("stopped and the step's container or process is gone" in note for note in notes), (
        retried.diagnostics()
    )
    assert any("recovery:" in note and "retrying" in note for note in notes), retried.diagnostics()
    # The second attempt printed everything, once, after its own start note.
    starts = [
        i for i, entry in enumerate(retried.produce_log) if entry["line"].startswith("[studio] attempt 2")
    ]
    assert starts, retried.diagnostics()
    assert _numbered(retried.produce_log[starts[0] :]) == [f"line-{i}" for i in range(1, 21)], (
        retried.diagnostics()
    )
    assert any("consumed 20 numbers" in entry["line"] for entry in retried.consume_log), retried.diagnostics()


# --- c. collected ----------------------------------------------------------------------------------


def test_exited_container_is_collected_without_running_again(collected: Scenario):
    assert collected.container_state_after_kill == "exited", collected.diagnostics()
    _assert_completed(collected)
    produce = collected.final_steps[PRODUCE]
    assert produce["attempt"] == 1, collected.diagnostics()
    assert produce["exit_code"] == 0, collected.diagnostics()
    assert produce["container_id"] == collected.container_id, collected.diagnostics()
    notes = _studio_notes(collected.produce_log)
    assert any("recovery:" in note and "collecting" in note for note in notes), collected.diagnostics()
    assert sum(note.startswith("[studio] attempt ") for note in notes) == 1, collected.diagnostics()
    assert sum(note.startswith("[studio] started container") for note in notes) == 1, collected.diagnostics()
    assert any("consumed 6 numbers" in entry["line"] for entry in collected.consume_log), (
        collected.diagnostics()
    )


def test_collected_step_log_has_every_line_once(collected: Scenario):
    numbered = _numbered(collected.produce_log)
    assert numbered == [f"line-{i}" for i in range(1, 7)], (
        f"{collected.lines_before_kill} lines were recorded before the worker froze\n"
        + collected.diagnostics()
    )
