"""Bar charts of the compare page's metrics: one chart per (step, metric), one bar per job.

Bars are sized against the largest magnitude of the chart (negative values say so), and a chart
whose values differ between the jobs is marked, as differing parameters are.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Bar:
    """One job's value in a chart; `percent` is its length, None when the job has no value."""

    job: str
    value: str
    percent: float | None
    negative: bool = False


@dataclass
class MetricChart:
    """A metric of one step across the compared jobs."""

    name: str
    step: str
    differs: bool
    bars: list[Bar]


def metric_charts(job_labels: list[str], rows) -> list[MetricChart]:
    """A chart for each metric row (`runner.compare_views.Row`) with at least one number; the
    differing ones first, in row order otherwise."""
    charts = []
    for row in rows:
        present = [abs(n) for n in row.numbers if n is not None]
        if not present:
            continue
        largest = max(present) or 1.0
        bars = [
            Bar(
                job=label,
                value=text,
                percent=None if number is None else round(100 * abs(number) / largest, 1),
                negative=number is not None and number < 0,
            )
            for label, text, number in zip(job_labels, row.values, row.numbers, strict=True)
        ]
        charts.append(MetricChart(name=row.label, step=row.hint, differs=row.differs, bars=bars))
    return sorted(charts, key=lambda chart: not chart.differs)
