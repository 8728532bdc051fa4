"""A person compares runs by a metric, in Chromium, with steps in Docker containers.

Two jobs of a one-step pipeline print `##studio[metric accuracy=…]` lines with different values.
The first one's page charts the metric from the websocket's `metric` events while it runs (the
REST metrics endpoint is stubbed empty in that browser, so only the socket can bring them). On
`/jobs/` the person picks the `accuracy` column, sees both values, ticks both jobs and clicks
Compare: the compare table has both values, and links back to the list.
Screenshots land in tests/e2e/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_job_live import (
    STEP_TIMEOUT_MS,
    browser_context,
    screenshot,
    sign_in,
    submit,
    wait_for_job,
)

pytestmark = [pytest.mark.chromium, pytest.mark.docker]

REPORT_PY = '''
"""Reports an accuracy that climbs to the value it was given, one metric line every `delay` s."""
import argparse
import time

parser = argparse.ArgumentParser()
parser.add_argument("--accuracy", type=float, required=True)
parser.add_argument("--ticks", type=int, required=True)
parser.add_argument("--delay", type=float, required=True)
args = parser.parse_args()

for tick in range(1, args.ticks + 1):
    time.sleep(args.delay)
    value = args.accuracy * tick / args.ticks
    print(f"epoch {tick}", flush=True)
    print(f"##studio[metric accuracy={value:.4g} step={tick}]", flush=True)
print("done", flush=True)
'''

REPORTER_YML = """
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: metric_reporter
display_name: Metric reporter
inputs:
  accuracy: {type: number}
  ticks: {type: integer, default: 1}
  delay: {type: number, default: 0.1}
code: ./src
environment: azureml:python-3.11@latest
command: >-
  python report.py --accuracy ${{inputs.accuracy}} --ticks ${{inputs.ticks}} --delay ${{inputs.delay}}
"""

PIPELINE_YML = """
type: pipeline
display_name: Metric run
experiment_name: compare-e2e
settings:
  default_compute: azureml:docker
  force_rerun: true
inputs:
  accuracy: 0.5
  ticks: 1
  delay: 0.1
jobs:
  train:
    component: ./reporter.yml
    inputs:
      accuracy: ${{parent.inputs.accuracy}}
      ticks: ${{parent.inputs.ticks}}
      delay: ${{parent.inputs.delay}}
"""


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("metric-pipeline")
    (folder / "src").mkdir()
    (folder / "src" / "report.py").write_text(textwrap.dedent(REPORT_PY).lstrip())
    (folder / "reporter.yml").write_text(REPORTER_YML.lstrip())
    (folder / "pipeline.yml").write_text(PIPELINE_YML.lstrip())
    return folder / "pipeline.yml"


def test_metrics_chart_live_and_two_runs_compare_from_the_jobs_list(studio_server, token, pipeline, tmp_path):
    with browser_context() as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server, "/jobs/")

        # The metrics REST endpoint answers nothing in this browser: charts can only come live.
        stubbed: list[str] = []

        def empty_metrics(route) -> None:
            stubbed.append(route.request.url)
            name = re.search(r"/api/v1/jobs/([\w-]+)/metrics/", route.request.url).group(1)
            route.fulfill(
                status=200,
                content_type="application/json",
                body=json.dumps({"job": name, "seq": 0, "steps": {}}),
            )

        page.route(re.compile(r"/api/v1/jobs/[\w-]+/metrics/"), empty_metrics)

        # Given a job that reports its accuracy four times, open before it starts
        first = submit(
            studio_server,
            token,
            pipeline,
            tmp_path,
            "inputs.accuracy=0.91",
            "inputs.ticks=4",
            "inputs.delay=2",
        )
        page.goto(f"{studio_server.url}/jobs/{first}/#step=train")
        expect(page.get_by_test_id("connection")).to_have_text("Live", timeout=30_000)
        panel = page.get_by_role("complementary", name="Step train")
        expect(panel).to_be_visible()

        # Then the step's chart follows the metric events while it runs
        chart = panel.get_by_test_id("step-metric")
        expect(chart).to_have_attribute("data-metric", "accuracy", timeout=STEP_TIMEOUT_MS)
        expect(panel.get_by_test_id("step-status")).to_have_text("Running")
        expect(panel.get_by_role("img", name="accuracy: 4 values, last 0.91")).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        expect(chart.get_by_test_id("metric-last")).to_have_text("0.91")
        screenshot(page, "job-live-metrics")
        assert stubbed, "the page did not ask REST for the metrics at all"
        page.unroute(re.compile(r"/api/v1/jobs/[\w-]+/metrics/"))

        # And a second run reports a lower accuracy
        second = submit(studio_server, token, pipeline, tmp_path, "inputs.accuracy=0.87")
        for name in (first, second):
            assert wait_for_job(studio_server, token, name)["status"] == "Completed"

        # When they show the accuracy column on the jobs list
        page.goto(f"{studio_server.url}/jobs/")
        rows = {name: page.locator(f'tr[data-job="{name}"]') for name in (first, second)}
        expect(rows[first]).to_be_visible(timeout=30_000)
        expect(page.get_by_label("Metric", exact=True)).to_contain_text("accuracy")
        page.get_by_label("Metric", exact=True).select_option("accuracy")

        # Then each job shows its newest value, and the address keeps the choice
        expect(rows[first].get_by_test_id("job-row-metric")).to_have_text("0.91")
        expect(rows[second].get_by_test_id("job-row-metric")).to_have_text("0.87")
        assert "metric=accuracy" in page.url
        page.get_by_role("columnheader", name=re.compile("accuracy")).get_by_role("button").click()
        # Other tests share this server and may have reported an accuracy too: the rows are
        # checked for descending order, and the newer, lower run must now follow the first.
        page.wait_for_function(
            """([first, second]) => {
                const names = [...document.querySelectorAll("tr[data-job]")].map((r) => r.dataset.job);
                return names.indexOf(first) >= 0 && names.indexOf(first) < names.indexOf(second);
            }""",
            arg=[first, second],
            timeout=5_000,
        )
        values = page.locator('tr[data-job] [data-testid="job-row-metric"]').all_inner_texts()
        numbers = [float(value) for value in values if value.strip() not in ("", "—")]
        assert numbers == sorted(numbers, reverse=True), values
        assert "sort=-metric" in page.url

        # When they tick both jobs and click Compare
        compare = page.get_by_role("group", name="Compare jobs")
        expect(compare.get_by_role("button", name="Compare (0)")).to_be_disabled()
        for name in (first, second):
            rows[name].get_by_role("checkbox").check()
        screenshot(page, "jobs-list-metric-column")
        compare.get_by_role("link", name="Compare (2)").click()

        # Then the compare page shows both values side by side
        page.wait_for_url(re.compile(re.escape(studio_server.url) + r"/jobs/compare/\?ids="))
        table = page.locator("table.compare-table")
        header = table.locator("thead th")
        expect(header.nth(1)).to_contain_text(first)
        expect(header.nth(2)).to_contain_text(second)
        row = table.locator("#compare-metrics tr", has_text="accuracy")
        expect(row.locator("td")).to_have_text(["0.91", "0.87"])
        screenshot(page, "jobs-compare")

        # And it links back to the list
        page.get_by_role("link", name="← Back to jobs").click()
        page.wait_for_url(f"{studio_server.url}/jobs/")
        assert errors == []
