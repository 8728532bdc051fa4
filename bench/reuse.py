"""Reuse: resubmitting a finished 10-step and 100-step chain, time to Completed and containers started.

Issue 17, point 3. In a throwaway STUDIO_HOME (SQLite, the in-process broker, embedded worker
threads as `studio up` starts them), a chain of N `python -c pass` steps (as in step_overhead.py,
each with its own `n` so that no step reuses another of the chain) runs once on `docker`; then
the same pipeline is submitted again and timed from submit to Completed. Every step must be
reused: the Docker engine's container `start` events labelled with the job (`studio.job`) during
the resubmission are counted (goal: 0), and so are the steps marked reused. Goal: the 100-step
resubmission under 2 s. Without a Docker engine it measures `local` (no container count).

    .venv/bin/python bench/reuse.py [--sizes 10,100] [--compute docker] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import Report  # noqa: E402  (sibling bench modules)
from step_overhead import compile_yaml, create_computes, docker_answers, setup_django  # noqa: E402

GOAL_SECONDS = 2.0

# `n` makes every step's reuse key its own (a chain of identical steps on empty folders would
# reuse its own second step from the third on).
COMPONENT_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: bench_pass_n
display_name: python -c pass
inputs:
  n: {type: integer}
  source: {type: uri_folder, optional: true}
outputs:
  out: {type: uri_folder}
environment: azureml:python-3.11@latest
command: python -c pass ${{inputs.n}} $[[${{inputs.source}}]] ${{outputs.out}}
"""


def pipeline_yaml(steps: int, compute: str) -> str:
    """A chain s1 -> s2 -> ... -> sN (each step's output feeds the next step's input)."""
    lines = [
        "type: pipeline",
        f"display_name: bench reuse chain of {steps} on {compute}",
        "experiment_name: bench",
        "settings:",
        f"  default_compute: azureml:{compute}",
        "jobs:",
    ]
    for index in range(1, steps + 1):
        lines += [f"  s{index}:", "    type: command", "    component: ./component.yml", "    inputs:"]
        lines.append(f"      n: {index}")
        if index > 1:
            lines.append(f"      source: ${{{{parent.jobs.s{index - 1}.outputs.out}}}}")
    return "\n".join(lines) + "\n"


def compile_reusable_chain(folder: Path, steps: int, compute: str):
    return compile_yaml(folder, f"reuse-{steps}-{compute}.yml", pipeline_yaml(steps, compute), COMPONENT_YAML)


def resubmit(spec, *, timeout: float = 600) -> tuple[str, float]:
    """Submit and poll (every 10 ms) until the job ends, which must be Completed: (name, seconds)."""
    from runner.actions import submit_pipeline
    from runner.models import PipelineJob

    started = time.perf_counter()
    job = submit_pipeline(spec)
    while time.perf_counter() - started < timeout:
        status = PipelineJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
        if status == "Completed":
            return job.name, time.perf_counter() - started
        if status in ("Failed", "Canceled"):
            raise SystemExit(f"job {job.name} ended {status}")
        time.sleep(0.01)
    raise SystemExit(f"job {job.name} still running after {timeout} s")


def containers_started(job: str, since: float, until: float) -> int:
    """Container `start` events the engine recorded for the job's steps (label `studio.job`)."""
    from django.conf import settings

    from runner.executors.docker import docker_client

    client = docker_client(settings.STUDIO_DOCKER_URL or None)
    events = client.events(
        since=int(since),
        until=int(until) + 1,
        decode=True,
        filters={"type": "container", "event": "start", "label": f"studio.job={job}"},
    )
    return sum(1 for event in events if since <= event.get("timeNano", 0) / 1e9 <= until)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100", help="chain lengths (default 10,100)")
    parser.add_argument("--compute", default="docker", help="docker (default) or local")
    parser.add_argument("--repeat", type=int, default=3, help="resubmissions of each (median reported)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway STUDIO_HOME")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(",") if size.strip())

    report = Report("reuse")
    report.meta("options", vars(args))
    home = Path(tempfile.mkdtemp(prefix="studio-bench-reuse-", dir="/tmp"))
    home.chmod(0o755)  # steps run as uid 1000 when this runs as root
    print(f"STUDIO_HOME {home}; load average {os.getloadavg()}")
    compute = args.compute
    workers = None
    try:
        setup_django(home, verbose=args.verbose)
        if compute == "docker" and not docker_answers():
            print("no Docker engine answers: measuring local (no container count)")
            report.meta("skipped", "docker: no engine answers; measured on local")
            compute = "local"
        create_computes([compute])
        from runner.models import PipelineJob
        from runner.worker import start_workers

        workers = start_workers()
        for size in sizes:
            spec = compile_reusable_chain(home / "bench", size, compute)
            started = time.perf_counter()
            first, _ = resubmit(spec, timeout=3600)
            print(
                f"{size}-step chain on {compute}: first run {time.perf_counter() - started:.1f} s", flush=True
            )
            walls, containers, reused = [], [], []
            for _ in range(args.repeat):
                since = time.time()
                name, wall = resubmit(spec)
                until = time.time()
                walls.append(wall)
                if compute == "docker":
                    time.sleep(0.2)  # the engine's event log catches up
                    containers.append(containers_started(name, since, until))
                job = PipelineJob.objects.get(name=name)
                reused.append(job.steps.exclude(reused_from=None).count())
            wall = statistics.median(walls)
            print(
                f"{size}-step resubmission: {', '.join(f'{w:.2f}' for w in walls)} s;"
                f" containers started {containers or 'n/a'}; steps reused {reused} of {size}"
                f" (first run {first})",
                flush=True,
            )
            note = f"median of {args.repeat}; {min(reused)}-{max(reused)} of {size} steps reused"
            goal = f"< {GOAL_SECONDS:.0f} s" if size >= 100 else None
            report.row(
                f"resubmit {size}-step chain on {compute}: to Completed",
                wall,
                "s",
                goal=goal,
                met=(wall < GOAL_SECONDS) if goal else None,
                note=note,
            )
            report.row(f"resubmit {size}-step chain: per step", wall / size * 1000, "ms/step")
            if containers:
                report.row(
                    f"resubmit {size}-step chain: containers started",
                    max(containers),
                    "",
                    goal="0",
                    met=max(containers) == 0,
                    note=f"the most over {args.repeat} resubmissions (engine start events)",
                )
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
