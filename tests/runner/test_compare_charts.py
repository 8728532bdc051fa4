"""The compare page's metric charts: one bar per job, sized against the largest value, differing
metrics first and marked."""

from __future__ import annotations

import re

import pytest

from runner.compare_charts import metric_charts
from runner.compare_views import Row
from tests.runner.test_compare import two_jobs  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_sizes_bars_and_puts_differing_metrics_first():
    rows = [
        Row("loss", ["0.5", "0.5"], hint="train", numbers=[0.5, 0.5]),
        Row("r2", ["-0.5", "0.25"], hint="evaluate", numbers=[-0.5, 0.25]),
        Row("notes", ["—", "—"], hint="train", numbers=[None, None]),
    ]
    charts = metric_charts(["first", "second"], rows)
    assert [(chart.name, chart.differs) for chart in charts] == [("r2", True), ("loss", False)]
    r2 = charts[0].bars
    assert [(bar.job, bar.percent, bar.negative) for bar in r2] == [
        ("first", 100.0, True),
        ("second", 50.0, False),
    ]


def test_the_page_charts_each_metric_with_the_differing_one_marked(two_jobs, admin_client):  # noqa: F811
    html = admin_client.get("/jobs/compare/", {"ids": "run_one,run_two"}).content.decode()
    charts = re.findall(
        r'<figure class="compare-chart( is-different)?" data-metric="(\w+)">(.*?)</figure>', html, re.S
    )
    assert [(name, bool(marked)) for marked, name, _ in charts] == [("acc", True), ("loss", True)]
    acc = charts[0][2]
    assert "≠ differs" in acc
    assert re.findall(r'style="width: ([\d.]+)%"', acc) == ["83.3", "100.0"]  # 0.75 and 0.9 of 0.9
    assert re.findall(r'compare-bar__value">(.*?)<', acc) == ["0.75", "0.9"]
