"""Endpoint invocations: sustained invocations/s and p95 of the invoke call, 8 concurrent clients.

Issue 17, point 5. For each database (`sqlite`: embedded; `postgres`: a throwaway PostgreSQL
cluster and Redis on loopback from tests/servers.py, as production runs), a real `studio up`
(tests/servers.py) prepares a throwaway STUDIO_HOME (migrations, library, computes, the admin),
an API token publishes a one-step endpoint (the library's `run_command` with a `script`
parameter, on `local`) and makes an endpoint key. Then `studio serve` (the web server alone, no
worker: the calls create jobs that nothing runs, so what is timed is job creation only) serves
the same home and database, with `STUDIO_ENDPOINT_RATE_LIMIT=off`, with each count of web
processes asked for (`--web-workers 1,2`; `default`: serve's own, STUDIO_WEB_WORKERS, min(4,
CPUs) with Redis; SQLite runs one only, several need Redis). N client threads (8), each
with its own keep-alive session, call `POST /api/v1/endpoints/<name>/runs` with a
`ParameterAssignments` body back to back for `--seconds` (after a short warm-up); every call must
answer 201. Goal: at least 100 invocations/s on PostgreSQL.

    .venv/bin/python bench/endpoint_load.py [--clients 8] [--seconds 15] [--databases sqlite,postgres]
        [--web-workers default|N[,N]]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from report import Report  # noqa: E402  (a sibling bench module)
from submit_latency import percentile  # noqa: E402

from tests.servers import (  # noqa: E402
    REPO_ROOT,
    STUDIO_BIN,
    free_port,
    postgres_bindir,
    start_postgres,
    start_redis,
    start_studio,
)

GOAL_PER_SECOND = 100.0
ENDPOINT = "bench-echo"
PIPELINE = """\
type: pipeline
display_name: bench echo
settings:
  default_compute: azureml:local
inputs:
  script: "true"
jobs:
  only:
    component: azureml:run_command:1
    inputs:
      script: ${{parent.inputs.script}}
"""


def publish(url: str, token: str) -> str:
    """Publish the endpoint and return a new key for it."""
    headers = {"Authorization": f"Bearer {token}"}
    body = {"name": ENDPOINT, "yaml": PIPELINE, "make_default": True}
    response = requests.post(f"{url}/api/v1/endpoints/", json=body, headers=headers, timeout=60)
    if response.status_code != 201:
        raise SystemExit(f"publish: HTTP {response.status_code}: {response.text[:500]}")
    response = requests.post(
        f"{url}/api/v1/endpoints/{ENDPOINT}/keys/", json={"name": "bench"}, headers=headers, timeout=60
    )
    if response.status_code != 201:
        raise SystemExit(f"key: HTTP {response.status_code}: {response.text[:500]}")
    return response.json()["key"]


def start_serve(env: dict[str, str], home: Path, workers: int | None) -> tuple[subprocess.Popen, str, int]:
    """`studio serve --no-migrate [--workers N]` on a free port of the prepared home; its URL once
    /healthz answers, and how many web processes it runs (from its "Serving" line)."""
    port = free_port()
    path = home / f"studio-serve-{workers or 'default'}.log"
    log = path.open("wb")
    process = subprocess.Popen(
        [str(STUDIO_BIN), "serve", "--no-migrate", "--port", str(port)]
        + (["--workers", str(workers)] if workers else []),
        cwd=REPO_ROOT,
        env={**env, "STUDIO_PORT": str(port), "PYTHONUNBUFFERED": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"studio serve exited with {process.returncode}: see {path}")
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                found = re.search(r"with (\d+) web processes", path.read_text(errors="replace"))
                return process, url, int(found.group(1)) if found else 1
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("studio serve did not answer /healthz within 90 s")


def stop_serve(serve: subprocess.Popen) -> None:
    serve.terminate()
    try:
        serve.wait(timeout=30)
    except subprocess.TimeoutExpired:
        serve.kill()


def load(url: str, key: str, *, clients: int, seconds: float) -> tuple[list[float], dict[int, int], float]:
    """Back-to-back invocations from `clients` threads: latencies of the 201s, codes, wall seconds."""
    latencies: list[float] = []
    codes: dict[int, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop = threading.Event()

    def client(index: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        mine: list[float] = []
        counts: dict[int, int] = {}
        start.wait()
        n = 0
        while not stop.is_set():
            n += 1
            body = {"ParameterAssignments": {"script": f"echo {index}-{n}"}}
            sent = time.perf_counter()
            response = session.post(f"{url}/api/v1/endpoints/{ENDPOINT}/runs", json=body, timeout=120)
            spent = time.perf_counter() - sent
            counts[response.status_code] = counts.get(response.status_code, 0) + 1
            if response.status_code == 201:
                mine.append(spent)
        with lock:
            latencies.extend(mine)
            for code, count in counts.items():
                codes[code] = codes.get(code, 0) + count

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return latencies, codes, time.perf_counter() - began


def measure(database: str, args, report: Report) -> None:
    home = Path(tempfile.mkdtemp(prefix=f"studio-bench-endpoint-{database}-", dir="/tmp"))
    home.chmod(0o755)
    services = []
    try:
        extra = {"STUDIO_ENDPOINT_RATE_LIMIT": "off"}
        if database == "postgres":
            services.append(start_postgres())
            services.append(start_redis())
            extra.update(DATABASE_URL=services[0].url, REDIS_URL=services[1].url)
        server = start_studio(home, extra_env=extra)
        try:
            key = publish(server.url, server.issue_token("bench"))
        finally:
            server.stop()
        for workers in args.web_workers:
            if database == "sqlite" and (workers or 1) > 1:
                print(f"sqlite: --web-workers {workers} skipped (several web processes need Redis)")
                continue
            serve, url, processes = start_serve(server.env, home, workers)
            try:
                load_with(database, processes, url, key, args, report)
            finally:
                stop_serve(serve)
    finally:
        for service in reversed(services):
            service.stop()
        if args.keep:
            print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


def load_with(database: str, processes: int, url: str, key: str, args, report: Report) -> None:
    """Warm up, then the timed load; its rows, named by database and web processes."""
    load(url, key, clients=args.clients, seconds=min(2.0, args.seconds))  # warm-up
    label = f"{database}, {processes} web process{'es' if processes > 1 else ''}"
    print(
        f"{label}: {args.clients} clients for {args.seconds:.0f} s; load average {os.getloadavg()}",
        flush=True,
    )
    latencies, codes, wall = load(url, key, clients=args.clients, seconds=args.seconds)
    rate = len(latencies) / wall
    p50, p95 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.95) * 1000
    print(f"{label}: {rate:.1f} invocations/s, p50 {p50:.0f} ms, p95 {p95:.0f} ms, codes {codes}", flush=True)
    others = {code: count for code, count in codes.items() if code != 201}
    note = f"{len(latencies)} created in {wall:.1f} s" + (f"; other answers {others}" if others else "")
    goal = f">= {GOAL_PER_SECOND:.0f}/s" if database == "postgres" else None
    met = (rate >= GOAL_PER_SECOND) if goal else None
    report.row(f"invocations on {label}: rate", rate, "/s", goal=goal, met=met, note=note)
    report.row(f"invocations on {label}: p50 of the call", p50, "ms")
    report.row(f"invocations on {label}: p95 of the call", p95, "ms", note=f"{args.clients} clients")
    report.info.setdefault("web processes", {}).setdefault(database, []).append(processes)


def web_worker_counts(text: str) -> list[int | None]:
    """`default`, `2` or `1,2`: a count of web processes per load (None: serve's default)."""
    counts: list[int | None] = []
    for part in (part.strip() for part in text.split(",")):
        if part == "default":
            counts.append(None)
        elif part.isdigit() and int(part) >= 1:
            counts.append(int(part))
        else:
            raise argparse.ArgumentTypeError(f"expected 'default' or counts >= 1 such as 1,2; got {part!r}")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds of load per database")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--web-workers",
        type=web_worker_counts,
        default=[None],
        metavar="default|N[,N]",
        help="web processes of `studio serve`, one load per count (default: serve's own, "
        "STUDIO_WEB_WORKERS, min(4, CPUs) with Redis; SQLite runs 1 only); e.g. 1,2 side by side",
    )
    parser.add_argument("--keep", action="store_true", help="keep the throwaway STUDIO_HOMEs")
    args = parser.parse_args(argv)
    report = Report("endpoint_load")
    report.meta("options", vars(args))
    for database in [name.strip() for name in args.databases.split(",") if name.strip()]:
        if database == "postgres" and (postgres_bindir() is None or shutil.which("redis-server") is None):
            print("PostgreSQL or Redis is not installed: postgres skipped")
            report.row(
                "invocations on postgres: rate",
                None,
                "/s",
                goal=f">= {GOAL_PER_SECOND:.0f}/s",
                note="PostgreSQL or Redis not installed",
            )
            continue
        measure(database, args, report)
    report.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
