"""Graphs stay readable (issue 15, point 1): the iris pipeline laid out top to bottom on the designer
and on the job page, at 1280x720 and 1920x1080, with every node's title at least 10 screen pixels
tall and no node under a side panel; the app sidebar collapses and stays collapsed. Screenshots of
each page at 1280x720 land in tests/e2e/screenshots/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import requests

from tests.e2e.browser import chromium_page, sign_in

pytestmark = pytest.mark.chromium

SCREENSHOTS = Path(__file__).parent / "screenshots"
READABLE_PX = 10

IRIS = textwrap.dedent(
    """\
    type: pipeline
    display_name: Iris readable
    experiment_name: readable-graphs
    jobs:
      import_csv:
        component: azureml:import_csv@latest
        inputs:
          source_file: {type: uri_file, path: azureml:iris@latest}
      split_data:
        component: azureml:split_data@latest
        inputs:
          dataset: ${{parent.jobs.import_csv.outputs.dataset}}
          fraction: 0.7
      train_model:
        component: azureml:train_model@latest
        inputs:
          dataset: ${{parent.jobs.split_data.outputs.first_dataset}}
          label_column: species
      score_model:
        component: azureml:score_model@latest
        inputs:
          model: ${{parent.jobs.train_model.outputs.model}}
          dataset: ${{parent.jobs.split_data.outputs.second_dataset}}
      evaluate_model:
        component: azureml:evaluate_model@latest
        inputs:
          scored_dataset: ${{parent.jobs.score_model.outputs.scored_dataset}}
          label_column: species
    """
)


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.fixture(scope="module")
def iris_draft(studio_server, token) -> int:
    response = requests.post(
        f"{studio_server.url}/api/v1/drafts/import/",
        json={"yaml": IRIS, "name": "Iris readable"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def title_heights(page, selector: str) -> dict[str, float]:
    """Each node's title height on screen, in pixels, by node id."""
    return page.evaluate(
        """(selector) => Object.fromEntries([...document.querySelectorAll('.react-flow__node')]
            .map((node) => [node.dataset.id, node.querySelector(selector)])
            .filter(([, title]) => title)
            .map(([id, title]) => [id, title.getBoundingClientRect().height]))""",
        selector,
    )


def visible_boxes(page, container: str) -> list[dict]:
    """Every node's box on screen."""
    return page.evaluate(
        """(container) => {
            return [...document.querySelectorAll(container + ' .react-flow__node')].map((node) => {
                const r = node.getBoundingClientRect();
                return {id: node.dataset.id, left: r.left, right: r.right, top: r.top, bottom: r.bottom};
            });
        }""",
        container,
    )


def under(box: dict, panel: dict | None) -> bool:
    """Whether `box` overlaps `panel` (a bounding box) at all."""
    if panel is None:
        return False
    return (
        box["left"] < panel["x"] + panel["width"]
        and panel["x"] < box["right"]
        and box["top"] < panel["y"] + panel["height"]
        and panel["y"] < box["bottom"]
    )


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["1280x720", "1920x1080"])
def test_auto_layout_of_iris_is_readable_top_to_bottom_and_clear_of_the_panels(
    studio_server, iris_draft, size
):
    width, height = size
    with chromium_page(width=width, height=height) as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server, f"/designer/{iris_draft}/")
        page.locator(".react-flow__node").first.wait_for()
        page.get_by_role("button", name="Auto-layout").click()
        page.wait_for_timeout(700)  # the layout code loads on first use; the fit is animated

        positions = page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('.react-flow__node')]
                .map((n) => { const r = n.getBoundingClientRect(); return [n.dataset.id, [r.x, r.y]]; }))"""
        )
        # Top to bottom: each step sits below the step that feeds it.
        for source, target in [
            ("import_csv", "split_data"),
            ("split_data", "train_model"),
            ("train_model", "score_model"),
            ("score_model", "evaluate_model"),
        ]:
            assert positions[target][1] > positions[source][1], (source, target, positions)
        # Inputs on a card's top edge, outputs on its bottom edge.
        split = page.locator('.react-flow__node[data-id="split_data"]').bounding_box()
        into = page.locator('.react-flow__node[data-id="split_data"] .react-flow__handle.target').first
        out = page.locator('.react-flow__node[data-id="split_data"] .react-flow__handle.source').first
        middle = lambda box: box["y"] + box["height"] / 2  # noqa: E731
        assert abs(middle(into.bounding_box()) - split["y"]) <= 3
        assert abs(middle(out.bounding_box()) - (split["y"] + split["height"])) <= 3

        heights = title_heights(page, ".studio-node__title")
        assert len(heights) >= 5, heights
        small = {node: h for node, h in heights.items() if h < READABLE_PX}
        assert not small, f"titles under {READABLE_PX}px: {small}"

        # Zoom to fit never shrinks below readable either.
        page.get_by_role("button", name="Zoom to fit").click()
        page.wait_for_timeout(500)
        assert min(title_heights(page, ".studio-node__title").values()) >= READABLE_PX

        # Nothing shows under the library or the properties panel.
        panels = [
            page.get_by_role("complementary", name=name).bounding_box() for name in ("Library", "Properties")
        ]
        for box in visible_boxes(page, ".designer-canvas"):
            for panel in panels:
                assert not under(box, panel), (box, panel)
        if width == 1280:
            screenshot(page, "readable-designer-1280x720")
        assert not errors, errors


def test_the_job_page_draws_iris_top_to_bottom_readable_beside_its_panel(studio_server, token):
    created = requests.post(
        f"{studio_server.url}/api/v1/jobs/",
        files={"file": ("iris.yml", IRIS.encode(), "application/yaml")},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert created.status_code == 201, created.text
    job = created.json()["id"]
    with chromium_page(width=1280, height=720) as page:
        sign_in(page, studio_server, f"/jobs/{job}/")
        graph = page.get_by_test_id("run-graph")
        page.get_by_test_id("run-node-split_data").wait_for()
        page.wait_for_timeout(400)
        first = page.get_by_test_id("run-node-import_csv").bounding_box()
        second = page.get_by_test_id("run-node-split_data").bounding_box()
        assert second["y"] > first["y"] + first["height"] / 2, (first, second)
        heights = title_heights(page, ".run-node__title")
        assert heights and min(heights.values()) >= READABLE_PX, heights

        # With a step's panel open, no node shows under it: the graph narrows and is fitted again.
        page.get_by_role("button", name="Open step split_data").click()
        panel = page.locator(".step-panel, [data-testid='step-panel']").first
        panel.wait_for()
        page.wait_for_timeout(500)
        panel_box = panel.bounding_box()
        graph_box = graph.bounding_box()
        assert graph_box["x"] + graph_box["width"] <= panel_box["x"] + 1, (graph_box, panel_box)
        assert min(title_heights(page, ".run-node__title").values()) >= READABLE_PX
        screenshot(page, "readable-job-1280x720")


def test_the_sidebar_collapses_and_stays_collapsed(studio_server, iris_draft):
    with chromium_page(width=1280, height=720) as page:
        sign_in(page, studio_server, f"/designer/{iris_draft}/")
        page.locator(".react-flow__node").first.wait_for()
        sidebar = page.locator(".sidebar")
        wide = sidebar.bounding_box()["width"]
        canvas = page.get_by_test_id("designer-canvas").bounding_box()["width"]

        page.get_by_role("button", name="Collapse the sidebar").click()
        page.wait_for_timeout(300)
        assert sidebar.bounding_box()["width"] < 80 < wide
        assert page.get_by_test_id("designer-canvas").bounding_box()["width"] > canvas + 100
        # the links still answer, by their titles
        assert page.get_by_role("link", name="Jobs").is_visible()
        screenshot(page, "readable-designer-sidebar-collapsed-1280x720")

        page.goto(f"{studio_server.url}/jobs/")
        assert sidebar.bounding_box()["width"] < 80
        page.get_by_role("button", name="Expand the sidebar").click()
        assert sidebar.bounding_box()["width"] == wide
