"""A person opens and closes a job's pipeline components on its page, in Chromium.

The job is the corpus's tests/compat/corpus/pipeline-nested-three-deep.yml as the compiler reads it
(outer > middle > inner, all anonymous pipeline components from local files), finished: no Docker,
its compiled spec and step rows are written into the server's database, `outer.middle.train`
failed and `outer.score` was canceled. At 1280x720:

- closed, `outer` is one node next to the job's data, with no frame drawn around it, its component
  named "... (anonymous)", and the graph drawn at a readable zoom;
- the chevron opens it and closes it again, a double-click on the node opens it, and so on down to
  `inner`'s steps; the group panel lists the steps; the open groups survive a reload;
- no node crosses the border of a frame: what a frame holds lies inside it (below its header), and
  what it does not hold lies outside it.

Screenshots (closed, outer open, all open, panel) land in the test's tmp dir.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import chromium_page, sign_in
from tests.runner.test_job_graph_groups import compiled_three_deep_spec
from tests.servers import REPO_ROOT

pytestmark = pytest.mark.chromium

STATUSES = {
    "outer.middle.inner.copy": "Completed",
    "outer.middle.inner.count": "Completed",
    "outer.middle.train": "Failed",
    "outer.score": "Canceled",
}
# The smallest zoom the graph is fitted at: below it text is too small to read, and the graph pans.
READABLE_ZOOM = 0.75  # run-layout.ts READABLE_ZOOM

MAKE_JOB = """
import json, os
from datetime import timedelta
from django.utils import timezone
from runner.models import PipelineJob, StepRun
spec = json.loads(os.environ["GROUPS_SPEC"])
statuses = json.loads(os.environ["GROUPS_STATUSES"])
start = timezone.now() - timedelta(minutes=5)
job = PipelineJob.objects.create(
    display_name=spec.get("display_name") or "Nested groups", spec=spec, status="Failed",
    status_reason="step outer.middle.train failed",
    started_at=start, finished_at=start + timedelta(seconds=60),
)
for number, (name, status) in enumerate(statuses.items()):
    ran = status != "Canceled"
    StepRun.objects.create(
        job=job, name=name, status=status, attempt=1 if ran else 0,
        exit_code={"Completed": 0, "Failed": 1}.get(status),
        started_at=start + timedelta(seconds=10 * number) if ran else None,
        finished_at=start + timedelta(seconds=10 * number + 8),
    )
print(job.name)
"""


def make_finished_job(server, spec: dict) -> str:
    """A finished job with `spec` in the server's database; its name."""
    env = {**server.env, "GROUPS_SPEC": json.dumps(spec), "GROUPS_STATUSES": json.dumps(STATUSES)}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", MAKE_JOB],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def flow_node(page, text: str):
    """The React Flow node (its wrapper) showing `text`."""
    return page.locator(".react-flow__node", has_text=text).first


def node_boxes(page) -> dict[str, dict]:
    """Every drawn node's box on screen, by its graph id (frames as `frame:<id>`)."""
    return page.evaluate(
        """() => {
          const boxes = {};
          for (const el of document.querySelectorAll(
              '[data-testid^="run-node-"], [data-testid^="run-group-"], [data-testid^="run-frame-"]')) {
            const id = el.dataset.testid;
            const key = id.startsWith('run-frame-') ? 'frame:' + id.slice(10)
              : id.startsWith('run-group-') ? id.slice(10) : id.slice(9);
            const r = el.getBoundingClientRect();
            const head = el.querySelector('.run-frame__head');
            boxes[key] = {x: r.left, y: r.top, right: r.right, bottom: r.bottom,
                          head: head ? head.getBoundingClientRect().bottom : null};
          }
          return boxes;
        }"""
    )


def assert_nothing_crosses_a_frame(page) -> None:
    """Each node lies inside the frames of the groups holding it (below their headers) and outside
    every other frame; no two nodes of one frame overlap."""
    boxes = node_boxes(page)
    frames = {key[len("frame:") :]: box for key, box in boxes.items() if key.startswith("frame:")}
    assert frames, "no frame is drawn"
    for key, box in boxes.items():
        own = key[len("frame:") :] if key.startswith("frame:") else key
        for group, frame in frames.items():
            if own == group or group.startswith(f"{own}."):
                continue  # itself, or a frame it holds (checked the other way round)
            inside = (
                box["x"] >= frame["x"] + 1
                and box["right"] <= frame["right"] - 1
                and box["y"] >= frame["head"]
                and box["bottom"] <= frame["bottom"] - 1
            )
            apart = (
                box["right"] <= frame["x"]
                or box["x"] >= frame["right"]
                or box["bottom"] <= frame["y"]
                or box["y"] >= frame["bottom"]
            )
            if own.startswith(f"{group}."):
                assert inside, f"{key} {box} is not inside the frame of {group} {frame}"
            else:
                assert apart, f"{key} {box} crosses the frame of {group} {frame}"
    leaves = {k: b for k, b in boxes.items() if not k.startswith("frame:")}
    names = sorted(leaves)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            one, two = leaves[a], leaves[b]
            assert (
                one["right"] <= two["x"]
                or two["right"] <= one["x"]
                or one["bottom"] <= two["y"]
                or two["bottom"] <= one["y"]
            ), f"{a} overlaps {b}"


def zoom(page) -> float:
    transform = page.locator(".react-flow__viewport").evaluate("el => getComputedStyle(el).transform")
    return float(transform.removeprefix("matrix(").split(",")[0])


def test_a_compiled_pipeline_component_is_a_group_that_opens_and_closes(
    studio_server, tmp_path, library, computes, settings
):
    name = make_finished_job(studio_server, compiled_three_deep_spec(settings))
    with chromium_page(width=1280, height=720) as page:
        sign_in(page, studio_server, f"/jobs/{name}/")
        outer = page.get_by_test_id("run-group-outer")
        expect(outer).to_be_visible()
        expect(outer).to_have_attribute("data-status", "Failed")
        expect(page.locator(".react-flow__node")).to_have_count(2)  # the data and `outer`
        outer_ref = "Outer pipeline (middle, then score) (anonymous)"
        expect(outer.locator(".run-node__ref")).to_have_text(outer_ref)
        # No frame drawn around a closed group: its node is exactly its card.
        wrapper = flow_node(page, "Outer pipeline").bounding_box()
        card = outer.bounding_box()
        assert wrapper and card
        assert abs(wrapper["width"] - card["width"]) < 1 and abs(wrapper["height"] - card["height"]) < 1
        border = flow_node(page, "Outer pipeline").evaluate("el => getComputedStyle(el).borderTopWidth")
        assert border == "0px"
        page.wait_for_timeout(400)  # the fit's animation
        assert zoom(page) >= READABLE_ZOOM
        page.screenshot(path=str(tmp_path / "groups-closed.png"))

        # The chevron opens the group, and closes it.
        flow_node(page, "Outer pipeline").get_by_role("button", name="Expand group").click()
        expect(page.get_by_test_id("run-frame-outer")).to_be_visible()
        expect(page.get_by_test_id("run-group-outer.middle")).to_be_visible()
        expect(page.get_by_test_id("run-node-outer.score")).to_have_attribute("data-status", "Canceled")
        expect(outer).to_have_count(0)
        page.get_by_test_id("run-frame-outer").get_by_role("button", name="Collapse group").click()
        expect(outer).to_be_visible()
        expect(page.get_by_test_id("run-frame-outer")).to_have_count(0)
        expect(page.get_by_test_id("run-node-outer.score")).to_have_count(0)

        # A double-click on the node opens it too.
        flow_node(page, "Outer pipeline").dblclick()
        expect(page.get_by_test_id("run-frame-outer")).to_be_visible()
        middle = page.get_by_test_id("run-group-outer.middle")
        expect(middle).to_have_attribute("data-status", "Failed")
        middle_ref = "Middle pipeline (inner, then train) (anonymous)"
        expect(middle.locator(".run-node__ref")).to_have_text(middle_ref)
        expect(page.get_by_test_id("run-frame-outer").locator(".run-frame__ref")).to_have_text(outer_ref)
        page.wait_for_timeout(400)
        assert_nothing_crosses_a_frame(page)
        assert zoom(page) >= READABLE_ZOOM
        page.screenshot(path=str(tmp_path / "groups-outer-open.png"))

        flow_node(page, "Middle pipeline").dblclick()
        inner = page.get_by_test_id("run-group-outer.middle.inner")
        expect(inner).to_have_attribute("data-status", "Completed")
        expect(page.get_by_test_id("run-node-outer.middle.train")).to_have_attribute("data-status", "Failed")
        flow_node(page, "Inner pipeline").get_by_role("button", name="Expand group").click()
        expect(page.get_by_test_id("run-frame-outer.middle.inner")).to_be_visible()
        expect(page.get_by_test_id("run-node-outer.middle.inner.copy")).to_be_visible()
        expect(page.get_by_test_id("run-node-outer.middle.inner.count")).to_be_visible()
        page.wait_for_timeout(400)
        assert_nothing_crosses_a_frame(page)
        assert zoom(page) >= READABLE_ZOOM
        page.screenshot(path=str(tmp_path / "groups-all-open.png"))

        page.reload()  # the open groups are remembered
        expect(page.get_by_test_id("run-node-outer.middle.inner.copy")).to_be_visible()

        page.get_by_test_id("run-frame-outer.middle").get_by_role("button", name="Show group").click()
        panel = page.get_by_test_id("group-panel")
        expect(panel.get_by_test_id("group-status")).to_have_text("Failed")
        expect(panel).to_contain_text(middle_ref)
        expect(panel).to_contain_text("3 of 3 steps finished")
        expect(panel.get_by_role("button", name="inner.copy")).to_be_visible()
        page.wait_for_timeout(400)
        page.screenshot(path=str(tmp_path / "groups-panel.png"))
        panel.get_by_role("button", name="train").click()
        expect(page.get_by_test_id("step-panel")).to_contain_text("train")
        assert "#step=outer.middle.train" in page.url

        page.get_by_test_id("run-frame-outer.middle").get_by_role("button", name="Collapse group").click()
        expect(page.get_by_test_id("run-group-outer.middle")).to_be_visible()
        expect(page.get_by_test_id("run-node-outer.middle.train")).to_have_count(0)
        expect(page.get_by_test_id("run-frame-outer.middle")).to_have_count(0)
    print(f"screenshots in {tmp_path}", file=sys.stderr)
    assert os.path.getsize(tmp_path / "groups-all-open.png") > 0
