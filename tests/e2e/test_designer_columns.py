"""Data assets and columns on the designer canvas, in Chromium (issue #15, points 2 and 3).

A registered CSV file (iris) wires straight into Split Data; Split Data's stratify column becomes a
picker of the asset's columns; a column typed before the data was wired, and wrong, is marked by
Validate on its node; picking the right one makes the pipeline valid, and it runs to Completed.
Screenshots at 1280x720 land in tests/e2e/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import chromium_page
from tests.e2e.test_designer import (
    connect,
    create_draft,
    drop_from_palette,
    job_report,
    node,
    properties,
    save_status,
    screenshot,
    select_node,
    sign_in,
    stored_graph,
    wait_for_job,
)
from tests.requirements import docker_missing

pytestmark = pytest.mark.chromium

IRIS = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]


def stratify(page):
    return properties(page).get_by_label(re.compile("^stratify_column"))


def test_a_csv_asset_feeds_split_data_and_its_columns_are_picked_and_checked(studio_server):
    with chromium_page(width=1280, height=720) as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server)
        draft_id = create_draft(page, studio_server, "Iris columns")

        # Given the iris CSV file and Split Data on the canvas, not wired yet
        drop_from_palette(page, "iris", 120, 120)
        drop_from_palette(page, "Split Data", 120, 360)
        node(page, "iris").wait_for()
        node(page, "split_data").wait_for()
        # When they type a stratify column before the data is wired: free text, and a typo
        select_node(page, "split_data")
        expect(properties(page).get_by_text("connect data whose")).to_be_visible()
        properties(page).get_by_role("textbox", name=re.compile("^stratify_column")).fill("Species")
        save_status(page, "Saved")

        # And wire the data asset straight into Split Data: no Import CSV, no refusal
        connect(page, "iris", "data", "split_data", "dataset")
        expect(page.locator(".react-flow__edge")).to_have_count(1, timeout=10_000)
        save_status(page, "Saved")
        graph = stored_graph(page, studio_server, draft_id)
        assert [(e["source"], e["target"], e["targetHandle"]) for e in graph["edges"]] == [
            ("iris", "split_data", "dataset")
        ]

        # Then the stratify column is a picker of the asset's columns, flagging the typo
        select_node(page, "split_data")
        picker = stratify(page)
        expect(picker).to_have_js_property("tagName", "SELECT", timeout=10_000)
        options = [o.strip() for o in picker.locator("option").all_inner_texts()]
        assert options[0] == "(none)"
        assert options[1] == "Species (not a column of dataset)"
        assert [o.split(" · ")[0] for o in options[2:]] == IRIS
        assert "species · string" in options and "sepal_length · numeric" in options
        expect(properties(page).get_by_text("'Species' is not a column of dataset")).to_be_visible()
        picker.scroll_into_view_if_needed()
        screenshot(page, "designer-column-picker")

        # When they validate, the server marks the wrong column on Split Data's node
        page.get_by_role("button", name="Validate").click()
        problems = page.get_by_role("region", name="Validation problems")
        problems.wait_for()
        assert "not a column of dataset" in problems.inner_text()
        assert "did you mean 'species'" in problems.inner_text()
        marked = node(page, "split_data").locator(".studio-node.has-problems")
        marked.wait_for()
        assert "stratify_column" in marked.get_attribute("title")
        assert node(page, "iris").locator(".studio-node.has-problems").count() == 0
        problems.get_by_role("button", name="split_data · stratify_column").click()
        page.wait_for_timeout(400)  # the problem's zoom is animated
        stratify(page).scroll_into_view_if_needed()
        screenshot(page, "designer-column-validation")

        # When they pick the right column, the pipeline is valid
        select_node(page, "split_data")
        stratify(page).select_option("species")
        save_status(page, "Saved")
        page.get_by_role("button", name="Validate").click()
        page.get_by_role("status").filter(has_text="No problems found").wait_for()
        split = next(
            n for n in stored_graph(page, studio_server, draft_id)["nodes"] if n["id"] == "split_data"
        )
        assert split["data"]["inputs"]["stratify_column"] == "species"

        # And submitted, it runs to Completed (with Docker present, as the designer test does)
        page.get_by_role("button", name="Submit", exact=True).click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_role("textbox", name=re.compile("^Experiment name")).fill("iris-columns")
        dialog.get_by_role("button", name="Submit job").click()
        page.wait_for_url(re.compile(re.escape(studio_server.url) + r"/jobs/[\w-]+/$"), timeout=20_000)
        assert errors == []
        if docker_missing() is None:
            job = wait_for_job(page, studio_server, re.search(r"/jobs/([\w-]+)/$", page.url).group(1))
            assert job["status"] == "Completed", job_report(page, studio_server, job)
            page.reload()
            expect(page.get_by_text("Completed").first).to_be_visible(timeout=30_000)
            screenshot(page, "designer-columns-job")
