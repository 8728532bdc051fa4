"""Orchestration cost per step: a chain of N `python -c pass` steps against N bare runs.

Targets (the runner's performance issue):

- `local`: the N-step job takes at most 25 ms per step longer than N bare subprocesses of the
  interpreter the local virtualenv uses;
- `docker`: the N-step job takes at most 1.1x the time of N sequential `docker run --rm` of the
  environment's image.

It runs in a throwaway STUDIO_HOME (SQLite, the in-process broker, embedded worker threads as
`studio up` starts them), warms up first (the environment's image and virtualenv are built before
anything is timed), and forces every step to run (`settings.force_rerun`). It always exits 0: the
table says PASS or FAIL, and the same figures go to bench/results/step_overhead.json (bench/report.py,
merged by `make bench`). `--profile` adds a cProfile of the worker side (step runs and scheduler
passes) and `--breakdown` (on by default) the mean time per phase of a step, from the database's
timestamps.

    .venv/bin/python bench/step_overhead.py [--steps 40] [--repeat 3] [--computes local,docker]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import Report  # noqa: E402  (sibling bench modules)

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_TARGET_MS = 25.0
DOCKER_TARGET_RATIO = 1.1

COMPONENT_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: bench_pass
display_name: python -c pass
inputs:
  source: {type: uri_folder, optional: true}
outputs:
  out: {type: uri_folder}
environment: azureml:python-3.11@latest
command: python -c pass $[[${{inputs.source}}]] ${{outputs.out}}
"""


def pipeline_yaml(steps: int, compute: str) -> str:
    """A chain s1 -> s2 -> ... -> sN, each step's output feeding the next step's input."""
    lines = [
        "$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json",
        "type: pipeline",
        f"display_name: bench chain of {steps} on {compute}",
        "experiment_name: bench",
        "settings:",
        f"  default_compute: azureml:{compute}",
        "  force_rerun: true",
        "jobs:",
    ]
    for index in range(1, steps + 1):
        lines += [f"  s{index}:", "    type: command", "    component: ./component.yml"]
        if index > 1:
            lines += ["    inputs:", f"      source: ${{{{parent.jobs.s{index - 1}.outputs.out}}}}"]
    return "\n".join(lines) + "\n"


# --- setting up ----------------------------------------------------------------------------------


def setup_django(home: Path, *, verbose: bool) -> None:
    """Configure Studio in embedded mode on `home` (env first, then django.setup())."""
    for variable in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(variable, None)
    os.environ["STUDIO_HOME"] = str(home)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("STUDIO_LOG_LEVEL", "INFO" if verbose else "WARNING")
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_library", verbosity=0)


def docker_answers() -> bool:
    from django.conf import settings

    from runner.executors.docker import engine_answers

    return engine_answers(settings.STUDIO_DOCKER_URL or None)


def create_computes(names: list[str]) -> None:
    from django.conf import settings

    from studio.choices import ComputeKind, ComputeState
    from studio.models import Compute

    for name in names:
        Compute.objects.update_or_create(
            name=name,
            defaults={
                "kind": ComputeKind.DOCKER if name == "docker" else ComputeKind.LOCAL,
                "state": ComputeState.ONLINE,
                "max_concurrent_steps": 4,
                "engine_url": (settings.STUDIO_DOCKER_URL or "") if name == "docker" else "",
            },
        )


def compile_yaml(folder: Path, filename: str, pipeline: str, component: str):
    """Write `component` as ./component.yml and `pipeline` as `filename` in `folder`, and compile
    the pipeline as every front door does."""
    from pipelines.compiler import compile_pipeline
    from studio.schemas.loading import load_document

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "component.yml").write_text(component)
    path = folder / filename
    path.write_text(pipeline)
    document, index = load_document(path.read_bytes(), filename=str(path))
    return compile_pipeline(document, index=index, filename=str(path), base_dir=folder)


def compile_chain(folder: Path, steps: int, compute: str):
    return compile_yaml(folder, f"chain-{steps}-{compute}.yml", pipeline_yaml(steps, compute), COMPONENT_YAML)


# --- measuring -----------------------------------------------------------------------------------


@dataclass
class JobRun:
    """One timed job: wall time from submit to Completed, and its steps' timestamps."""

    name: str
    wall: float
    db_total: float
    phases: dict[str, list[float]] = field(default_factory=dict)
    image: str = ""


def run_job(spec, *, timeout: float = 1800) -> JobRun:
    """Submit and wait (polling every 10 ms) until the job ends; it must end Completed."""
    from runner.actions import submit_pipeline
    from runner.choices import JobStatus
    from runner.models import PipelineJob

    started = time.perf_counter()
    job = submit_pipeline(spec)
    deadline = started + timeout
    while True:
        status = PipelineJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
        if status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED):
            break
        if time.perf_counter() > deadline:
            raise SystemExit(f"job {job.name} still {status} after {timeout} s")
        time.sleep(0.01)
    wall = time.perf_counter() - started
    job.refresh_from_db()
    if job.status != JobStatus.COMPLETED:
        raise SystemExit(f"job {job.name} ended {job.status}: {job.status_reason}")
    return JobRun(job.name, wall, (job.finished_at - job.created_at).total_seconds(), *_phases(job))


def _phases(job) -> tuple[dict[str, list[float]], str]:
    """Per step: scheduler (upstream end -> queued), dispatch (queued -> claimed), prepare+start
    (claimed -> running), run+collect (running -> finished). `heartbeat_at` is the claim time for
    steps shorter than the 5 s heartbeat."""
    steps = list(job.steps.order_by("queued_at"))
    phases: dict[str, list[float]] = {
        "schedule": [],
        "dispatch": [],
        "prepare+start": [],
        "run+collect": [],
    }
    previous_end = job.created_at
    for step in steps:
        phases["schedule"].append((step.queued_at - previous_end).total_seconds())
        phases["dispatch"].append((step.heartbeat_at - step.queued_at).total_seconds())
        phases["prepare+start"].append((step.started_at - step.heartbeat_at).total_seconds())
        phases["run+collect"].append((step.finished_at - step.started_at).total_seconds())
        previous_end = step.finished_at
    phases["job end"] = [(job.finished_at - previous_end).total_seconds()]
    return phases, steps[-1].image if steps else ""


def time_bare(python: str, steps: int) -> float:
    started = time.perf_counter()
    for _ in range(steps):
        subprocess.run([python, "-c", "pass"], check=True)
    return time.perf_counter() - started


def time_docker_run(image: str, steps: int) -> float:
    docker_cli = shutil.which("docker")
    started = time.perf_counter()
    if docker_cli:
        for _ in range(steps):
            subprocess.run(
                [docker_cli, "run", "--rm", image, "python", "-c", "pass"], check=True, capture_output=True
            )
    else:  # no CLI: the SDK does what `docker run --rm` does
        from django.conf import settings

        from runner.executors.docker import docker_client

        client = docker_client(settings.STUDIO_DOCKER_URL or None)
        for _ in range(steps):
            client.containers.run(image, ["python", "-c", "pass"], remove=True)
    return time.perf_counter() - started


class WorkerProfile:
    """cProfile of the worker side: every step run and scheduler pass, in whichever thread."""

    def __init__(self) -> None:
        self.stats: pstats.Stats | None = None
        self.lock = threading.Lock()
        self.calls = 0

    def wrap(self, function):
        def profiled(*args, **kwargs):
            profile = cProfile.Profile()
            try:
                return profile.runcall(function, *args, **kwargs)
            finally:
                with self.lock:
                    self.calls += 1
                    if self.stats is None:
                        self.stats = pstats.Stats(profile)
                    else:
                        self.stats.add(profile)

        return profiled

    def install(self) -> None:
        from runner import scheduler, step_runner

        step_runner.run = self.wrap(step_runner.run)
        scheduler.advance_job = self.wrap(scheduler.advance_job)

    def report(self, limit: int) -> str:
        if self.stats is None:
            return "(nothing profiled)"
        out = io.StringIO()
        self.stats.stream = out
        self.stats.sort_stats("cumulative").print_stats(limit)
        return out.getvalue()


# --- reporting -----------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def print_table(steps: int, results: dict[str, list[float]], repeat: int) -> None:
    pick = statistics.median
    print()
    print(f"Step overhead, {steps} steps, median of {repeat} run(s) (min in brackets)")
    header = f"{'measure':<34}{'total s':>16}{'per step ms':>13}{'overhead/step ms':>18}{'ratio':>8}  target"
    print(header)
    print("-" * (len(header) + 14))

    def row(label, key, *, baseline=None, target="", verdict=""):
        if key not in results:
            return
        values = results[key]
        total = pick(values)
        line = f"{label:<34}{total:>8.2f} [{min(values):5.2f}]{_ms(total / steps):>13}"
        if baseline is not None:
            base = pick(results[baseline])
            line += f"{_ms((total - base) / steps):>18}{total / base:>7.2f}x"
            line += f"  {target}  {verdict}"
        print(line)

    row(f"(a) {steps} bare subprocesses", "bare")
    if "local" in results and "bare" in results:
        overhead = (pick(results["local"]) - pick(results["bare"])) / steps * 1000
        verdict = "PASS" if overhead <= LOCAL_TARGET_MS else "FAIL"
        row(
            f"(b) {steps}-step job on local",
            "local",
            baseline="bare",
            target=f"<= +{LOCAL_TARGET_MS:.0f} ms/step",
            verdict=verdict,
        )
    row(f"(c) {steps} x docker run --rm", "docker_run")
    if "docker" in results and "docker_run" in results:
        ratio = pick(results["docker"]) / pick(results["docker_run"])
        verdict = "PASS" if ratio <= DOCKER_TARGET_RATIO else "FAIL"
        row(
            f"(d) {steps}-step job on docker",
            "docker",
            baseline="docker_run",
            target=f"<= {DOCKER_TARGET_RATIO:.2f}x",
            verdict=verdict,
        )


def phase_means(job_runs: list[JobRun]) -> dict[str, float]:
    """Mean ms per step of each phase over these runs (the breakdown's cells)."""
    means = {}
    for name in ("schedule", "dispatch", "prepare+start", "run+collect"):
        values = [value for run in job_runs for value in run.phases.get(name, [])]
        if values:
            means[name] = statistics.mean(values) * 1000
    return means


def report_rows(
    report: Report, steps: int, results: dict[str, list[float]], runs: dict[str, list[JobRun]]
) -> None:
    """The table's figures as rows of bench/results/step_overhead.json (medians, as the table)."""
    pick = statistics.median
    repeat = max((len(values) for values in results.values()), default=0)
    note = f"median of {repeat}"
    pairs = (
        ("local", "bare", f"{steps} bare subprocesses", f"<= +{LOCAL_TARGET_MS:.0f} ms/step"),
        ("docker", "docker_run", f"{steps} x docker run --rm", f"<= {DOCKER_TARGET_RATIO:.2f}x"),
    )
    for compute, floor, floor_label, goal in pairs:
        if compute not in results or floor not in results:
            continue
        job, base = pick(results[compute]), pick(results[floor])
        overhead = (job - base) / steps * 1000
        phases = ", ".join(
            f"{name} {value:.1f}" for name, value in phase_means(runs.get(compute, [])).items()
        )
        report.row(f"{compute}: {floor_label}", base, "s", note=f"{note}, min {min(results[floor]):.2f} s")
        report.row(
            f"{compute}: {steps}-step chain", job, "s", note=f"{note}, min {min(results[compute]):.2f} s"
        )
        if compute == "local":
            report.row(
                "local: overhead over bare",
                overhead,
                "ms/step",
                goal=goal,
                met=overhead <= LOCAL_TARGET_MS,
                note=f"ms/step: {phases}" if phases else "",
            )
        else:
            ratio = job / base
            report.row(
                "docker: chain / docker run",
                ratio,
                "x",
                goal=goal,
                met=ratio <= DOCKER_TARGET_RATIO,
                note=f"{overhead:+.1f} ms/step" + (f"; ms/step: {phases}" if phases else ""),
            )


def print_breakdown(runs: dict[str, list[JobRun]]) -> None:
    print()
    print("Where a step's time goes (mean ms per step, from the database's timestamps):")
    names = ["schedule", "dispatch", "prepare+start", "run+collect", "job end"]
    print(f"{'compute':<10}" + "".join(f"{name:>15}" for name in names) + f"{'submit->done s':>16}")
    for compute, job_runs in runs.items():
        cells = []
        for name in names:
            values = [value for run in job_runs for value in run.phases.get(name, [])]
            cells.append(f"{statistics.mean(values) * 1000:>15.1f}" if values else f"{'-':>15}")
        total = statistics.median(run.db_total for run in job_runs)
        print(f"{compute:<10}" + "".join(cells) + f"{total:>16.2f}")
    print(
        "  schedule: upstream step finished -> this step Queued (the pass in the step end's transaction)\n"
        "  dispatch: Queued -> claimed (in that same transaction, for the step thread that ended it)\n"
        "  prepare+start: claimed -> Running (environment lookup, folders, inputs, process/container start)\n"
        "  run+collect: Running -> finished (the command, wait polling, log follower, outputs hash)"
    )


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=40, help="steps in the chain (default 40)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each measure (default 1)")
    parser.add_argument(
        "--computes", default="local,docker", help="which to measure: local, docker or both (default)"
    )
    parser.add_argument("--no-breakdown", dest="breakdown", action="store_false", help="no per-phase table")
    parser.add_argument("--profile", action="store_true", help="cProfile the worker side (slows it down)")
    parser.add_argument("--profile-lines", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway STUDIO_HOME")
    parser.add_argument("--verbose", action="store_true", help="Studio's INFO logs")
    args = parser.parse_args(argv)
    computes = [name.strip() for name in args.computes.split(",") if name.strip()]

    report = Report("step_overhead")
    report.meta("options", vars(args))
    home = Path(tempfile.mkdtemp(prefix="studio-bench-", dir="/tmp"))
    home.chmod(0o755)  # steps run as uid 1000 when this runs as root
    print(f"STUDIO_HOME {home}")
    workers = None
    try:
        setup_django(home, verbose=args.verbose)
        if "docker" in computes and not docker_answers():
            print("no Docker engine answers: measuring local only")
            report.meta("skipped", "docker: no engine answers")
            computes = [name for name in computes if name != "docker"]
        create_computes(computes)
        from runner.worker import start_workers

        workers = start_workers()
        profile = WorkerProfile() if args.profile else None

        specs = {name: compile_chain(home / "bench", args.steps, name) for name in computes}
        warm = {name: compile_chain(home / "bench", 2, name) for name in computes}
        images: dict[str, str] = {}
        for name in computes:
            started = time.perf_counter()
            images[name] = run_job(warm[name]).image
            print(f"warm-up on {name}: {time.perf_counter() - started:.1f} s ({images[name]})")
        python = str(Path(images["local"]) / "bin" / "python") if "local" in images else sys.executable
        if "docker" in images:
            time_docker_run(images["docker"], 2)  # warm the engine's caches too
        if profile is not None:
            profile.install()

        results: dict[str, list[float]] = {}
        runs: dict[str, list[JobRun]] = {name: [] for name in computes}
        for attempt in range(1, args.repeat + 1):
            if "local" in computes:
                results.setdefault("bare", []).append(time_bare(python, args.steps))
                run = run_job(specs["local"])
                runs["local"].append(run)
                results.setdefault("local", []).append(run.wall)
            if "docker" in computes:
                results.setdefault("docker_run", []).append(time_docker_run(images["docker"], args.steps))
                run = run_job(specs["docker"])
                runs["docker"].append(run)
                results.setdefault("docker", []).append(run.wall)
            done = ", ".join(f"{key} {values[-1]:.2f} s" for key, values in results.items())
            print(f"run {attempt}/{args.repeat}: {done}", flush=True)

        print_table(args.steps, results, args.repeat)
        report_rows(report, args.steps, results, runs)
        report.meta("local baseline interpreter", python)
        if args.breakdown:
            print_breakdown(runs)
        print(f"\n(local baseline interpreter: {python})")
        if profile is not None:
            print(
                f"\nWorker-side profile ({profile.calls} calls of step_runner.run / scheduler.advance_job):"
            )
            print(profile.report(args.profile_lines))
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
