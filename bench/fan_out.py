"""Fan-out: N independent no-op steps at 4 at a time, against the same N commands run 4 at a time.

Two measures (issue 17, point 2), in one throwaway STUDIO_HOME (SQLite, the in-process broker,
embedded worker threads as `studio up` starts them; both computes with `max_concurrent_steps` 4):

- **fan-out**: a job of `--steps` (100) independent `python -c pass` steps on `local` and on
  `docker`, submit to Completed, against the floor: the same command run `--steps` times by a
  plain pool of 4 threads (a subprocess of the local virtualenv's interpreter each; a
  `docker run --rm <image>` each). Goal: at most 1.2x the floor.
- **cost per step by size**: fan-out jobs of `--sizes` (10, 100, 1000) steps on `local`: the
  job's overhead per step over its 4-at-a-time floor (everything Studio adds: scheduling,
  claiming, the messages of waiting steps, events), and apart the time inside the scheduler's
  passes (`runner.scheduler.advance_job`, every call from every thread, wall clock) per step.
  Goal: the overhead per step at the largest size at most 2x that at the smallest.

Every step is forced to run (`settings.force_rerun`); the environment is built before anything
is timed. Results go to bench/results/fan_out.json (bench/report.py) and a table.

    .venv/bin/python bench/fan_out.py [--steps 100] [--sizes 10,100,1000] [--computes local,docker]
    .venv/bin/python bench/fan_out.py --steps 20 --sizes 10,50 --computes local     # a quick try
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import Report  # noqa: E402  (sibling bench modules)
from step_overhead import compile_yaml, create_computes, docker_answers, run_job, setup_django  # noqa: E402

CONCURRENCY = 4
FLOOR_GOAL = 1.2
GROWTH_GOAL = 2.0

COMPONENT_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: bench_noop
display_name: python -c pass
outputs:
  out: {type: uri_folder}
environment: azureml:python-3.11@latest
command: python -c pass ${{outputs.out}}
"""


def fan_out_yaml(steps: int, compute: str) -> str:
    lines = [
        "type: pipeline",
        f"display_name: bench fan-out of {steps} on {compute}",
        "experiment_name: bench",
        "settings:",
        f"  default_compute: azureml:{compute}",
        "  force_rerun: true",
        "jobs:",
    ]
    for index in range(1, steps + 1):
        lines += [f"  s{index}:", "    type: command", "    component: ./component.yml"]
    return "\n".join(lines) + "\n"


def compile_fan_out(folder: Path, steps: int, compute: str):
    name = f"fan-out-{steps}-{compute}.yml"
    return compile_yaml(folder, name, fan_out_yaml(steps, compute), COMPONENT_YAML)


def floor(command: list[str], count: int) -> float:
    """`count` runs of `command`, 4 at a time from a thread pool: what the job cannot beat."""

    def once(_):
        subprocess.run(command, check=True, capture_output=True)

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(once, range(count)))
    return time.perf_counter() - started


class PassTimer:
    """Wall-clock seconds inside `runner.scheduler.advance_job`, all threads, outermost calls."""

    def __init__(self, *, profile: bool = False) -> None:
        self.seconds = 0.0
        self.calls = 0
        self.lock = threading.Lock()
        self.local = threading.local()
        self.profile = cProfile.Profile() if profile else None
        self.stats: pstats.Stats | None = None

    def install(self) -> None:
        from runner import scheduler

        original = scheduler.advance_job

        def timed(*args, **kwargs):
            if getattr(self.local, "inside", False):
                return original(*args, **kwargs)
            self.local.inside = True
            profile = cProfile.Profile() if self.profile is not None else None
            started = time.perf_counter()
            try:
                return profile.runcall(original, *args, **kwargs) if profile else original(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                self.local.inside = False
                with self.lock:
                    self.seconds += spent
                    self.calls += 1
                    if profile is not None:
                        self.stats = pstats.Stats(profile) if self.stats is None else self.stats.add(profile)

        scheduler.advance_job = timed

    def reset(self) -> None:
        with self.lock:
            self.seconds, self.calls, self.stats = 0.0, 0, None

    def report(self, limit: int = 30) -> str:
        if self.stats is None:
            return "(nothing profiled)"
        out = io.StringIO()
        self.stats.stream = out
        self.stats.sort_stats("cumulative").print_stats(limit)
        return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100, help="steps of the fan-out (default 100)")
    parser.add_argument("--sizes", default="10,100,1000", help="fan-out sizes for the scheduler's growth")
    parser.add_argument("--computes", default="local,docker", help="fan-out on these (default both)")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the scheduler passes of the largest size"
    )
    parser.add_argument("--job-timeout", type=float, default=900, help="seconds a job may take (default 900)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway STUDIO_HOME")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    computes = [name.strip() for name in args.computes.split(",") if name.strip()]
    sizes = sorted(int(size) for size in args.sizes.split(",") if size.strip())

    report = Report("fan_out")
    report.meta("options", vars(args))
    home = Path(tempfile.mkdtemp(prefix="studio-bench-fan-", dir="/tmp"))
    home.chmod(0o755)  # steps run as uid 1000 when this runs as root
    print(f"STUDIO_HOME {home}; load average {os.getloadavg()}")
    workers = None
    try:
        setup_django(home, verbose=args.verbose)
        if "docker" in computes and not docker_answers():
            print("no Docker engine answers: fan-out on local only")
            report.meta("skipped", "docker: no engine answers")
            computes = [name for name in computes if name != "docker"]
        create_computes(sorted({"local", *computes}))
        from runner.worker import start_workers

        workers = start_workers()
        passes = PassTimer(profile=args.profile)
        passes.install()
        folder = home / "bench"
        images = {}
        for name in sorted({"local", *computes}):
            started = time.perf_counter()
            images[name] = run_job(compile_fan_out(folder, 2, name)).image
            print(f"warm-up on {name}: {time.perf_counter() - started:.1f} s ({images[name]})", flush=True)
        python = str(Path(images["local"]) / "bin" / "python")
        commands = {"local": [python, "-c", "pass"]}
        if "docker" in images:
            docker_cli = shutil.which("docker") or "docker"
            commands["docker"] = [docker_cli, "run", "--rm", images["docker"], "python", "-c", "pass"]
            floor(commands["docker"], CONCURRENCY)  # the engine's caches

        # 1. fan-out against its floor, side by side
        for name in computes:
            spec = compile_fan_out(folder, args.steps, name)
            bare = floor(commands[name], args.steps)
            job = run_job(spec).wall
            ratio = job / bare
            print(
                f"fan-out {args.steps} on {name}: job {job:.2f} s, floor {bare:.2f} s, {ratio:.2f}x",
                flush=True,
            )
            label = f"fan-out {args.steps} on {name}"
            report.row(f"{label}: 4-at-a-time floor", bare, "s")
            report.row(f"{label}: job", job, "s")
            report.row(
                f"{label}: job / floor",
                ratio,
                "x",
                goal=f"<= {FLOOR_GOAL}x",
                met=ratio <= FLOOR_GOAL,
                note=f"+{(job - bare) / args.steps * 1000:.1f} ms/step over the floor",
            )

        # 2. the orchestration cost per step as the job grows
        overhead: dict[int, float] = {}
        for size in sizes:
            spec = compile_fan_out(folder, size, "local")
            bare = floor(commands["local"], size)
            passes.reset()
            try:
                job = run_job(spec, timeout=args.job_timeout).wall
            except SystemExit as error:  # still running at the timeout: a row that says so
                print(f"fan-out {size} on local: {error}", flush=True)
                report.row(f"local fan-out of {size}: overhead over floor", None, "ms/step", note=str(error))
                break
            overhead[size] = (job - bare) / size * 1000
            per_pass = passes.seconds / size * 1000
            print(
                f"fan-out {size} on local: job {job:.2f} s, floor {bare:.2f} s, overhead"
                f" {overhead[size]:+.1f} ms/step; scheduler passes {passes.seconds:.2f} s in"
                f" {passes.calls} calls = {per_pass:.2f} ms/step",
                flush=True,
            )
            report.row(
                f"local fan-out of {size}: overhead over floor",
                overhead[size],
                "ms/step",
                note=f"job {job:.2f} s, floor {bare:.2f} s",
            )
            report.row(
                f"local fan-out of {size}: in scheduler passes",
                per_pass,
                "ms/step",
                note=f"{passes.calls} passes, {passes.seconds:.2f} s in all",
            )
        if len(sizes) > 1:
            first, last = sizes[0], sizes[-1]
            growth = overhead[last] / overhead[first] if first in overhead and last in overhead else None
            report.row(
                f"overhead ms/step at {last} / at {first}",
                growth,
                "x",
                goal=f"<= {GROWTH_GOAL}x",
                met=None if growth is None else growth <= GROWTH_GOAL,
                note="" if growth is not None else f"the {last}-step job did not end within --job-timeout",
            )
        if args.profile:
            print(f"\ncProfile of the scheduler passes of the {sizes[-1]}-step job:")
            print(passes.report())
    finally:
        if workers is not None:
            workers.stop(timeout=10_000)
        if args.keep:
            print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    report.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
