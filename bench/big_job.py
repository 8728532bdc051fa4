"""What a big job costs: submit, the scheduler's first pass, cancel and clone of N steps.

A job of N steps (default 10,000: the most `STUDIO_MAX_STEPS_PER_JOB` allows by default) of the
built-in `run_command` component, as a chain (each step reads the previous step's output) and as
a fan-out (N independent steps), is sent through the REST API the way a client sends it:

- **submit**: `POST /api/v1/jobs/` with the pipeline document as JSON (compile, store the spec
  and the N step rows);
- **first pass**: the scheduler's first `advance_job` (the chain queues one step, the fan-out N);
- **list**: the job lists with the job there: `GET /api/v1/jobs/`, `/api/v1/jobs/summaries/`,
  `/api/v1/jobs/metric-names/`, the /jobs/ page and the dashboard, one after the other;
- **cancel**: `POST /api/v1/jobs/<name>/cancel/`, then the scheduler pass that cancels the steps
  still waiting;
- **clone**: `POST /api/v1/jobs/<name>/clone/` (the job's frozen spec as a laid-out draft);
- **layout**: `pipelines.graph.layout` alone, on the clone's graph.

It runs in a throwaway STUDIO_HOME under /tmp (SQLite, no worker: the scheduler pass is called
directly and timed alone), and always exits 0. Each phase's seconds also go to
bench/results/big_job.json (bench/report.py, merged by `make bench`); no goal (issue 11 asked for
near-linear phases, judged across sizes, not by one run).

    .venv/bin/python bench/big_job.py [--steps 10000] [--shapes chain,fanout] [--profile submit]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import Report  # noqa: E402  (sibling bench modules)
from step_overhead import create_computes, setup_django  # noqa: E402  (a sibling bench script)

COMPONENT = "azureml:run_command:1"


def pipeline_document(steps: int, shape: str) -> dict:
    """A pipeline job document of `steps` run_command steps: a chain, or a fan-out."""
    jobs = {}
    for index in range(1, steps + 1):
        job: dict = {"type": "command", "component": COMPONENT}
        if shape == "chain" and index > 1:
            job["inputs"] = {"input_folder": f"${{{{parent.jobs.s{index - 1}.outputs.output_folder}}}}"}
        jobs[f"s{index}"] = job
    return {
        "type": "pipeline",
        "display_name": f"big {shape} of {steps}",
        "experiment_name": "bench",
        "settings": {"default_compute": "azureml:local"},
        "jobs": jobs,
    }


class Timer:
    """Wall-clock seconds of named phases, each optionally under cProfile or skipped."""

    def __init__(self, *, profile: set[str], skip: set[str]) -> None:
        self.seconds: dict[str, float] = {}
        self.profile = profile
        self.skip = skip

    def run(self, name: str, function, *args, **kwargs):
        """Time `function` as phase `name` and print its cell (a long phase shows as it ends)."""
        if name in self.skip:
            print(f"{'-':>12}", end="", flush=True)
            return None
        profiler = cProfile.Profile() if name in self.profile else None
        started = time.perf_counter()
        result = profiler.runcall(function, *args, **kwargs) if profiler else function(*args, **kwargs)
        self.seconds[name] = time.perf_counter() - started
        print(f"{self.seconds[name]:>12.2f}", end="", flush=True)
        if profiler is not None:
            print(f"\n--- cProfile of {name} ---")
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(r"^(?!.*site-packages)(?!.*python3\.\d+/)", 40)  # Studio's own code
        return result


def expect(response, code: int, what: str):
    if response is not None and response.status_code != code:
        raise SystemExit(f"{what}: HTTP {response.status_code}: {response.content[:500]!r}")
    return response


def list_pages(client) -> None:
    for url in ("/api/v1/jobs/", "/api/v1/jobs/summaries/", "/api/v1/jobs/metric-names/", "/jobs/", "/"):
        expect(client.get(url), 200, url)


def report_rows(report: Report, steps: int, shape: str, timer: Timer) -> None:
    """One row per phase that ran, in the table's order."""
    for phase in COLUMNS:
        if phase in timer.seconds:
            report.row(f"{shape} of {steps}: {phase}", timer.seconds[phase], "s")


def measure(client, steps: int, shape: str, timer: Timer) -> None:
    from designer.models import PipelineDraft
    from pipelines.graph.layout import layout
    from runner.models import PipelineJob
    from runner.scheduler import advance_job

    body = json.dumps(pipeline_document(steps, shape))
    print(f"{shape:<8}{steps:>7}", end="", flush=True)
    created = timer.run("submit", client.post, "/api/v1/jobs/", body, content_type="application/json")
    name = expect(created, 201, "submit").json()["name"]
    job = PipelineJob.objects.defer("spec").get(name=name)
    timer.run("first pass", advance_job, job.pk)
    timer.run("list", list_pages, client)
    expect(timer.run("cancel", client.post, f"/api/v1/jobs/{name}/cancel/"), 202, "cancel")
    timer.run("cancel pass", advance_job, job.pk)
    job.refresh_from_db()
    clone = timer.run("clone", client.post, f"/api/v1/jobs/{name}/clone/")
    if clone is None:
        timer.skip.add("layout")  # it lays out the clone's graph
        timer.run("layout", layout, {})
        print(f"   job {job.status}", flush=True)
        return
    graph = PipelineDraft.objects.get(pk=expect(clone, 201, "clone").json()["id"]).graph
    timer.run("layout", layout, graph)
    print(f"   job {job.status}, draft of {len(graph['nodes'])} nodes", flush=True)


COLUMNS = ("submit", "first pass", "list", "cancel", "cancel pass", "clone", "layout")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--shapes", default="chain,fanout", help="chain, fanout or both (comma separated)")
    parser.add_argument(
        "--profile", default="", help=f"phases to profile, comma separated: {', '.join(COLUMNS)}"
    )
    parser.add_argument("--skip", default="", help="phases not to run, comma separated (clone: layout too)")
    parser.add_argument("--keep", action="store_true", help="keep the STUDIO_HOME")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)

    report = Report("big_job")
    report.meta("options", vars(args))
    home = Path(tempfile.mkdtemp(prefix="studio-bench-big-", dir="/tmp"))
    try:
        setup_django(home, verbose=args.verbose)
        create_computes(["local"])
        from django.contrib.auth import get_user_model
        from django.test import Client

        user = get_user_model().objects.create_superuser("bench", password="bench-password-1")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        print(f"Big jobs: seconds per phase (STUDIO_HOME {home})")
        print(f"{'shape':<8}{'steps':>7}" + "".join(f"{key:>12}" for key in COLUMNS))
        profile = {part.strip() for part in args.profile.split(",") if part.strip()}
        skip = {part.strip() for part in args.skip.split(",") if part.strip()}
        for shape in [part.strip() for part in args.shapes.split(",") if part.strip()]:
            timer = Timer(profile=profile, skip=skip)
            measure(client, args.steps, shape, timer)
            report_rows(report, args.steps, shape, timer)
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    report.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
