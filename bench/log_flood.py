"""A step that floods its log: the job list's latency meanwhile, the database's growth, the lag.

It starts a real `studio up` (uvicorn, worker threads) in a throwaway STUDIO_HOME, makes an API
token, runs a small warm-up job (the environment is built before anything is timed), then
submits a job whose one step prints `--megabytes` MB as lines of 100 characters, as fast as it
can. While it runs, and for `--after` requests once it ended, it times `GET /api/v1/jobs/` (the
paged job list with its steps, as the jobs page and `studio job list` read it) back to back.

Figures:

- **jobs list during / after**: p50, p95 and max of `GET /api/v1/jobs/` while the flood runs and
  after it ended;
- **database**: the size of `studio.sqlite3` (with its WAL) before the flood and after it;
- **log file**: the step's `.log.jsonl` at the end (the cap, `STUDIO_STEP_LOG_MAX_BYTES`);
- **log events**: the job's `log` events and the characters of text they carry;
- **last line → Completed**: from the time of the step's last line to the step's Completed
  event (negative: the event came after the line, as it must), and whether every log event of
  the step comes before that event.

The figures also go to bench/results/log_flood.json (bench/report.py, merged by `make bench`); the
one goal there is that no log event of the step comes after its Completed event.

    .venv/bin/python bench/log_flood.py [--megabytes 50] [--compute local|docker] [--after 50]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import Report  # noqa: E402  (sibling bench modules)

from tests.servers import STUDIO_BIN, start_studio  # noqa: E402

COMPONENT_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: bench_log_flood
display_name: print lines of 100 characters
is_deterministic: false
inputs:
  lines: {type: integer}
environment: azureml:python-3.11@latest
command: >-
  python -c "import sys; w = sys.stdout.write;
  [w(f'{i:09d} ' + 'x' * 90 + chr(10)) for i in range(${{inputs.lines}})];
  w('the last line' + chr(10))"
"""


def pipeline_yaml(lines: int, compute: str) -> str:
    return (
        "type: pipeline\ndisplay_name: log flood bench\nexperiment_name: bench\nsettings:\n"
        f"  default_compute: azureml:{compute}\n  force_rerun: true\njobs:\n  flood:\n"
        f"    type: command\n    component: ./component.yml\n    inputs:\n      lines: {lines}\n"
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def database_bytes(home: Path) -> int:
    """The SQLite database and its write-ahead log."""
    files = [home / "studio.sqlite3", home / "studio.sqlite3-wal"]
    return sum(path.stat().st_size for path in files if path.exists())


def submit(server, token: str, work: Path, name: str, lines: int, compute: str) -> None:
    (work / "component.yml").write_text(COMPONENT_YAML)
    (work / f"{name}.yml").write_text(pipeline_yaml(lines, compute))
    env = {**os.environ, "STUDIO_URL": server.url, "STUDIO_TOKEN": token, "XDG_CONFIG_HOME": str(work / "c")}
    result = subprocess.run(
        [str(STUDIO_BIN), "job", "create", "-f", str(work / f"{name}.yml"), "--name", name],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise SystemExit(f"cannot submit {name}:\n{result.stdout}\n{result.stderr}")


def job_status(server, headers: dict, name: str) -> str:
    return requests.get(f"{server.url}/api/v1/jobs/{name}/", headers=headers, timeout=60).json()["status"]


def wait_until_ended(server, headers: dict, name: str, timeout: float = 900) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = job_status(server, headers, name)
        if status in ("Completed", "Failed", "Canceled"):
            return status
        time.sleep(0.5)
    raise SystemExit(f"{name} did not end within {timeout} s")


def time_list(server, headers: dict) -> float:
    started = time.perf_counter()
    response = requests.get(f"{server.url}/api/v1/jobs/", headers=headers, timeout=120)
    response.raise_for_status()
    return time.perf_counter() - started


def all_events(server, headers: dict, name: str) -> list[dict]:
    frames, after = [], 0
    while True:
        body = requests.get(
            f"{server.url}/api/v1/jobs/{name}/events/", params={"after": after}, headers=headers, timeout=120
        ).json()
        frames += body["events"]
        after = body["last_seq"]
        if not body["more"]:
            return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=float, default=50)
    parser.add_argument("--compute", default="local")
    parser.add_argument("--after", type=int, default=50, help="requests timed once the flood ended")
    args = parser.parse_args()
    lines = int(args.megabytes * 1e6 / 100)
    report = Report("log_flood")
    report.meta("options", vars(args))

    root = Path(tempfile.mkdtemp(prefix="studio-log-flood-", dir="/tmp"))
    root.chmod(0o755)
    home, work = root / "home", root / "work"
    work.mkdir()
    server = start_studio(
        home, extra_env={"PYTHONPATH": str(REPO_ROOT), "STUDIO_LOG_LEVEL": "WARNING"}, timeout=180
    )
    try:
        headers = {"Authorization": f"Bearer {server.issue_token('log flood bench')}"}
        token = headers["Authorization"].split()[1]
        # Warm-up, and a few ended jobs for the list to show.
        for index in range(5):
            submit(server, token, work, f"warmup_{index}", 10, args.compute)
        for index in range(5):
            if wait_until_ended(server, headers, f"warmup_{index}") != "Completed":
                raise SystemExit(f"the warm-up job ended badly:\n{server.log()[-3000:]}")
        before = database_bytes(home)
        name = f"flood_{int(time.time())}"
        submit(server, token, work, name, lines, args.compute)

        during: list[float] = []
        status = {"value": "Queued"}

        def watch() -> None:
            while status["value"] not in ("Completed", "Failed", "Canceled"):
                status["value"] = job_status(server, headers, name)
                time.sleep(0.2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        started = time.monotonic()
        while watcher.is_alive():
            during.append(time_list(server, headers))
        flood_seconds = time.monotonic() - started
        after = [time_list(server, headers) for _ in range(args.after)]
        if status["value"] != "Completed":
            raise SystemExit(f"{name} ended {status['value']}:\n{server.log()[-3000:]}")
        time.sleep(1)
        grown = database_bytes(home) - before

        frames = all_events(server, headers, name)
        logs = [f for f in frames if f["type"] == "log"]
        end = next(f for f in frames if f["type"] == "step" and f["status"] == "Completed")
        last_line = max((line["t"] for f in logs for line in f["lines"]), default=0)
        lag = datetime.fromisoformat(end["at"]).timestamp() - last_line
        late = sum(1 for f in logs if f["seq"] > end["seq"])
        ordered = late == 0
        log_file = home / "artifacts" / "jobs" / name / "flood" / ".log.jsonl"
        chars = sum(len(line["line"]) for f in logs for line in f["lines"])
    finally:
        server.stop()

    def row(label: str, values: list[float]) -> str:
        return (
            f"| {label} | {len(values)} | {percentile(values, 0.5) * 1000:.0f} | "
            f"{percentile(values, 0.95) * 1000:.0f} | {max(values) * 1000:.0f} |"
        )

    print(
        f"\n{args.megabytes:g} MB in {lines:,} lines on `{args.compute}`; the job ran {flood_seconds:.1f} s\n"
    )
    print("| GET /api/v1/jobs/ | requests | p50 (ms) | p95 (ms) | max (ms) |")
    print("|---|---|---|---|---|")
    print(row("during the flood", during))
    print(row("after it", after))
    print()
    print(f"- database: +{grown / 1e6:.1f} MB ({before / 1e6:.1f} MB before)")
    log_size = log_file.stat().st_size if log_file.exists() else None
    log_note = "" if log_size is not None else "the file is gone"
    print(f"- log file: {log_size / 1e6:.1f} MB" if log_size is not None else "- log file: gone")
    print(f"- log events: {len(logs)}, {chars / 1e6:.1f} M characters of text")
    print(f"- step's last line -> its Completed event: {lag:.2f} s; every log event before it: {ordered}")
    shutil.rmtree(root, ignore_errors=True)

    size = f"{args.megabytes:g} MB in {lines:,} lines on {args.compute}"
    report.row("the flood job ran", flood_seconds, "s", note=size)
    for label, values in (("during the flood", during), ("after it", after)):
        p95 = percentile(values, 0.95) * 1000 if values else None
        note = f"{len(values)} requests"
        if values:
            note += f", p50 {percentile(values, 0.5) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"
        report.row(f"GET /api/v1/jobs/ {label}: p95", p95, "ms", note=note)
    report.row("database growth", grown / 1e6, "MB", note=f"{before / 1e6:.1f} MB before")
    report.row("step's log file", log_size / 1e6 if log_size is not None else None, "MB", note=log_note)
    report.row("log events", len(logs), "events", note=f"{chars / 1e6:.1f} M characters of text")
    report.row("step's last line -> its Completed event", lag, "s")
    report.row("log events after the step's Completed event", late, "events", goal="0", met=ordered)
    report.save()


if __name__ == "__main__":
    main()
