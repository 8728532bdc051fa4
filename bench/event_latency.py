"""Live event latency: a worker records an event → 50 websocket subscribers of the job receive it.

For each channel layer (`memory`: the in-process one of embedded mode; `redis`: channels-redis on
a throwaway `redis-server`, selected with REDIS_URL as in production), it starts a real `studio up`
(uvicorn, worker threads; `STUDIO_LOCAL_SANDBOX=off`, so that the steps see the gate file on the
host) in a throwaway STUDIO_HOME, makes an API token, submits a job whose steps wait behind a gate
file, opens N websocket subscribers on `/ws/jobs/<job>/` (bearer token,
no Origin, as scripts connect), opens the gate once every socket has its snapshot, and lets the
steps print lines (every 10th a `##studio[metric …]` line) for a while. Each subscriber timestamps
every frame it receives.

Figures, over every (subscriber, event) recorded after all sockets were open:

- **event → received**: the event's `at` (when the worker stored it, just before the commit and
  the channel-layer send) to the moment a subscriber's client loop has the decoded frame: the
  publish path (commit, `group_send`, the layer, the consumer's ordering, the socket);
- **line → received** (log events): the log line's own time `t` to reception: adds the log
  batching (`runner.events.log_batching.LOG_FLUSH_SECONDS`) the publish path starts after.

It also checks that every subscriber got every event once, in order, without gaps. Clocks: server
and subscribers run on this host, so their times compare directly. The figures also go to
bench/results/event_latency.json (bench/report.py, merged by `make bench`), without goals (none
is set for them).

    .venv/bin/python bench/event_latency.py [--subscribers 50] [--layers memory,redis] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import Report  # noqa: E402  (sibling bench modules)

from tests.servers import STUDIO_BIN, start_redis, start_studio  # noqa: E402

EMIT_PY = '''\
"""Wait for the gate file, then print lines at a steady rate (every 10th a metric line)."""
import argparse, os, time

parser = argparse.ArgumentParser()
parser.add_argument("--gate")
parser.add_argument("--seconds", type=float)
parser.add_argument("--interval", type=float)
args = parser.parse_args()
while not os.path.exists(args.gate):
    time.sleep(0.01)
end = time.time() + args.seconds
n = 0
while time.time() < end:
    n += 1
    if n % 10 == 0:
        print(f"##studio[metric n={n} step={n // 10}]", flush=True)
    else:
        print(f"line {n} at {time.time():.6f}", flush=True)
    time.sleep(args.interval)
'''

COMPONENT_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: bench_emit
display_name: print lines behind a gate
is_deterministic: false
inputs:
  gate: {type: string}
  seconds: {type: number}
  interval: {type: number}
code: ./src
environment: azureml:python-3.11@latest
command: python emit.py --gate ${{inputs.gate}} --seconds ${{inputs.seconds}} --interval ${{inputs.interval}}
"""


def pipeline_yaml(steps: int, gate: Path, seconds: float, interval: float) -> str:
    lines = [
        "type: pipeline",
        "display_name: event latency bench",
        "experiment_name: bench",
        "settings:",
        "  default_compute: azureml:local",
        "  force_rerun: true",
        "jobs:",
    ]
    for index in range(1, steps + 1):
        lines += [
            f"  emit{index}:",
            "    type: command",
            "    component: ./component.yml",
            "    inputs:",
            f"      gate: {gate}",
            f"      seconds: {seconds}",
            f"      interval: {interval}",
        ]
    return "\n".join(lines) + "\n"


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Subscriber:
    """What one socket received: (frame, receive time) in order."""

    index: int
    frames: list[tuple[dict, float]] = field(default_factory=list)
    error: str = ""


async def subscribe(
    index: int, url: str, token: str, ready: asyncio.Event, opened: list[int], total: int, stop: asyncio.Event
) -> Subscriber:
    from websockets.asyncio.client import connect

    sub = Subscriber(index)
    try:
        async with connect(
            url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None, open_timeout=60
        ) as socket:
            first = json.loads(await socket.recv())
            sub.frames.append((first, time.time()))
            opened.append(index)
            if len(opened) == total:
                ready.set()
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(socket.recv(), timeout=0.5)
                except TimeoutError:
                    continue
                received = time.time()
                frame = json.loads(raw)
                sub.frames.append((frame, received))
                if frame.get("type") == "resync":
                    sub.error = f"resync at {frame.get('seq')}"
                    break
    except Exception as error:  # reported in the table
        sub.error = f"{type(error).__name__}: {error}"
        ready.set()
    return sub


def timestamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Result:
    layer: str
    subscribers: int
    events: int = 0
    samples: list[float] = field(default_factory=list)
    line_samples: list[float] = field(default_factory=list)
    complete: int = 0
    errors: list[str] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)


def analyse(layer: str, subs: list[Subscriber], opened_at: float) -> Result:
    result = Result(layer, len(subs))
    reference: list[int] | None = None
    for sub in subs:
        if sub.error:
            result.errors.append(f"subscriber {sub.index}: {sub.error}")
        if not sub.frames:
            continue
        snapshot = sub.frames[0][0]
        seqs = [frame["seq"] for frame, _ in sub.frames[1:]]
        if seqs == list(range(snapshot.get("seq", 0) + 1, snapshot.get("seq", 0) + 1 + len(seqs))):
            result.complete += 1
        else:
            result.errors.append(f"subscriber {sub.index}: seqs not contiguous after the snapshot")
        measured = [(frame, received) for frame, received in sub.frames[1:] if "at" in frame]
        measured = [(frame, received) for frame, received in measured if timestamp(frame["at"]) >= opened_at]
        if reference is None:
            reference = [frame["seq"] for frame, _ in measured]
            for frame, _ in measured:
                result.kinds[frame["type"]] = result.kinds.get(frame["type"], 0) + 1
        for frame, received in measured:
            result.samples.append(received - timestamp(frame["at"]))
            if frame["type"] == "log":
                result.line_samples += [received - line["t"] for line in frame["lines"]]
    result.events = len(reference or [])
    return result


async def measure(server_url: str, job: str, token: str, subscribers: int, gate: Path) -> tuple[list, float]:
    ws_url = server_url.replace("http://", "ws://") + f"/ws/jobs/{job}/"
    ready, stop = asyncio.Event(), asyncio.Event()
    opened: list[int] = []
    tasks = [
        asyncio.create_task(subscribe(i, ws_url, token, ready, opened, subscribers, stop))
        for i in range(subscribers)
    ]
    await asyncio.wait_for(ready.wait(), timeout=120)
    opened_at = time.time()
    gate.touch()
    gate.chmod(0o644)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        status = await asyncio.to_thread(
            lambda: requests.get(
                f"{server_url}/api/v1/jobs/{job}/", headers={"Authorization": f"Bearer {token}"}, timeout=10
            ).json()["status"]
        )
        if status in ("Completed", "Failed", "Canceled"):
            break
    await asyncio.sleep(2.0)  # the last events (the job's end, the last notes) reach every socket
    stop.set()
    subs = await asyncio.gather(*tasks)
    if status != "Completed":
        raise SystemExit(f"job {job} ended {status}")
    return subs, opened_at


# --- one layer ------------------------------------------------------------------------------------


def cli(server, token: str, config: Path, *arguments: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "STUDIO_URL": server.url, "STUDIO_TOKEN": token, "XDG_CONFIG_HOME": str(config)}
    return subprocess.run(
        [str(STUDIO_BIN), *arguments], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def new_token(server) -> str:
    response = requests.post(
        f"{server.url}/api/v1/tokens/",
        json={"name": "event latency bench"},
        auth=(server.username, server.password),
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["token"]


def submit(server, token: str, work: Path, name: str, *, steps: int, seconds: float, interval: float) -> Path:
    gate = work / f"gate-{name}"
    (work / "src").mkdir(parents=True, exist_ok=True)
    (work / "src" / "emit.py").write_text(EMIT_PY)
    (work / "component.yml").write_text(COMPONENT_YAML)
    (work / f"{name}.yml").write_text(pipeline_yaml(steps, gate, seconds, interval))
    result = cli(
        server, token, work / "config", "job", "create", "-f", str(work / f"{name}.yml"), "--name", name
    )
    if result.returncode != 0:
        raise SystemExit(f"cannot submit the bench job:\n{result.stdout}\n{result.stderr}")
    return gate


def wait_until_ended(server, token: str, job: str, timeout: float = 900) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = requests.get(
            f"{server.url}/api/v1/jobs/{job}/", headers={"Authorization": f"Bearer {token}"}, timeout=10
        ).json()["status"]
        if status in ("Completed", "Failed", "Canceled"):
            return status
        time.sleep(0.5)
    raise SystemExit(f"job {job} did not end within {timeout} s")


def run_layer(layer: str, args, root: Path) -> Result:
    home = root / layer
    home.mkdir(parents=True)
    home.chmod(0o755)
    work = root / f"{layer}-work"
    work.mkdir()
    work.chmod(0o755)
    redis = start_redis() if layer == "redis" else None
    # The steps wait for a gate file on the host: the bubblewrap sandbox of local steps would hide it
    # (a private /tmp), and what is timed here starts after the step runs.
    extra = {"PYTHONPATH": str(REPO_ROOT), "STUDIO_LOG_LEVEL": "WARNING", "STUDIO_LOCAL_SANDBOX": "off"}
    if redis is not None:
        extra["REDIS_URL"] = redis.url
    server = start_studio(home / "home", extra_env=extra, timeout=180)
    try:
        token = new_token(server)
        # Warm-up: the environment's virtualenv is built before anything is timed.
        gate = submit(server, token, work, f"warmup_{layer}", steps=1, seconds=0.2, interval=0.05)
        gate.touch()
        gate.chmod(0o644)
        status = wait_until_ended(server, token, f"warmup_{layer}")
        if status != "Completed":
            raise SystemExit(f"the warm-up job ended {status}:\n{server.log()[-3000:]}")
        name = f"latency_{layer}_{int(time.time())}"
        gate = submit(
            server, token, work, name, steps=args.steps, seconds=args.seconds, interval=args.interval
        )
        subs, opened_at = asyncio.run(measure(server.url, name, token, args.subscribers, gate))
        return analyse(layer, subs, opened_at)
    finally:
        server.stop()
        if redis is not None:
            redis.stop()


# --- main -----------------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def print_table(results: list[Result]) -> None:
    print()
    print(
        "| layer | subscribers | events | samples | event → received p50 / p95 / max (ms) "
        "| line → received p50 / p95 (ms) | complete |"
    )
    print("| --- | ---: | ---: | ---: | --- | --- | --- |")
    for r in results:
        if not r.samples:
            print(f"| {r.layer} | {r.subscribers} | 0 | 0 | — | — | {r.complete}/{r.subscribers} |")
            continue
        event = f"{ms(percentile(r.samples, 0.5))} / {ms(percentile(r.samples, 0.95))} / {ms(max(r.samples))}"
        line = f"{ms(percentile(r.line_samples, 0.5))} / {ms(percentile(r.line_samples, 0.95))}"
        print(
            f"| {r.layer} | {r.subscribers} | {r.events} | {len(r.samples)} | {event} | {line} "
            f"| {r.complete}/{r.subscribers} |"
        )
    for r in results:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(r.kinds.items()))
        mean = ms(statistics.fmean(r.samples or [0]))
        print(f"\n{r.layer}: events measured per subscriber: {kinds}; mean {mean} ms")
        for error in r.errors[:10]:
            print(f"  ! {error}")


def report_rows(report: Report, results: list[Result]) -> None:
    """Per layer: event → received p50 and p95, line → received p95, complete subscribers."""
    for r in results:
        label = f"{r.layer}, {r.subscribers} subscribers"
        measured = f"{len(r.samples)} samples, {r.events} events each"
        p50 = percentile(r.samples, 0.5) * 1000 if r.samples else None
        p95 = percentile(r.samples, 0.95) * 1000 if r.samples else None
        line = percentile(r.line_samples, 0.95) * 1000 if r.line_samples else None
        top = f"max {max(r.samples) * 1000:.1f} ms" if r.samples else ""
        line_p50 = f"p50 {percentile(r.line_samples, 0.5) * 1000:.1f} ms" if r.line_samples else ""
        report.row(f"{label}: event -> received p50", p50, "ms", note=measured)
        report.row(f"{label}: event -> received p95", p95, "ms", note=top)
        report.row(f"{label}: line -> received p95", line, "ms", note=line_p50)
        errors = f"{len(r.errors)} errors, first: {r.errors[0]}" if r.errors else ""
        report.row(f"{label}: complete", r.complete, f"of {r.subscribers}", note=errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=50, help="websockets on the job (default 50)")
    parser.add_argument("--layers", default="memory,redis", help="memory, redis or both (default)")
    parser.add_argument("--steps", type=int, default=1, help="steps printing at once (default 1)")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long each step prints (default 15)")
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between lines (default 0.02)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway STUDIO_HOMEs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    layers = [name.strip() for name in args.layers.split(",") if name.strip()]
    report = Report("event_latency")
    report.meta(
        "options",
        {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()},
    )
    if "redis" in layers and shutil.which("redis-server") is None:
        print("redis-server is not installed: measuring the in-memory layer only")
        report.meta("skipped", "redis: redis-server is not installed")
        layers = [name for name in layers if name != "redis"]

    root = Path(tempfile.mkdtemp(prefix="studio-bench-events-", dir="/tmp"))
    root.chmod(0o755)  # steps run as uid 1000 when this runs as root
    print(f"throwaway homes under {root}")
    results = []
    try:
        for layer in layers:
            started = time.perf_counter()
            results.append(run_layer(layer, args, root))
            print(f"{layer}: measured in {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print_table(results)
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "layer": r.layer,
                        "subscribers": r.subscribers,
                        "events": r.events,
                        "samples": len(r.samples),
                        "p50_ms": percentile(r.samples, 0.5) * 1000,
                        "p95_ms": percentile(r.samples, 0.95) * 1000,
                        "max_ms": max(r.samples, default=float("nan")) * 1000,
                        "line_p50_ms": percentile(r.line_samples, 0.5) * 1000,
                        "line_p95_ms": percentile(r.line_samples, 0.95) * 1000,
                        "complete": r.complete,
                        "errors": r.errors,
                    }
                    for r in results
                ],
                indent=2,
            )
        )
    print(
        textwrap.dedent("""
        event → received: the worker stored the event (its `at`) → a subscriber decoded the frame.
        line → received: the step printed the line → a subscriber decoded it (adds log batching).""")
    )
    report_rows(report, results)
    report.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
