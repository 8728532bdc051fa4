"""A person drops a registered pipeline component on the designer canvas and looks inside it, in
Chromium.

`train_pipeline:1` (prep, a pipeline component itself, then train) and `prep_pipeline:1` (load,
then split) are written into the server's database as the registry stores them
(tests/designer/pipeline_components.py). The palette lists the outer one under Pipeline
components; dropped, it is one node with its data ports; Open shows its steps read-only with a
breadcrumb; `prep`'s Open button goes one deeper; the breadcrumb and Back lead out; the stored
draft is the same before and after. Screenshots at 1280x720 land in the test's tmp dir.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.designer.pipeline_components import PREP, TRAIN
from tests.e2e.browser import chromium_page, sign_in
from tests.e2e.test_designer import create_draft, drop_from_palette, handle, node, save_status
from tests.servers import REPO_ROOT

pytestmark = pytest.mark.chromium

MAKE_COMPONENTS = """
import json, os
from studio.models import Component
for spec in json.loads(os.environ["PIPELINE_COMPONENTS"]):
    Component.objects.get_or_create(
        name=spec["name"], version=spec["version"],
        defaults={"display_name": spec["display_name"], "description": spec["description"],
                  "spec": spec, "content_hash": "e2e-" + spec["name"], "environment": None},
    )
"""


def make_components(server) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", MAKE_COMPONENTS],
        cwd=REPO_ROOT,
        env={**server.env, "PIPELINE_COMPONENTS": json.dumps([PREP, TRAIN])},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def stored(page, server, draft_id: int) -> dict:
    response = page.request.get(f"{server.url}/api/v1/drafts/{draft_id}/")
    assert response.ok, response.text()
    return response.json()


def breadcrumb(page):
    return page.locator(".inner-graph").get_by_role("navigation", name="Breadcrumb")


def crumbs(page) -> list[str]:
    return [text.strip() for text in breadcrumb(page).locator("li").all_inner_texts()]


def test_a_pipeline_component_is_one_node_that_opens_into_its_inner_graph(studio_server, tmp_path):
    make_components(studio_server)
    with chromium_page(width=1280, height=720) as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server, "/designer/")
        draft_id = create_draft(page, studio_server, "With a pipeline component")

        group = page.locator("details.palette-group", has_text="Pipeline components")
        expect(group.locator(".palette-item--pipeline", has_text="Prepare and train")).to_be_visible()
        drop_from_palette(page, "Prepare and train", 420, 260)
        outer = node(page, "train_pipeline")
        expect(outer.locator(".studio-node--pipeline")).to_be_visible()
        expect(handle(page, "train_pipeline", "source", "target")).to_have_count(1)
        expect(handle(page, "train_pipeline", "model", "source")).to_have_count(1)
        expect(handle(page, "train_pipeline", "test", "source")).to_have_count(1)
        expect(handle(page, "train_pipeline", "label", "target")).to_have_count(0)  # a parameter
        assert page.locator(".react-flow__node").count() == 1
        save_status(page, "Saved")
        before = stored(page, studio_server, draft_id)
        assert [n["data"]["component"] for n in before["graph"]["nodes"]] == ["train_pipeline:1"]
        page.screenshot(path=str(tmp_path / "pipeline-node.png"))

        # Open from the properties panel: the steps, the boundary, the breadcrumb
        outer.locator(".studio-node__head").click()
        page.get_by_role("button", name="Open pipeline component").click()
        inside = page.get_by_role("region", name="Inside Prepare and train")
        expect(inside).to_be_visible()
        for inner_id in ("prep", "train", "inputs.source", "inputs.label", "outputs.model", "outputs.test"):
            expect(inside.locator(f'.react-flow__node[data-id="{inner_id}"]')).to_be_visible()
        expect(inside.locator(".react-flow__edge")).to_have_count(4)
        assert crumbs(page) == ["Pipeline", "Prepare and train"]
        page.screenshot(path=str(tmp_path / "inside-outer.png"))

        # A nested pipeline component opens further by its card's Open button
        inside.get_by_role("button", name="Open Prepare data").click()
        deeper = page.get_by_role("region", name="Inside Prepare data")
        expect(deeper.locator('.react-flow__node[data-id="load"]')).to_be_visible()
        expect(deeper.locator('.react-flow__node[data-id="split"]')).to_be_visible()
        assert crumbs(page) == ["Pipeline", "Prepare and train", "Prepare data"]
        page.screenshot(path=str(tmp_path / "inside-prep.png"))

        # Back along the breadcrumb, then to the draft
        breadcrumb(page).get_by_role("button", name="Prepare and train").click()
        expect(page.get_by_role("region", name="Inside Prepare and train")).to_be_visible()
        page.get_by_role("button", name="← Back").click()
        expect(page.get_by_role("region", name="Inside Prepare and train")).to_have_count(0)
        expect(outer).to_be_visible()

        # Double-click on the draft's node opens it too; Escape leads out
        outer.locator(".studio-node__head").dblclick()
        expect(page.get_by_role("region", name="Inside Prepare and train")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.get_by_role("region", name="Inside Prepare and train")).to_have_count(0)

        save_status(page, "Saved")
        after = stored(page, studio_server, draft_id)
        assert after["revision"] == before["revision"]
        assert after["graph"]["nodes"] == before["graph"]["nodes"]
        assert after["graph"]["edges"] == before["graph"]["edges"] == []
        assert errors == []
