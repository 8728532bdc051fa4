"""Step metrics: numbers a step reports, kept as series over time.

A step reports metrics in two ways:

- **log lines** `##studio[metric NAME=VALUE]`, at the start of a line (leading blanks allowed),
  with an optional `step=N` (a whole number ≥ 0: the iteration, epoch…) and any number of
  `NAME=VALUE` pairs, separated by blanks or `;`:

      ##studio[metric loss=0.42 step=3]
      ##studio[metric accuracy=0.93; f1=0.91]

  Every line adds one point per name with the line's time (`t` of the log entry). A name is 1-100
  of `A-Z a-z 0-9 _ . - /` and cannot be `step`; a value is a decimal number (`1`, `-0.5`,
  `3e-4`). A line with anything else in the brackets (a bad name or value, NaN or infinity, a
  repeated name, an unknown command) is ignored as a whole and stays an ordinary log line.
  Studio's own notes and environment-build lines are never read for metrics.

- **`metrics.json`**, read once the step has ended, from the step's `./outputs/metrics.json`
  (its working directory's `outputs` folder, as Azure ML keeps it) and from `metrics.json` at the
  top of each of its `uri_folder` outputs. It is a JSON object whose values are a number (one
  point), a list of numbers (a series, `step` 0, 1, 2…), or a list of `{"value": x, "step": n}`
  objects; the points take the file's modification time. Non-finite numbers, booleans and anything
  else are skipped; a file that is not valid JSON (or over 1 MB) is ignored.

A point is `{"name", "value", "t", "step"?}`. Points from log lines are appended to the step's
`.metrics.jsonl` next to its log as the lines are written (`runner.logs.StepLog`), so reading a
step's metrics never scans its log. A reused step has the metrics of the step it reused.

The parsing functions at the top are pure; the readers below them touch the artifact store.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from pathlib import Path

from runner.notes import is_note

MARKER = "##studio["
METRICS_FILE = "metrics.json"
SIDECAR = ".metrics.jsonl"
MAX_FILE_BYTES = 1_000_000
MAX_POINTS_PER_NAME = 10_000  # a series longer than this keeps its first and last points
MAX_NAME_CHARS = 100

_COMMAND = re.compile(r"^\s*##studio\[metric(?:\s+([^\]]*))?\]")
_NAME = re.compile(rf"^[A-Za-z0-9_.\-/]{{1,{MAX_NAME_CHARS}}}$")
_NUMBER = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")
_STEP = re.compile(r"^\d{1,15}$")

Point = dict  # {"name": str, "value": float, "t": float, "step": int (optional)}


# --- Parsing (pure) -------------------------------------------------------------------------------


def parse_number(text: str) -> float | None:
    """A finite decimal number, or None (`nan`, `inf`, `1e999`, `0x10`, `1_0` are refused)."""
    if not _NUMBER.match(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def parse_line(line: str, *, t: float) -> list[Point]:
    """The points of one `##studio[metric …]` line, or [] when the line is not a valid one."""
    if MARKER not in line:
        return []
    match = _COMMAND.match(line)
    if match is None:
        return []
    pairs = [part for part in re.split(r"[\s;]+", match.group(1) or "") if part]
    values: dict[str, float] = {}
    step = None
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep:
            return []
        if key == "step":
            if step is not None or not _STEP.match(text):
                return []
            step = int(text)
            continue
        value = parse_number(text)
        if not _NAME.match(key) or value is None or key in values:
            return []
        values[key] = value
    points = []
    for name, value in values.items():
        point = {"name": name, "value": value, "t": t}
        if step is not None:
            point["step"] = step
        points.append(point)
    return points


def is_metric_source(entry: dict) -> bool:
    """Whether a log entry may carry metrics: not Studio's own note, not an environment build's line."""
    return entry.get("source") is None and not is_note(str(entry.get("line", "")))


def points_from_entries(entries: Iterable[dict]) -> list[Point]:
    """The points of log entries (`{seq, t, line, source?}`), in order."""
    points = []
    for entry in entries:
        line = entry.get("line")
        if isinstance(line, str) and MARKER in line and is_metric_source(entry):
            points.extend(parse_line(line, t=float(entry.get("t") or 0)))
    return points


def _finite(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def parse_metrics_document(text: str | bytes, *, t: float) -> list[Point]:
    """The points of a `metrics.json` document; [] when it is not a JSON object."""

    def refuse(_constant):  # NaN, Infinity, -Infinity
        raise ValueError("not a finite number")

    try:
        document = json.loads(text, parse_constant=refuse)
    except (ValueError, RecursionError):
        return []
    if not isinstance(document, dict):
        return []
    points = []
    for name, raw in document.items():
        if not isinstance(name, str) or not _NAME.match(name) or name == "step":
            continue
        if isinstance(raw, list):
            for index, item in enumerate(raw[:MAX_POINTS_PER_NAME]):
                step = index
                if isinstance(item, dict):
                    value = _finite(item.get("value"))
                    given = item.get("step", index)
                    if isinstance(given, bool) or not isinstance(given, int) or given < 0:
                        continue
                    step = given
                else:
                    value = _finite(item)
                if value is not None:
                    points.append({"name": name, "value": value, "t": t, "step": step})
            continue
        if isinstance(raw, dict):
            value = _finite(raw.get("value"))
            step = raw.get("step")
            point = {"name": name, "value": value, "t": t}
            if isinstance(step, int) and not isinstance(step, bool) and step >= 0:
                point["step"] = step
        else:
            value = _finite(raw)
            point = {"name": name, "value": value, "t": t}
        if value is not None:
            points.append(point)
    return points


def as_series(points: Iterable[Point]) -> dict[str, list[dict]]:
    """Points grouped by name (names sorted), each series in time order: `{name: [{value, t, step?}]}`.

    Points with the same time keep the order given (a `metrics.json` list shares one time).
    """
    series: dict[str, list[dict]] = {}
    for point in sorted(points, key=lambda point: point["t"]):
        entry = {key: value for key, value in point.items() if key != "name"}
        series.setdefault(point["name"], []).append(entry)
    for name, values in series.items():
        if len(values) > MAX_POINTS_PER_NAME:
            half = MAX_POINTS_PER_NAME // 2
            series[name] = values[:half] + values[-half:]
    return dict(sorted(series.items()))


def last_values(series: dict[str, list[dict]]) -> dict[str, float]:
    """The newest value of each series (the last point; series are in time order)."""
    return {name: values[-1]["value"] for name, values in series.items() if values}


# --- Reading and writing the artifact store -------------------------------------------------------


def sidecar_path(job: str, step: str) -> Path:
    """Where the points a step logged are kept."""
    from studio.storage.job_artifacts import step_dir

    return step_dir(job, step) / SIDECAR


def append_points(path: Path, points: list[Point]) -> None:
    """Append logged points to a step's `.metrics.jsonl` (the caller serializes writers)."""
    if not points:
        return
    with path.open("a", encoding="utf-8") as handle:
        for point in points:
            handle.write(json.dumps({**point, "source": "log"}) + "\n")


def logged_points(job: str, step: str) -> list[Point]:
    """The points a step printed as `##studio[metric …]` lines, oldest first."""
    path = sidecar_path(job, step)
    if not path.exists():
        return []
    points = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            try:
                point = json.loads(raw)
            except ValueError:
                continue  # a line cut short by a crash mid-write
            if isinstance(point, dict) and "name" in point and _finite(point.get("value")) is not None:
                point.pop("source", None)
                points.append(point)
    return points


def metrics_files(job: str, step: str, outputs: dict | None) -> list[Path]:
    """The `metrics.json` files a step may have written (see the module docstring), existing or not."""
    from studio.storage.job_artifacts import step_dir

    folder = step_dir(job, step)
    files = [folder / ".work" / "outputs" / METRICS_FILE]
    for name, info in (outputs or {}).items():
        kind = info.get("type") if isinstance(info, dict) else None
        if kind in (None, "uri_folder") and re.match(r"^[A-Za-z0-9_]+$", str(name)):
            files.append(folder / name / METRICS_FILE)
    return files


def file_points(job: str, step: str, outputs: dict | None) -> list[Point]:
    """The points of the step's `metrics.json` files, each at its file's modification time."""
    points = []
    for path in metrics_files(job, step, outputs):
        try:
            if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_FILE_BYTES:
                continue
            stamp = round(path.stat().st_mtime, 6)
            points.extend(parse_metrics_document(path.read_bytes(), t=stamp))
        except OSError:
            continue
    return points


def step_points(job: str, step: str, outputs: dict | None, *, ended: bool) -> list[Point]:
    """All points of a step: logged ones, then (once it `ended`) those of its metrics files."""
    points = logged_points(job, step)
    if ended:
        points.extend(file_points(job, step, outputs))
    return points


def source_of(step) -> tuple[str, str, dict]:
    """(job name, step name, outputs) whose files hold a step's metrics: its own, or for a reused
    step those of the step it reused (needs `job` and `reused_from__job` loaded or loadable)."""
    original = step
    for _ in range(5):  # reuse points at a step that ran; never loop on bad data
        if original.reused_from_id is None or original.reused_from is None:
            break
        original = original.reused_from
    return original.job.name, original.name, original.outputs or {}


def metrics_of(step) -> dict[str, list[dict]]:
    """A StepRun's metrics as series `{name: [{value, t, step?}]}`."""
    from runner.choices import STEP_TERMINAL

    job, name, outputs = source_of(step)
    ended = step.status in STEP_TERMINAL or step.reused_from_id is not None
    return as_series(step_points(job, name, outputs, ended=ended))


# What metrics_of() reads of a step and the step it reused: never a job's spec, which is megabytes
# for a big job and was once joined onto each of its 10,000 steps by one page load.
METRIC_STEP_FIELDS = (
    "name",
    "status",
    "outputs",
    "job_id",
    "reused_from_id",
    "job__name",
    "reused_from__name",
    "reused_from__outputs",
    "reused_from__reused_from_id",
    "reused_from__job__name",
)


def steps_for_metrics(steps):
    """`steps` (a StepRun queryset) loading what metrics_of() needs and nothing larger."""
    return steps.select_related("job", "reused_from__job").only(*METRIC_STEP_FIELDS)


def job_metrics(job) -> dict[str, dict[str, list[dict]]]:
    """Every step's series of a PipelineJob, by step name (steps without metrics left out)."""
    found = {}
    for step in steps_for_metrics(job.steps.order_by("pk")):
        series = metrics_of(step)
        if series:
            found[step.name] = series
    return found


def last_metric(jobs, name: str) -> dict[str, dict | None]:
    """For each PipelineJob, the newest value of metric `name` in any of its steps:
    `{job name: {"value", "t", "step": step name} | None}`."""
    from runner.models import StepRun

    jobs = list(jobs.only("pk", "name")) if hasattr(jobs, "only") else list(jobs)
    found: dict[str, dict | None] = {job.name: None for job in jobs}
    for step in steps_for_metrics(StepRun.objects.filter(job__in=jobs)):
        values = metrics_of(step).get(name)
        if not values:
            continue
        newest = values[-1]
        current = found.get(step.job.name)
        if current is None or newest["t"] >= current["t"]:
            found[step.job.name] = {"value": newest["value"], "t": newest["t"], "step": step.name}
    return found
