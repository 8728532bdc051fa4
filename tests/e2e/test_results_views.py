"""Results to look at (issue 15, point 6), in Chromium against a real `studio up` with steps on
Docker: the iris classification runs to Completed; its imported dataset opens in the explorer with
column statistics; Evaluate Model's threshold slider changes the confusion matrix; comparing two
runs charts their metrics with a differing one marked. Screenshots at 1280x720 land in
tests/e2e/screenshots/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import chromium_page, sign_in
from tests.e2e.test_run_management import submit

pytestmark = [pytest.mark.chromium, pytest.mark.docker]

SCREENSHOTS = Path(__file__).parent / "screenshots"
RUN_TIMEOUT_MS = 600_000  # the first step may build its environment image on a busy machine
CLASSIFICATION = (Path(__file__).parents[2] / "examples" / "classification.yml").read_text()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def open_outputs(page, step: str):
    page.get_by_role("button", name=f"Open step {step}").click()
    panel = page.get_by_role("complementary", name=f"Step {step}")
    panel.get_by_role("tab", name="Outputs").click()
    return panel


def cells(page) -> list[str]:
    return [
        page.get_by_test_id(f"confusion-{key}").locator("strong").inner_text()
        for key in ("tp", "fn", "fp", "tn")
    ]


def test_explore_a_dataset_move_the_threshold_and_compare_charts(studio_server, token):
    first = submit(studio_server, token, CLASSIFICATION)
    second = submit(studio_server, token, CLASSIFICATION.replace("fraction: 0.7", "fraction: 0.5"))
    with chromium_page(width=1280, height=720) as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server, f"/jobs/{first}/")
        expect(page.get_by_test_id("job-status")).to_have_text("Completed", timeout=RUN_TIMEOUT_MS)

        # The imported iris table: 150 rows, statistics of a numeric and a string column
        panel = open_outputs(page, "import_data")
        panel.get_by_role("button", name="Explore data.csv").click()
        dialog = page.get_by_role("dialog", name="Explore data.csv")
        expect(dialog.locator(".explorer__summary")).to_contain_text("150 rows · 5 columns")
        figures = dialog.get_by_role("region", name="Statistics of sepal_length")
        expect(figures).to_contain_text("Mean5.84")
        expect(figures.get_by_role("img", name="Histogram of sepal_length")).to_be_visible()
        dialog.get_by_role("button", name="species").click()
        species = dialog.get_by_role("region", name="Statistics of species")
        expect(species).to_contain_text("Unique3")
        expect(species).to_contain_text("Missing0")
        expect(dialog.get_by_role("table", name="Rows of data.csv").locator("tbody tr")).to_have_count(50)
        dialog.get_by_role("button", name="Next →").click()
        expect(dialog.get_by_text("Rows 51–100 of 150")).to_be_visible()
        screenshot(page, "results-explorer-1280x720")
        dialog.get_by_role("button", name="Close").click()

        # Evaluate Model: the threshold moves the operating point and the confusion matrix
        page.get_by_role("button", name="Close the step panel").click()
        panel = open_outputs(page, "evaluate")
        panel.get_by_role("button", name="Open the evaluation (curves, threshold, confusion matrix)").click(
            timeout=30_000
        )
        panel = page.get_by_role("dialog", name="Evaluation of evaluate")
        expect(panel.get_by_text("Classifier evaluation")).to_be_visible(timeout=30_000)
        panel.get_by_label("Positive class").select_option("versicolor")
        before = cells(page)
        assert sum(map(int, before)) == 45, before
        slider = panel.get_by_role("slider", name="Threshold")
        slider.fill("0.95")
        expect(panel.get_by_test_id("threshold-value")).to_have_text("0.95")
        after = cells(page)
        assert after != before and int(after[0]) < int(before[0]), (before, after)
        screenshot(page, "results-evaluate-threshold-1280x720")
        panel.get_by_role("button", name="Close").click()

        # Compare: a chart per metric, the differing ones marked
        expect(page.get_by_test_id("job-status")).to_be_visible()
        page.goto(f"{studio_server.url}/jobs/{second}/")
        expect(page.get_by_test_id("job-status")).to_have_text("Completed", timeout=RUN_TIMEOUT_MS)
        page.goto(f"{studio_server.url}/jobs/compare/?ids={first},{second}")
        marked = page.locator('figure.compare-chart.is-different[data-metric="rows"]')
        expect(marked).to_contain_text("≠ differs")
        expect(marked.locator(".compare-bar__value")).to_have_text(["45", "75"])
        page.get_by_role("heading", name="Metric charts").scroll_into_view_if_needed()
        screenshot(page, "results-compare-charts-1280x720")
        assert not errors, errors
