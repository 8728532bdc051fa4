"""Production mode (PostgreSQL + Redis, `studio serve` + `studio worker`) against embedded mode.

Issue 17, point 6. Two Studios run side by side in one run:

- embedded: `studio up` (SQLite, in-process broker, worker threads in the web process), from
  tests/servers.py;
- production: a throwaway PostgreSQL and Redis (tests/servers.py), a migrated and seeded
  database (tests/integration/production.py), then `studio serve --no-migrate` and
  `studio worker` (8 step threads, as `studio up` has) as separate processes.

Both get an admin, an API token, and `local` (and `docker`, when asked for) registered as
`studio up` registers them, with `max_concurrent_steps` 4. Each measure is taken on both Studios
one right after the other, `--repeat` times, with its floor beside it:

- chain: N steps in a line, each `python -c pass` (a `uri_folder` output feeding the next);
  floor: the same N commands in a loop;
- fan-out: M independent `python -c pass` steps, 4 at a time (the compute's limit); floor: the
  same M commands, 4 at a time.

Jobs are submitted through `POST /api/v1/jobs/` (an inline component, `force_rerun`) and timed
from the job's `created_at` to its `finished_at` (the server's clock: the client's polling, every
0.25 s, does not count). Overhead per step = (job - floor) / steps. Goal: production's overhead
per step on the chain within 1.5x embedded's.

    .venv/bin/python bench/production.py [--steps 40] [--fanout 100] [--repeat 3] [--computes local]

Needs PostgreSQL's server binaries and redis-server; rows go to bench/results/production.json
(bench/report.py); it always exits 0.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

import report  # noqa: E402  (bench/ is sys.path[0])

from tests.integration.production import STUDIO_BIN, manage, production_studio  # noqa: E402
from tests.servers import free_port, start_postgres, start_redis, start_studio, wait_for_port  # noqa: E402

GOAL_RATIO = 1.5
PROJECT_PACKAGES = ("runner/", "studio/", "pipelines/", "endpoints/", "designer/", "cli/", "config/")
ADMIN = ("admin", "studio-bench-password-1")
COMPONENT = {
    "type": "command",
    "name": "bench_pass",
    "inputs": {"source": {"type": "uri_folder", "optional": True}},
    "outputs": {"out": {"type": "uri_folder"}},
    "environment": "azureml:python-3.11@latest",
    "command": "python -c pass $[[${{inputs.source}}]] ${{outputs.out}}",
}
SETUP_COMPUTES = (
    "from runner.computes import register_available_computes\n"
    "from studio.accounts import ensure_admin\n"
    "ensure_admin()\n"
    "for compute in register_available_computes():\n"
    "    compute.max_concurrent_steps = 4\n"
    "    compute.save(update_fields=['max_concurrent_steps'])\n"
)


def chain_document(steps: int, compute: str, label: str) -> dict:
    jobs = {}
    for index in range(1, steps + 1):
        step: dict = {"type": "command", "component": COMPONENT}
        if index > 1:
            step["inputs"] = {"source": f"${{{{parent.jobs.s{index - 1}.outputs.out}}}}"}
        jobs[f"s{index}"] = step
    return _pipeline(jobs, compute, f"bench {label}: chain of {steps}")


def fanout_document(steps: int, compute: str, label: str) -> dict:
    jobs = {f"s{index}": {"type": "command", "component": COMPONENT} for index in range(1, steps + 1)}
    return _pipeline(jobs, compute, f"bench {label}: fan-out of {steps}")


def _pipeline(jobs: dict, compute: str, name: str) -> dict:
    return {
        "type": "pipeline",
        "display_name": name,
        "experiment_name": "bench",
        "settings": {"default_compute": f"azureml:{compute}", "force_rerun": True},
        "jobs": jobs,
    }


class Target:
    """One running Studio reached through its REST API; `pids`: its processes, for --profile."""

    def __init__(self, label: str, url: str, pids: dict[str, int]) -> None:
        self.label = label
        self.url = url
        self.pids = pids
        self.session = requests.Session()
        response = self.session.post(f"{url}/api/v1/tokens/", json={"name": "bench"}, auth=ADMIN, timeout=60)
        if response.status_code != 201:
            raise SystemExit(f"{label}: token: HTTP {response.status_code}: {response.text[:300]}")
        self.session.headers["Authorization"] = f"Bearer {response.json()['token']}"

    def run(self, document: dict, *, timeout: float = 1800) -> tuple[float, dict]:
        """Submit, wait until it ends (it must end Completed); (created_at -> finished_at s, detail)."""
        response = self.session.post(f"{self.url}/api/v1/jobs/", json=document, timeout=120)
        if response.status_code != 201:
            raise SystemExit(f"{self.label}: submit: HTTP {response.status_code}: {response.text[:500]}")
        name = response.json()["name"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.25)
            job = self.session.get(f"{self.url}/api/v1/jobs/{name}/", timeout=120).json()
            if job["status"] in ("Completed", "Failed", "Canceled"):
                if job["status"] != "Completed":
                    raise SystemExit(
                        f"{self.label}: job {name} ended {job['status']}: {job.get('status_reason')}"
                    )
                seconds = _at(job["finished_at"]) - _at(job["created_at"])
                return seconds, job
        raise SystemExit(f"{self.label}: job {name} did not end within {timeout} s")


def _at(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def floor(command: list[str], steps: int, *, parallel: int = 1) -> float:
    capture = command[0].endswith("docker")
    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda _: subprocess.run(command, check=True, capture_output=capture), range(steps)))
    return time.perf_counter() - started


def start_embedded(stack: ExitStack) -> Target:
    home = Path(tempfile.mkdtemp(prefix="studio-bench-embedded-", dir="/tmp"))
    home.chmod(0o755)
    stack.callback(shutil.rmtree, home, ignore_errors=True)
    server = start_studio(home, extra_env={"STUDIO_ADMIN_USER": ADMIN[0], "STUDIO_ADMIN_PASSWORD": ADMIN[1]})
    stack.callback(server.stop)
    manage(server.env, "shell", "-c", SETUP_COMPUTES)
    return Target("embedded", server.url, {"studio up": server.process.pid})


def start_production(stack: ExitStack) -> Target:
    postgres = start_postgres()
    stack.callback(postgres.stop)
    redis = start_redis()
    stack.callback(redis.stop)
    # reconcile_seconds: the default (30), as the embedded Studio has it
    studio = stack.enter_context(production_studio(postgres.url, redis.url, reconcile_seconds=30))
    studio.env.update(STUDIO_ADMIN_USER=ADMIN[0], STUDIO_ADMIN_PASSWORD=ADMIN[1])
    manage(studio.env, "shell", "-c", SETUP_COMPUTES)
    port = free_port()
    log = (studio.home / "serve.log").open("wb")
    stack.callback(log.close)
    serve = subprocess.Popen(
        [str(STUDIO_BIN), "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)],
        env=studio.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack.callback(_stop, serve)
    worker = studio.start_worker(studio.home / "worker.log", threads=8)
    stack.callback(worker.stop)
    wait_for_port(port, timeout=90, process=serve)
    deadline = time.monotonic() + 90
    while "Worker running" not in worker.text():
        if worker.process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"studio worker did not start:\n{worker.text()[-2000:]}")
        time.sleep(0.2)
    return Target(
        "production",
        f"http://127.0.0.1:{port}",
        {"studio serve": serve.pid, "studio worker": worker.process.pid},
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- --profile: py-spy on each Studio's processes during one chain ---------------------------------


def profile_chain(target: Target, document: dict, folder: Path, *, lines: int) -> str:
    """py-spy (raw stacks, 200 Hz, active threads only) on every process of `target` while one
    chain runs; returns a summary: samples per process, the repository's hottest functions."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    recorders = {}
    for name, pid in target.pids.items():
        path = folder / f"{target.label}-{name.split()[-1]}.txt"
        recorders[name] = (
            subprocess.Popen(
                [spy, "record", "-p", str(pid), "-r", "200", "-f", "raw", "-o", str(path), "--nonblocking"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            path,
        )
    time.sleep(1.0)  # py-spy attaches
    seconds, _ = target.run(document)
    time.sleep(0.5)
    summary = [f"{target.label}: chain {seconds:.2f} s; py-spy stacks in {folder}"]
    for name, (recorder, path) in recorders.items():
        recorder.send_signal(2)  # SIGINT: py-spy writes its file and exits
        recorder.wait(timeout=60)
        summary.append(summarize_stacks(name, path, lines=lines))
    return "\n".join(summary)


def summarize_stacks(name: str, path: Path, *, lines: int) -> str:
    """Samples of `path` (py-spy raw: 'frame;frame;... count'), inclusive, by repository function."""
    if not path.exists():
        return f"  {name}: no samples (py-spy needs ptrace rights)"
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        seen = set()
        for frame in stack.split(";"):  # "function (path/file.py:line)"
            function, _, where = frame.partition(" (")
            file = where.split(":")[0]
            if not file.startswith(PROJECT_PACKAGES):
                continue
            key = f"{function} ({file})"
            if key not in seen:
                seen.add(key)
                inclusive[key] = inclusive.get(key, 0) + int(count)
    top = sorted(inclusive.items(), key=lambda item: -item[1])[:lines]
    body = "\n".join(f"    {count / max(total, 1) * 100:5.1f}%  {function}" for function, count in top)
    return f"  {name}: {total} samples of active threads (200 Hz)\n{body}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=40, help="steps in the chain (default 40)")
    parser.add_argument("--fanout", type=int, default=100, help="steps in the fan-out (default 100)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each measure (default 3)")
    parser.add_argument("--computes", default="local", help="local, docker or both (default local)")
    parser.add_argument("--profile", metavar="DIR", help="then py-spy each Studio's processes over one chain")
    parser.add_argument("--profile-lines", type=int, default=25)
    args = parser.parse_args(argv)
    computes = [name.strip() for name in args.computes.split(",") if name.strip()]
    out = report.Report("production")
    out.meta("options", vars(args))

    with ExitStack() as stack:
        targets = [start_embedded(stack), start_production(stack)]
        print(f"embedded at {targets[0].url}, production at {targets[1].url}", flush=True)
        for compute in computes:
            commands = {}
            for target in targets:  # warm-up: each Studio builds its environment
                started = time.perf_counter()
                _, job = target.run(chain_document(2, compute, "warm-up"))
                image = job["steps"][0]["image"]
                print(f"warm-up {target.label} on {compute}: {time.perf_counter() - started:.1f} s ({image})")
                commands[target.label] = image
            image = commands["embedded"]
            if compute == "local":
                command = [str(Path(image) / "bin" / "python"), "-c", "pass"]
            else:
                command = [shutil.which("docker") or "docker", "run", "--rm", image, "python", "-c", "pass"]
            measures = {
                "chain": (args.steps, 1, lambda label, c=compute: chain_document(args.steps, c, label)),
                "fan-out": (args.fanout, 4, lambda label, c=compute: fanout_document(args.fanout, c, label)),
            }
            for measure, (steps, parallel, document) in measures.items():
                totals: dict[str, list[float]] = {"floor": [], "embedded": [], "production": []}
                gaps: dict[str, list[float]] = {}
                for attempt in range(1, args.repeat + 1):
                    totals["floor"].append(floor(command, steps, parallel=parallel))
                    for target in targets:
                        seconds, job = target.run(document(target.label))
                        totals[target.label].append(seconds)
                        for phase, value in phases(job).items():
                            gaps.setdefault(f"{target.label} {phase}", []).append(value)
                    print(
                        f"{compute} {measure} {attempt}/{args.repeat}: "
                        + ", ".join(f"{key} {values[-1]:.2f} s" for key, values in totals.items()),
                        flush=True,
                    )
                add_rows(out, f"{compute} {measure} of {steps}", totals, steps, goal=measure == "chain")
                if measure == "chain":
                    for key, values in gaps.items():
                        out.row(
                            f"{compute} chain: {key}", statistics.median(values) * 1000, "ms/step", note=GAPS
                        )
        if args.profile:
            folder = Path(args.profile)
            folder.mkdir(parents=True, exist_ok=True)
            for target in targets:
                document = chain_document(args.steps, computes[0], f"{target.label} profiled")
                print(profile_chain(target, document, folder, lines=args.profile_lines), flush=True)
        out.meta("load_before_teardown", report.load_average())
    out.save()
    return 0


GAPS = "mean per step from the steps' timestamps, median over the runs"


def phases(job: dict) -> dict[str, float]:
    """A chain's mean seconds per step: 'between' (the previous step's end, or the job's
    creation, to this step Running: scheduling, hand-over, preparing, starting) and 'in a step'
    (Running to finished: the command, waiting on it, collecting outputs)."""
    steps = sorted(job["steps"], key=lambda step: _at(step["started_at"]))
    between, inside = [], []
    previous = _at(job["created_at"])
    for step in steps:
        between.append(_at(step["started_at"]) - previous)
        inside.append(_at(step["finished_at"]) - _at(step["started_at"]))
        previous = _at(step["finished_at"])
    return {"between steps": statistics.mean(between), "in a step": statistics.mean(inside)}


def add_rows(
    out: report.Report, label: str, totals: dict[str, list[float]], steps: int, *, goal: bool
) -> None:
    base = statistics.median(totals["floor"])
    runs = f"median of {len(totals['floor'])}"
    out.row(f"{label}: floor", base, "s", note=runs)
    overhead = {}
    for mode in ("embedded", "production"):
        total = statistics.median(totals[mode])
        overhead[mode] = (total - base) / steps * 1000
        out.row(f"{label}: {mode} total", total, "s", note=f"{runs}; {total / base:.2f}x the floor")
        out.row(f"{label}: {mode} overhead", overhead[mode], "ms/step")
    ratio = overhead["production"] / overhead["embedded"] if overhead["embedded"] > 0 else None
    out.row(
        f"{label}: production overhead / embedded",
        ratio,
        "x",
        goal=f"<= {GOAL_RATIO}x" if goal else None,
        met=(ratio is not None and ratio <= GOAL_RATIO) if goal else None,
        note="" if ratio is not None else "embedded at or under the floor",
    )


if __name__ == "__main__":
    sys.exit(main())
