"""Bench results: each script writes its rows to bench/results/<script>.json; `make bench` merges them.

A script that measures something:

    from report import Report            # bench/ is on sys.path when a bench script runs

    report = Report("fan_out")           # -> bench/results/fan_out.json
    report.row("fan-out 100 on local: total", 4.2, "s")
    report.row("fan-out 100 on local: ratio to floor", 1.13, "x", goal="<= 1.2x", met=True)
    report.row("scheduler cost at 1000", 3.1, "ms/step", note="2 runs, median")
    report.save()                        # writes the file and prints this script's table

Rows are (metric, value, unit, goal, met, note): `metric` is a short human label, unique within
the script; `value` a number (or None when it could not be measured, with the reason in `note`);
`unit` e.g. "s", "ms/step", "x", "MiB", "/s"; `goal` the target as text (e.g. "<= 1.2x") or None
when the row is context only; `met` True/False against that goal (None: no goal, or not
measured). `Report.meta(key, value)` records run context (versions, load, options): the load
average at creation and at save are recorded by themselves.

    .venv/bin/python bench/report.py                 # merge bench/results/*.json -> latest.json, print
    .venv/bin/python bench/report.py a.json b.json   # merge only these

Merging writes bench/results/latest.json ({"scripts": {name: {...}}, "rows": [...]}, every row
with its script's name) and prints ONE table; it exits 0 (the verdicts are in the table).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
LATEST = "latest.json"


def load_average() -> list[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


class Report:
    """The rows of one bench script, saved as bench/results/<name>.json."""

    def __init__(self, name: str, results: Path | None = None) -> None:
        self.name = name
        self.results = results or RESULTS
        self.rows: list[dict] = []
        self.info: dict = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "load_at_start": load_average(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "argv": sys.argv[1:],
        }

    def row(
        self,
        metric: str,
        value: float | None,
        unit: str,
        goal: str | None = None,
        met: bool | None = None,
        note: str = "",
    ) -> dict:
        """Add one measured figure; returns the row (a dict) so a caller can amend it."""
        entry = {
            "metric": metric,
            "value": None if value is None else round(float(value), 4),
            "unit": unit,
            "goal": goal,
            "met": met,
            "note": note,
        }
        self.rows.append(entry)
        return entry

    def meta(self, key: str, value) -> None:
        """Record run context (tool versions, options, what was skipped and why)."""
        self.info[key] = value

    def save(self, *, quiet: bool = False) -> Path:
        """Write bench/results/<name>.json and (unless quiet) print this script's table."""
        self.info["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.info["load_at_end"] = load_average()
        self.results.mkdir(parents=True, exist_ok=True)
        path = self.results / f"{self.name}.json"
        document = {"script": self.name, "meta": self.info, "rows": self.rows}
        path.write_text(json.dumps(document, indent=2) + "\n")
        if not quiet:
            print()
            print(format_table([dict(row, script=self.name) for row in self.rows]))
            print(f"(written to {path})")
        return path


def _value(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _verdict(row: dict) -> str:
    if row.get("goal") is None:
        return ""
    return {True: "MET", False: "MISSED", None: "n/a"}[row.get("met")]


def format_table(rows: list[dict]) -> str:
    """One text table: script, metric, value unit, goal, verdict, note."""
    cells = [
        (
            row.get("script", ""),
            row["metric"],
            f"{_value(row['value'])} {row['unit']}".strip(),
            row.get("goal") or "",
            _verdict(row),
            row.get("note") or "",
        )
        for row in rows
    ]
    header = ("script", "metric", "value", "goal", "verdict", "note")
    widths = [max([len(header[i])] + [len(cell[i]) for cell in cells]) for i in range(5)]
    lines = []
    for cell in [header, *cells]:
        padded = [cell[i].rjust(widths[i]) if i == 2 else cell[i].ljust(widths[i]) for i in range(5)]
        line = "  ".join(padded)
        lines.append((line + "  " + cell[5]).rstrip())
    lines.insert(1, "-" * min(160, max(len(line) for line in lines)))
    return "\n".join(lines)


def merge(paths: list[Path] | None = None, results: Path | None = None) -> dict:
    """Merge script results into results/latest.json; returns the merged document."""
    folder = results or RESULTS
    if not paths:
        paths = sorted(path for path in folder.glob("*.json") if path.name != LATEST)
    merged: dict = {"merged": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "scripts": {}, "rows": []}
    for path in paths:
        document = json.loads(Path(path).read_text())
        name = document.get("script") or Path(path).stem
        merged["scripts"][name] = document.get("meta", {})
        merged["rows"] += [dict(row, script=name) for row in document.get("rows", [])]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LATEST).write_text(json.dumps(merged, indent=2) + "\n")
    return merged


def main(argv: list[str]) -> int:
    merged = merge([Path(arg) for arg in argv] or None)
    loads = {name: meta.get("load_at_start") for name, meta in merged["scripts"].items()}
    print()
    print(f"Bench results ({len(merged['scripts'])} scripts; load average at each script's start: {loads})")
    print(format_table(merged["rows"]))
    goals = [row.get("met") for row in merged["rows"] if row.get("goal")]
    print(
        f"\ngoals: {goals.count(True)} met, {goals.count(False)} missed, {goals.count(None)} not measured;"
        f" written to {RESULTS / LATEST}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
