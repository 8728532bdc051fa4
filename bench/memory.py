"""Memory: resident memory of `studio up` idle, with 20 steps running, and after 1,000 jobs.

Issue 17, point 7. A real `studio up` (tests/servers.py) in a throwaway STUDIO_HOME (SQLite,
embedded worker threads; `STUDIO_STEP_THREADS` 24 and the `local` compute's
`max_concurrent_steps` raised to 24 through the REST API, so 20 steps can run at once). The
`studio up` process's resident memory (VmRSS in /proc; its step processes are children and not
counted: their sum is shown apart) is read:

- **idle**: started, a warm-up job run (the environment's virtualenv built), 3 s later;
- **20 steps running**: a fan-out of 20 `sleep` steps on `local`, the highest reading while all
  20 are Running;
- **after N jobs** (1,000): N one-step jobs (`run_command` with `true`, `force_rerun`) submitted
  through the API and run to Completed, 3 s later; VmHWM (the peak) too.

    .venv/bin/python bench/memory.py [--jobs 1000] [--running 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from report import Report  # noqa: E402  (a sibling bench module)

from tests.servers import start_studio  # noqa: E402

TERMINAL = ("Completed", "Failed", "Canceled")


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def children_rss_kib(pid: int) -> int:
    """Resident memory of every descendant of `pid` (the step processes), summed."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    total, frontier = 0, [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                frontier.append(child)
                try:
                    total += status_kib(child, "VmRSS")
                except OSError:
                    pass
    return total


def job_document(index: int, script: str, steps: int = 1) -> dict:
    jobs = {
        f"s{n}": {"type": "command", "component": "azureml:run_command:1", "inputs": {"script": script}}
        for n in range(1, steps + 1)
    }
    return {
        "type": "pipeline",
        "display_name": f"memory bench {index}",
        "experiment_name": "bench",
        "settings": {"default_compute": "azureml:local", "force_rerun": True},
        "jobs": jobs,
    }


def submit(session: requests.Session, url: str, document: dict) -> str:
    response = session.post(f"{url}/api/v1/jobs/", json=document, timeout=120)
    if response.status_code != 201:
        raise SystemExit(f"submit: HTTP {response.status_code}: {response.text[:500]}")
    return response.json()["name"]


def wait_ended(session: requests.Session, url: str, name: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = session.get(f"{url}/api/v1/jobs/{name}/", timeout=60).json()
        if job["status"] in TERMINAL:
            return job
        time.sleep(0.2)
    raise SystemExit(f"job {name} did not end within {timeout} s")


def mib(kib: int) -> float:
    return kib / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000, help="jobs run before the last reading")
    parser.add_argument("--running", type=int, default=20, help="steps running at once")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway STUDIO_HOME")
    args = parser.parse_args(argv)

    report = Report("memory")
    report.meta("options", vars(args))
    home = Path(tempfile.mkdtemp(prefix="studio-bench-memory-", dir="/tmp"))
    home.chmod(0o755)
    threads = max(24, args.running + 4)
    server = start_studio(home, extra_env={"STUDIO_STEP_THREADS": str(threads)})
    pid = server.process.pid
    print(
        f"studio up at {server.url}, pid {pid} (STUDIO_HOME {home}); load average {os.getloadavg()}",
        flush=True,
    )
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {server.issue_token('bench')}"
        started = mib(status_kib(pid, "VmRSS"))
        response = session.patch(
            f"{server.url}/api/v1/computes/local/", json={"max_concurrent_steps": threads}, timeout=60
        )
        if response.status_code != 200:
            raise SystemExit(f"compute: HTTP {response.status_code}: {response.text[:500]}")
        warm = wait_ended(session, server.url, submit(session, server.url, job_document(0, "true")))
        if warm["status"] != "Completed":
            raise SystemExit(f"warm-up job ended {warm['status']}: {warm.get('status_reason')}")
        time.sleep(3)
        idle = mib(status_kib(pid, "VmRSS"))
        print(f"idle: {idle:.1f} MiB (just started: {started:.1f} MiB)", flush=True)
        report.row("studio up just started", started, "MiB")
        report.row("studio up idle (after a warm-up job)", idle, "MiB")

        name = submit(session, server.url, job_document(1, "sleep 20", steps=args.running))
        peak, children, seen = 0.0, 0.0, 0
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            job = session.get(f"{server.url}/api/v1/jobs/{name}/", timeout=60).json()
            running = sum(1 for step in job["steps"] if step["status"] == "Running")
            if running == args.running:
                seen += 1
                peak = max(peak, mib(status_kib(pid, "VmRSS")))
                children = max(children, mib(children_rss_kib(pid)))
            elif seen or job["status"] in TERMINAL:
                break
            time.sleep(0.2)
        wait_ended(session, server.url, name)
        if not seen:
            report.row(
                f"studio up with {args.running} steps running", None, "MiB", note="never all running at once"
            )
        else:
            print(f"{args.running} running: {peak:.1f} MiB (+ step processes {children:.1f} MiB)", flush=True)
            report.row(
                f"studio up with {args.running} steps running",
                peak,
                "MiB",
                note=f"highest of {seen} readings; the step processes: {children:.1f} MiB more",
            )

        began = time.perf_counter()
        names = [
            submit(session, server.url, job_document(index, "true")) for index in range(2, args.jobs + 2)
        ]
        print(f"{args.jobs} jobs submitted in {time.perf_counter() - began:.1f} s", flush=True)
        failed = 0
        for name in names:  # in submission order: most have ended by the time they are asked about
            failed += wait_ended(session, server.url, name, timeout=3600)["status"] != "Completed"
        print(
            f"{args.jobs} jobs ended in {time.perf_counter() - began:.1f} s ({failed} not Completed)",
            flush=True,
        )
        time.sleep(3)
        after = mib(status_kib(pid, "VmRSS"))
        high = mib(status_kib(pid, "VmHWM"))
        print(f"after {args.jobs} jobs: {after:.1f} MiB (peak {high:.1f} MiB)", flush=True)
        report.row(
            f"studio up after {args.jobs} jobs",
            after,
            "MiB",
            note=f"peak {high:.1f} MiB; +{after - idle:.1f} MiB over idle;"
            f" the jobs took {time.perf_counter() - began:.0f} s",
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
