"""Issue #16: 100 cancels at random moments, against a live `studio up`, through the REST API.

Jobs are submitted in concurrent batches, each canceled once after a random delay of 0-3 s: some
while queued, some while a step prepares or runs, some as their last step completes. Every job
must then have

- answered 202 and ended Canceled within CANCEL_LIMIT seconds of it, or answered 409 (too late)
  and ended Completed;
- no step started (its `started_at`) after the cancel was acknowledged;
- exactly one terminal state: one terminal job event among its stored live events.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import pytest
import requests

# Fewer for a quick look while working on it (the issue asks for 100).
JOBS = int(os.environ.get("STUDIO_FAULTS_CANCELS", "100"))
BATCH = 10
SLOTS = 4
MAX_DELAY = 3.0
CANCEL_LIMIT = 15.0
TERMINAL = ("Completed", "Failed", "Canceled")

SHORT = (
    "type: pipeline\nexperiment_name: cancel-storm\n"
    "settings: {default_compute: azureml:local, force_rerun: true}\n"
    "jobs:\n"
    "  only:\n    type: command\n    environment: azureml:python-3.11@latest\n    command: echo done\n"
)
CHAIN = (
    "type: pipeline\nexperiment_name: cancel-storm\n"
    "settings: {default_compute: azureml:local, force_rerun: true}\n"
    "jobs:\n"
    + "".join(
        f"  s{i}:\n    type: command\n    environment: azureml:python-3.11@latest\n"
        f"    command: sleep 1 && echo s{i}\n"
        for i in range(1, 4)
    )
)


@dataclass
class Storm:
    job: str = ""
    shape: str = ""
    delay: float = 0.0
    cancel_code: int = 0
    cancel_body: str = ""
    acknowledged: float = 0.0  # time.time() when the cancel's answer arrived
    ended_after: float | None = None  # seconds from the acknowledgement to a terminal state seen
    final: dict = field(default_factory=dict)
    steps: list[dict] = field(default_factory=list)
    terminal_events: list[str] = field(default_factory=list)
    error: str = ""

    def describe(self) -> str:
        steps = ", ".join(f"{s['name']}:{s['status']}@{s.get('started_at')}" for s in self.steps)
        return (
            f"{self.job} ({self.shape}) canceled after {self.delay:.2f} s -> {self.cancel_code} "
            f"{self.cancel_body[:120]!r} at {datetime.fromtimestamp(self.acknowledged).isoformat()}; "
            f"ended {self.final.get('status')} after {self.ended_after}; steps {steps}; "
            f"terminal events {self.terminal_events}; {self.error}"
        )


def _started(step: dict) -> float | None:
    value = step.get("started_at")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None


# A job's events are stored just after the commit that changes its status: a client that saw
# the status may ask for the events a moment before its event is there.
EVENT_SETTLE_SECONDS = 5
DUPLICATE_WATCH_SECONDS = 0.5


def _terminal_events(session: requests.Session, base: str, job: str) -> list[str]:
    """The job's terminal job events, once the first is stored (and a moment later, so that a
    second one would be seen too); none within EVENT_SETTLE_SECONDS: the empty list."""

    def read() -> list[str]:
        events = session.get(f"{base}/api/v1/jobs/{job}/events/", timeout=60).json()
        return [e["status"] for e in events["events"] if e["type"] == "job" and e.get("status") in TERMINAL]

    deadline = time.monotonic() + EVENT_SETTLE_SECONDS
    found = read()
    while not found and time.monotonic() < deadline:
        time.sleep(0.1)
        found = read()
    if found:
        time.sleep(DUPLICATE_WATCH_SECONDS)
        found = read()
    return found


def _one(session: requests.Session, base: str, rng: random.Random) -> Storm:
    storm = Storm(shape=rng.choice(["short", "chain"]), delay=rng.uniform(0, MAX_DELAY))
    try:
        document = SHORT if storm.shape == "short" else CHAIN
        answer = session.post(f"{base}/api/v1/jobs/", files={"file": ("storm.yml", document)}, timeout=60)
        assert answer.status_code == 201, answer.text
        storm.job = answer.json()["name"]
        time.sleep(storm.delay)
        answer = session.post(f"{base}/api/v1/jobs/{storm.job}/cancel/", timeout=60)
        storm.acknowledged = time.time()
        storm.cancel_code, storm.cancel_body = answer.status_code, answer.text
        deadline = time.monotonic() + CANCEL_LIMIT + 30
        while time.monotonic() < deadline:
            job = session.get(f"{base}/api/v1/jobs/{storm.job}/", timeout=60).json()
            if job["status"] in TERMINAL:
                storm.ended_after = time.time() - storm.acknowledged
                break
            time.sleep(0.25)
        storm.final = session.get(f"{base}/api/v1/jobs/{storm.job}/", timeout=60).json()
        storm.steps = storm.final["steps"]
        storm.terminal_events = _terminal_events(session, base, storm.job)
    except Exception as error:
        storm.error = f"{type(error).__name__}: {error}"
    return storm


@pytest.fixture(scope="module")
def storms(studio_server, token) -> Iterator[list[Storm]]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=BATCH * 2))
    base = studio_server.url
    # Room for several steps at once, so that some jobs finish within the 3 s a cancel may wait.
    compute = session.get(f"{base}/api/v1/computes/local/", timeout=60).json()
    answer = session.patch(f"{base}/api/v1/computes/local/", json={"max_concurrent_steps": SLOTS}, timeout=60)
    assert answer.status_code == 200, answer.text
    try:
        yield _storm(session, base)
    finally:
        session.patch(
            f"{base}/api/v1/computes/local/",
            json={"max_concurrent_steps": compute["max_concurrent_steps"]},
            timeout=60,
        )


def _storm(session: requests.Session, base: str) -> list[Storm]:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    lock = threading.Lock()
    # A first job builds the local environment: the storm measures cancels, not that build.
    answer = session.post(f"{base}/api/v1/jobs/", files={"file": ("warm.yml", SHORT)}, timeout=60)
    assert answer.status_code == 201, answer.text
    deadline = time.monotonic() + 300
    while (job := session.get(f"{base}/api/v1/jobs/{answer.json()['name']}/", timeout=60).json())[
        "status"
    ] not in TERMINAL and time.monotonic() < deadline:
        time.sleep(0.5)
    assert job["status"] == "Completed", job
    started = time.monotonic()
    results: list[Storm] = []

    def one(_index: int) -> Storm:
        with lock:
            job_rng = random.Random(rng.random())
        return _one(session, base, job_rng)

    with ThreadPoolExecutor(max_workers=BATCH, thread_name_prefix="storm") as pool:
        for first in range(0, JOBS, BATCH):
            results += pool.map(one, range(first, min(JOBS, first + BATCH)))
    canceled = sum(s.final.get("status") == "Canceled" for s in results)
    late = sum(s.cancel_code == 409 for s in results)
    running = sum(any(_started(step) for step in s.steps) for s in results)
    slowest = max((s.ended_after or 0 for s in results), default=0)
    print(
        f"\ncancel storm: seed {seed}, {len(results)} cancels, {canceled} Canceled, {late} too late "
        f"(409, Completed), {running} had a step started, slowest end {slowest:.1f} s after the cancel, "
        f"{time.monotonic() - started:.0f} s"
    )
    return results


def _failures(storms: list[Storm], ok) -> str:
    bad = [s.describe() for s in storms if not ok(s)]
    return f"{len(bad)} of {len(storms)} jobs:\n" + "\n".join(bad[:30])


def test_each_cancel_ends_its_job(storms: list[Storm]):
    def ok(s: Storm) -> bool:
        if s.error:
            return False
        if s.cancel_code == 202:
            return s.final.get("status") == "Canceled" and (s.ended_after or 1e9) <= CANCEL_LIMIT
        return (
            s.cancel_code == 409 and s.final.get("status") == "Completed" and "already ended" in s.cancel_body
        )

    assert len(storms) == JOBS
    assert all(ok(s) for s in storms), _failures(storms, ok)


def test_no_step_starts_after_the_cancel(storms: list[Storm]):
    def ok(s: Storm) -> bool:
        if s.cancel_code != 202:
            return True
        return all((_started(step) or 0) <= s.acknowledged for step in s.steps)

    assert all(ok(s) for s in storms), _failures(storms, ok)


def test_exactly_one_terminal_state(storms: list[Storm]):
    def ok(s: Storm) -> bool:
        return s.terminal_events == [s.final.get("status")]

    assert all(ok(s) for s in storms), _failures(storms, ok)
