"""`/jobs/compare?ids=a,b,c`: jobs side by side — parameters, metrics and durations in one table.

Parameters are the pipeline inputs, then each step's component version and literal input values
(a step input fed by a pipeline input reads `= inputs.NAME`); a parameter whose values are not
all the same is highlighted, and `&only=diff` hides the others. Metrics are the newest value of each
(step, metric) of each job (`runner.metrics`). Durations are the job's and each step's, from
start to end (or to now while running).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.shortcuts import render
from django.utils import timezone

from runner import metrics
from runner.compare_charts import metric_charts
from runner.models import PipelineJob, StepRun

MAX_JOBS = 10
MISSING = "—"
# What the durations read of each step: not its outputs, reuse parts or status reason.
DURATION_FIELDS = ("job", "name", "status", "reused_from", "started_at", "finished_at")


@dataclass
class Row:
    """One line of the comparison: a label and one display value per job."""

    label: str
    values: list[str]
    hint: str = ""
    numbers: list[float | None] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return len(set(self.values)) > 1


def requested_names(raw: str) -> list[str]:
    """The job names of `?ids=` (comma or blank separated), in order, each once."""
    names: list[str] = []
    for part in raw.replace(" ", ",").split(","):
        part = part.strip()
        if part and part not in names:
            names.append(part)
    return names


def _literal(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def binding_text(binding: dict | None) -> str:
    """How a bound value reads in the table (a literal, a data asset, or an upstream output)."""
    if not isinstance(binding, dict):
        return MISSING
    kind = binding.get("kind")
    if kind == "literal":
        return _literal(binding.get("value"))
    if kind == "data":
        return binding.get("asset") or binding.get("url") or f"upload {str(binding.get('snapshot', ''))[:12]}"
    if kind == "step_output":
        return f"{binding.get('step')}.{binding.get('output')}"
    return json.dumps(binding, sort_keys=True)


def _ordered_union(groups) -> list[str]:
    seen: list[str] = []
    for group in groups:
        for item in group:
            if item not in seen:
                seen.append(item)
    return seen


def parameter_rows(jobs: list[PipelineJob]) -> list[Row]:
    """Pipeline inputs, then per step its component and its literal inputs."""
    specs = [job.spec or {} for job in jobs]
    rows = []
    for name in _ordered_union((spec.get("inputs") or {}).keys() for spec in specs):
        values = [binding_text((spec.get("inputs") or {}).get(name)) for spec in specs]
        rows.append(Row(name, values, hint="pipeline input"))
    for step in _ordered_union((spec.get("steps") or {}).keys() for spec in specs):
        steps = [(spec.get("steps") or {}).get(step) for spec in specs]
        pins = [s.get("component") if isinstance(s, dict) else None for s in steps]
        rows.append(
            Row(
                f"{step}",
                [f"{pin['name']}:{pin['version']}" if isinstance(pin, dict) else MISSING for pin in pins],
                hint="component",
            )
        )
        ports = _ordered_union(
            [
                port
                for port, binding in (s.get("inputs") or {}).items()
                if isinstance(binding, dict)
                and binding.get("kind") == "literal"
                and port not in (s.get("input_sources") or {})
            ]
            for s in steps
            if isinstance(s, dict)
        )
        for port in ports:
            values = []
            for s in steps:
                binding = (s.get("inputs") or {}).get(port) if isinstance(s, dict) else None
                source = (s.get("input_sources") or {}).get(port) if isinstance(s, dict) else None
                values.append(f"= inputs.{source}" if source else binding_text(binding))
            rows.append(Row(f"{step}.{port}", values, hint="step input"))
    return rows


def _number(value: float | None) -> str:
    return MISSING if value is None else f"{value:.6g}"


def metric_rows(jobs: list[PipelineJob]) -> list[Row]:
    """The newest value of each (step, metric) of each job."""
    per_job = [metrics.job_metrics(job) for job in jobs]
    keys = _ordered_union(
        sorted((step, name) for step, series in found.items() for name in series) for found in per_job
    )
    rows = []
    for step, name in keys:
        numbers = []
        for found in per_job:
            values = found.get(step, {}).get(name)
            numbers.append(values[-1]["value"] if values else None)
        rows.append(Row(name, [_number(n) for n in numbers], hint=step, numbers=numbers))
    return rows


def duration_text(seconds: float | None) -> str:
    """`1 h 02 min`, `3 min 05 s`, `4.2 s`, or — when it has not started."""
    if seconds is None:
        return MISSING
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _seconds(started, finished, now) -> float | None:
    if started is None:
        return None
    return max(0.0, ((finished or now) - started).total_seconds())


def duration_rows(jobs: list[PipelineJob]) -> list[Row]:
    """The job's duration, then each step's (reused steps say so)."""
    now = timezone.now()
    seconds = [_seconds(job.started_at, job.finished_at, now) for job in jobs]
    rows = [Row("job", [duration_text(s) for s in seconds], hint="total", numbers=seconds)]
    steps_of = [{step.name: step for step in job.steps.all()} for job in jobs]
    for name in _ordered_union(list((job.spec or {}).get("steps", {})) for job in jobs):
        values, numbers = [], []
        for steps in steps_of:
            step = steps.get(name)
            if step is None:
                values.append(MISSING)
                numbers.append(None)
            elif step.reused_from_id:
                values.append("reused")
                numbers.append(None)
            else:
                taken = _seconds(step.started_at, step.finished_at, now)
                values.append(f"{duration_text(taken)}" + ("" if step.is_terminal else " (running)"))
                numbers.append(taken)
        rows.append(Row(name, values, hint="step", numbers=numbers))
    return rows


def chart_labels(jobs: list[PipelineJob]) -> list[str]:
    """Display names when they tell the jobs apart, else the jobs' names."""
    shown = [job.display_name or job.name for job in jobs]
    return shown if len(set(shown)) == len(shown) else [job.name for job in jobs]


def compare_jobs(request):
    """Jobs side by side; unknown names are listed, not fatal, while at least one is found."""
    names = requested_names(request.GET.get("ids", ""))
    only_diff = request.GET.get("only") == "diff"
    context = {"names": names, "only_diff": only_diff, "ids": ",".join(names), "max_jobs": MAX_JOBS}
    if not names:
        context["problem"] = "Choose the jobs to compare: /jobs/compare?ids=first_job,second_job"
        return render(request, "runner/job_compare.html", context, status=400)
    if len(names) > MAX_JOBS:
        context["problem"] = f"Compare at most {MAX_JOBS} jobs at a time ({len(names)} were asked for)."
        return render(request, "runner/job_compare.html", context, status=400)
    found = {
        job.name: job
        for job in PipelineJob.objects.filter(name__in=names)
        .select_related("created_by")
        .prefetch_related(Prefetch("steps", queryset=StepRun.objects.only(*DURATION_FIELDS).order_by("pk")))
    }
    jobs = [found[name] for name in names if name in found]
    context["unknown"] = [name for name in names if name not in found]
    if not jobs:
        context["problem"] = "None of these jobs exist."
        return render(request, "runner/job_compare.html", context, status=404)
    metric_table = metric_rows(jobs)
    sections = [
        ("Parameters", "parameters", parameter_rows(jobs)),
        ("Metrics", "metrics", metric_table),
        ("Durations", "durations", duration_rows(jobs)),
    ]
    context.update(
        jobs=jobs,
        sections=[
            {
                "title": title,
                "slug": slug,
                "rows": [row for row in rows if row.differs or not (only_diff and slug == "parameters")],
                "total": len(rows),
                "differing": sum(row.differs for row in rows),
                "highlight": slug == "parameters",
            }
            for title, slug, rows in sections
        ],
        known_ids=",".join(job.name for job in jobs),
        charts=metric_charts(chart_labels(jobs), metric_table),
    )
    return render(request, "runner/job_compare.html", context)
