"""Submit → first step running: p50/p95 over 20 submissions, against a bare `docker run -d`.

Issue 17, point 4. A real `studio up` (tests/servers.py) in a throwaway STUDIO_HOME, an API
token, a warm-up job (the environment's image is built first), then 20 times, one after the
other: `POST /api/v1/jobs/` of a one-step pipeline (the library's `run_command`, on `docker`,
`force_rerun`), from the client's clock before the request to the step's `started_at` (the
server marks it Running once its container has started; same host, same clock), waiting for
each job to end before the next. The floor is the same count of `docker run -d --rm <the
environment's image> true` (the CLI returns once the container has started), timed alone, in
the same run. Goal: Studio's p95 at most 300 ms above the bare p95.

    .venv/bin/python bench/submit_latency.py [--count 20] [--compute docker]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from report import Report  # noqa: E402  (a sibling bench module)

from tests.servers import start_studio  # noqa: E402

GOAL_MS = 300.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def document(compute: str, index: int) -> dict:
    return {
        "type": "pipeline",
        "display_name": f"submit latency {index}",
        "experiment_name": "bench",
        "settings": {"default_compute": f"azureml:{compute}", "force_rerun": True},
        "jobs": {
            "only": {"type": "command", "component": "azureml:run_command:1", "inputs": {"script": "true"}}
        },
    }


PHASES = ("POST answered", "created -> step Queued", "Queued -> Running")


def submit_and_wait(
    session: requests.Session, url: str, compute: str, index: int, phases: dict | None = None
) -> tuple[float, dict]:
    """Seconds from before the POST to the step's started_at; the job's detail once it ended.
    `phases`: where that time went, appended to (PHASES: the client's round trip of the POST,
    the job's created_at to the step's queued_at, queued_at to started_at)."""
    sent = time.time()
    response = session.post(f"{url}/api/v1/jobs/", json=document(compute, index), timeout=60)
    answered = time.time()
    if response.status_code != 201:
        raise SystemExit(f"submit: HTTP {response.status_code}: {response.text[:500]}")
    name = response.json()["name"]
    started_at = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = session.get(f"{url}/api/v1/jobs/{name}/", timeout=60).json()
        step = job["steps"][0] if job.get("steps") else {}
        if started_at is None and step.get("started_at"):
            started_at = datetime.fromisoformat(step["started_at"]).timestamp()
        if job["status"] in ("Completed", "Failed", "Canceled"):
            if job["status"] != "Completed":
                raise SystemExit(f"job {name} ended {job['status']}: {job.get('status_reason')}")
            if phases is not None:
                created = datetime.fromisoformat(job["created_at"]).timestamp()
                queued = datetime.fromisoformat(step["queued_at"]).timestamp()
                spans = (answered - sent, queued - created, started_at - queued)
                for phase, seconds in zip(PHASES, spans, strict=True):
                    phases.setdefault(phase, []).append(seconds)
            return started_at - sent, job
        time.sleep(0.02)
    raise SystemExit(f"job {name} did not end within 300 s")


def bare_runs(image: str, count: int) -> list[float]:
    docker_cli = shutil.which("docker")
    if not docker_cli:
        raise SystemExit("the docker CLI is needed for the bare floor")
    seconds = []
    for _ in range(count):
        started = time.time()
        container = subprocess.run(
            [docker_cli, "run", "-d", "--rm", image, "true"], check=True, capture_output=True, text=True
        ).stdout.strip()
        seconds.append(time.time() - started)
        subprocess.run([docker_cli, "wait", container], capture_output=True, check=False)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20, help="submissions (default 20)")
    parser.add_argument("--compute", default="docker")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway STUDIO_HOME")
    args = parser.parse_args(argv)

    report = Report("submit_latency")
    report.meta("options", vars(args))
    home = Path(tempfile.mkdtemp(prefix="studio-bench-submit-", dir="/tmp"))
    home.chmod(0o755)
    server = start_studio(home)
    print(f"studio up at {server.url} (STUDIO_HOME {home}); load average {os.getloadavg()}", flush=True)
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {server.issue_token('bench')}"
        started = time.perf_counter()
        _, warm = submit_and_wait(session, server.url, args.compute, 0)
        image = warm["steps"][0].get("image", "")
        print(f"warm-up: {time.perf_counter() - started:.1f} s ({image})", flush=True)
        phases: dict[str, list[float]] = {}
        studio = [
            submit_and_wait(session, server.url, args.compute, index, phases)[0]
            for index in range(1, args.count + 1)
        ]
        bare = bare_runs(image, args.count) if args.compute == "docker" else []
        for label, values in (("studio submit -> step Running", studio), ("bare docker run -d", bare)):
            if values:
                print(
                    f"{label}: p50 {percentile(values, 0.5) * 1000:.0f} ms,"
                    f" p95 {percentile(values, 0.95) * 1000:.0f} ms,"
                    f" max {max(values) * 1000:.0f} ms over {len(values)}",
                    flush=True,
                )
        report.row(f"submit -> running on {args.compute}: p50", percentile(studio, 0.5) * 1000, "ms")
        report.row(
            f"submit -> running on {args.compute}: p95",
            percentile(studio, 0.95) * 1000,
            "ms",
            note=f"{args.count} submissions, mean {statistics.mean(studio) * 1000:.0f} ms",
        )
        for phase in PHASES:
            values = phases.get(phase, [])
            if values:
                report.row(f"  of which {phase}: p50", percentile(values, 0.5) * 1000, "ms")
        if bare:
            report.row("bare docker run -d: p50", percentile(bare, 0.5) * 1000, "ms")
            report.row("bare docker run -d: p95", percentile(bare, 0.95) * 1000, "ms")
            over = (percentile(studio, 0.95) - percentile(bare, 0.95)) * 1000
            report.row(
                "submit -> running p95 over bare p95",
                over,
                "ms",
                goal=f"<= {GOAL_MS:.0f} ms",
                met=over <= GOAL_MS,
                note=f"p50 over bare p50: {(percentile(studio, 0.5) - percentile(bare, 0.5)) * 1000:+.0f} ms",
            )
    finally:
        server.stop()
        if args.keep:
            print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    report.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
