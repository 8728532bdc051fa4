"""A person builds, saves, validates and submits a pipeline on the designer canvas, in Chromium.

Nodes come from the palette by HTML5 drag and drop, wires by dragging from an output handle to an
input handle, parameters from the properties panel. With Docker present the submitted job must run
to Completed. Screenshots of the canvas land in tests/e2e/screenshots/ (git-ignored) for a human to
look at.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import CHROMIUM_ARGS
from tests.e2e.browser import sign_in as shared_sign_in
from tests.requirements import CHROMIUM_PATH, docker_missing

pytestmark = pytest.mark.chromium

SCREENSHOTS = Path(__file__).parent / "screenshots"
# The first run builds the steps' environment image; on a busy two-core machine that is slow.
JOB_TIMEOUT_S = 900
TERMINAL = ("Completed", "Failed", "Canceled")
TRANSFORM = re.compile(r"translate\(([-\d.e]+)px, ([-\d.e]+)px\) scale\(([-\d.e]+)\)")

PALETTE = ["iris", "Import CSV", "Split Data", "Train Model", "Score Model", "Evaluate Model"]
WIRES = [
    ("iris", "data", "import_csv", "source_file"),
    ("import_csv", "dataset", "split_data", "dataset"),
    ("split_data", "first_dataset", "train_model", "dataset"),
    ("train_model", "model", "score_model", "model"),
    ("split_data", "second_dataset", "score_model", "dataset"),
    ("score_model", "scored_dataset", "evaluate_model", "scored_dataset"),
]


@contextlib.contextmanager
def chromium_contexts(count: int, *, width: int = 1440, height: int = 900) -> Iterator[list]:
    """`count` browser contexts of one Chromium: separate cookies, as two people would have."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory():
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield [browser.new_context(viewport={"width": width, "height": height}) for _ in range(count)]
        finally:
            browser.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def sign_in(page, server, next_path: str = "/designer/") -> None:
    shared_sign_in(page, server, next_path)


def create_draft(page, server, name: str) -> int:
    """Creates a draft through the list page's form and returns its id, on its canvas."""
    page.get_by_role("form", name="New draft").get_by_label("Name").fill(name)
    page.get_by_role("button", name="New draft").click()
    page.wait_for_url(re.compile(re.escape(server.url) + r"/designer/(\d+)/$"))
    wait_for_designer(page)
    return int(re.search(r"/designer/(\d+)/$", page.url).group(1))


def wait_for_designer(page) -> None:
    page.locator(".react-flow").wait_for(state="visible")
    page.locator(".palette-item").first.wait_for(state="visible")
    save_status(page, "Saved")


def save_status(page, text: str) -> None:
    page.locator(".save-status", has_text=re.compile(f"^{re.escape(text)}$")).wait_for(timeout=10_000)


def node(page, node_id: str):
    return page.locator(f'.react-flow__node[data-id="{node_id}"]')


def handle(page, node_id: str, port: str, kind: str):
    return node(page, node_id).locator(f'.react-flow__handle.{kind}[data-handleid="{port}"]')


def drop_from_palette(page, label: str, x: int, y: int) -> None:
    item = page.locator(".palette-item", has_text=label).first
    item.drag_to(page.locator(".react-flow__pane"), target_position={"x": x, "y": y})


def auto_layout(page) -> None:
    page.get_by_role("button", name="Auto-layout").click()
    page.wait_for_timeout(500)  # the layout code loads on first use, and the fit is animated


def connect(page, source: str, output: str, target: str, input_port: str) -> None:
    handle(page, source, output, "source").drag_to(handle(page, target, input_port, "target"))


def properties(page):
    return page.get_by_role("complementary", name="Properties")


def parameter(page, port: str):
    return properties(page).get_by_role("textbox", name=re.compile(f"^{port}"))


def pick_column(page, port: str, column: str) -> None:
    """Choose a column in a column parameter's picker (a list once the step's columns are known)."""
    picker = properties(page).get_by_label(re.compile(f"^{port}"))
    expect(picker).to_have_js_property("tagName", "SELECT", timeout=10_000)
    picker.select_option(column)


def select_node(page, node_id: str) -> None:
    node(page, node_id).locator(".studio-node__head").click()
    properties(page).get_by_text(f"Step · {node_id}").wait_for()


def stored_graph(page, server, draft_id: int) -> dict:
    response = page.request.get(f"{server.url}/api/v1/drafts/{draft_id}/")
    assert response.ok, response.text()
    return response.json()["graph"]


def settled_graph(page, server, draft_id: int, *, quiet_ms: int = 1_500, timeout_s: float = 15) -> dict:
    """The stored graph once it stops changing: the view is saved on its own timer, after "Saved"
    (showing the panels again moves the view by their width, which is saved a moment later)."""
    deadline = time.monotonic() + timeout_s
    graph = stored_graph(page, server, draft_id)
    while time.monotonic() < deadline:
        page.wait_for_timeout(quiet_ms)
        again = stored_graph(page, server, draft_id)
        if again == graph:
            return graph
        graph = again
    return graph


def stored_draft(page, server, draft_id: int) -> dict:
    response = page.request.get(f"{server.url}/api/v1/drafts/{draft_id}/")
    assert response.ok, response.text()
    return response.json()


def edge_keys(graph: dict) -> set[tuple[str, str, str, str]]:
    return {(e["source"], e["sourceHandle"], e["target"], e["targetHandle"]) for e in graph["edges"]}


def canvas_viewport(page) -> dict[str, float]:
    """The pan and zoom React Flow shows, read from the viewport element's transform."""
    style = page.locator(".react-flow__viewport").get_attribute("style")
    found = TRANSFORM.search(style or "")
    assert found, style
    x, y, zoom = (float(part) for part in found.groups())
    return {"x": x, "y": y, "zoom": zoom}


def assert_same_viewport(shown: dict[str, float], expected: dict[str, float]) -> None:
    assert abs(shown["x"] - expected["x"]) <= 0.5, (shown, expected)
    assert abs(shown["y"] - expected["y"]) <= 0.5, (shown, expected)
    assert abs(shown["zoom"] - expected["zoom"]) <= 1e-3, (shown, expected)


def pan_and_zoom(page) -> dict[str, float]:
    """Drags the empty canvas, then zooms in one wheel notch; returns where the canvas then looks."""
    pane = page.locator(".react-flow__pane").bounding_box()
    page.mouse.move(pane["x"] + 20, pane["y"] + 20)
    page.mouse.down()
    page.mouse.move(pane["x"] + 140, pane["y"] + 90, steps=8)
    page.mouse.up()
    page.mouse.move(pane["x"] + pane["width"] / 2, pane["y"] + pane["height"] / 2)
    page.mouse.wheel(0, -240)
    page.wait_for_timeout(300)  # the wheel zoom is animated
    return canvas_viewport(page)


def wait_for_stored_viewport(page, server, draft_id: int, expected: dict[str, float]) -> dict:
    """Waits for the viewport saves (quiet and debounced) to store `expected`; returns the draft."""
    deadline = time.monotonic() + 10
    while True:
        draft = stored_draft(page, server, draft_id)
        stored = draft["graph"].get("viewport")
        try:
            assert stored is not None, draft["graph"]
            assert_same_viewport(stored, expected)
            return draft
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.wait_for_timeout(200)


def deselect(page) -> None:
    """Click the empty canvas, so that the properties panel shows the pipeline settings."""
    page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})
    properties(page).get_by_role("heading", name="Pipeline settings").wait_for()


def wait_for_job(page, server, name: str, timeout: float = JOB_TIMEOUT_S) -> dict:
    """The job once it ended, polled through the REST API with the page's session."""
    deadline = time.monotonic() + timeout
    while True:
        response = page.request.get(f"{server.url}/api/v1/jobs/{name}/")
        assert response.ok, response.text()
        job = response.json()
        if job["status"] in TERMINAL or time.monotonic() > deadline:
            return job
        time.sleep(2)


def job_report(page, server, job: dict) -> str:
    """The job's status and reason, and the status, reason and log tail of each unfinished step."""
    lines = [f"job {job['name']} is {job['status']}: {job['status_reason']}"]
    for step in job["steps"]:
        lines.append(f"  {step['name']}: {step['status']} {step['status_reason']}".rstrip())
        if step["status"] in ("Completed", "NotStarted", "Skipped"):
            continue
        offset = max(0, step["log_seq"] - 30)
        path = f"/api/v1/jobs/{job['name']}/steps/{step['name']}/logs?offset={offset}"
        logs = page.request.get(server.url + path)
        if logs.ok:
            lines += [f"    | {entry['line']}" for entry in logs.json()["lines"]]
    return "\n".join(lines)


def test_it_builds_saves_validates_and_submits_a_pipeline(studio_server):
    # Tall enough that the six layers of the laid-out pipeline, at a readable zoom, all show.
    with chromium_contexts(1, height=1200) as (context,):
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server)
        draft_id = create_draft(page, studio_server, "Iris classifier")
        assert page.get_by_text("Drag components from the library onto the canvas").is_visible()

        # When they drag the data asset and five components onto the canvas
        for i, label in enumerate(PALETTE):
            drop_from_palette(page, label, 90 + (i % 3) * 170, 90 + (i // 3) * 260)
        ids = ["iris", "import_csv", "split_data", "train_model", "score_model", "evaluate_model"]
        for node_id in ids:
            node(page, node_id).wait_for()
        # And arrange and wire them
        auto_layout(page)
        for wire in WIRES:
            connect(page, *wire)
        expect(page.locator(".react-flow__edge")).to_have_count(len(WIRES), timeout=10_000)
        auto_layout(page)
        # And set the label column of Train Model
        select_node(page, "train_model")
        pick_column(page, "label_column", "species")
        save_status(page, "Saved")
        screenshot(page, "designer-pipeline")
        # (With both side panels hidden the canvas has the whole width.)
        page.get_by_role("button", name="Library").click()
        page.get_by_role("button", name="Properties").click()
        page.get_by_role("button", name="Zoom to fit").click()
        page.wait_for_timeout(500)  # the zoom is animated
        screenshot(page, "designer-canvas")
        page.get_by_role("button", name="Library").click()
        page.get_by_role("button", name="Properties").click()
        save_status(page, "Saved")  # the new viewport is saved too

        # Then a reload shows the same nodes, wires and parameter
        graph = settled_graph(page, studio_server, draft_id)
        page.reload()
        wait_for_designer(page)
        for node_id in ids:
            node(page, node_id).wait_for()
        expect(page.locator(".react-flow__edge")).to_have_count(len(WIRES), timeout=10_000)
        assert edge_keys(graph) == set(WIRES)
        assert stored_graph(page, studio_server, draft_id) == graph
        train = next(n for n in graph["nodes"] if n["id"] == "train_model")
        assert train["data"]["inputs"] == {"label_column": "species"}
        assert_same_viewport(canvas_viewport(page), graph["viewport"])
        # (It was left fitted to the canvas without side panels; fit it to this one.)
        page.get_by_role("button", name="Zoom to fit").click()
        page.wait_for_timeout(500)
        save_status(page, "Saved")
        select_node(page, "train_model")
        assert properties(page).get_by_label(re.compile("^label_column")).input_value() == "species"

        # When they wire a folder into a file input, the designer refuses and says why and what to do
        page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})
        connect(page, "split_data", "first_dataset", "import_csv", "source_file")
        notice = page.get_by_role("status").filter(has_text="Cannot connect")
        notice.wait_for()
        assert "uri_file" in notice.inner_text() and "uri_folder" in notice.inner_text()
        assert "connect it to a table input instead" in notice.inner_text()
        expect(page.locator(".react-flow__edge")).to_have_count(len(WIRES), timeout=10_000)
        screenshot(page, "designer-refused-connection")

        # When they delete a wire, undo brings it back and redo deletes it again
        last = "score_model.scored_dataset->evaluate_model.scored_dataset"
        # (A vertical wire's box is a fraction of a pixel wide: click its middle.)
        wire = page.locator(f'.react-flow__edge[data-id="{last}"] .react-flow__edge-interaction')
        wire = wire.bounding_box()
        page.mouse.click(wire["x"] + wire["width"] / 2, wire["y"] + wire["height"] / 2)
        page.keyboard.press("Delete")
        expect(page.locator(".react-flow__edge")).to_have_count(len(WIRES) - 1, timeout=10_000)
        page.keyboard.press("Control+z")
        expect(page.locator(".react-flow__edge")).to_have_count(len(WIRES), timeout=10_000)
        page.get_by_role("button", name="Redo").click()
        expect(page.locator(".react-flow__edge")).to_have_count(len(WIRES) - 1, timeout=10_000)
        page.get_by_role("button", name="Undo").click()
        expect(page.locator(".react-flow__edge")).to_have_count(len(WIRES), timeout=10_000)
        save_status(page, "Saved")
        assert edge_keys(stored_graph(page, studio_server, draft_id)) == set(WIRES)

        # When they validate with Evaluate Model's label column missing, that node is marked
        page.get_by_role("button", name="Validate").click()
        problems = page.get_by_role("region", name="Validation problems")
        problems.wait_for()
        assert "label_column" in problems.inner_text()
        marked = node(page, "evaluate_model").locator(".studio-node.has-problems")
        marked.wait_for()
        assert "label_column" in marked.get_attribute("title")
        assert node(page, "train_model").locator(".studio-node.has-problems").count() == 0
        # And the problem leads to the node, whose field shows it
        problems.get_by_role("button", name="evaluate_model · label_column").click()
        properties(page).get_by_text("Step · evaluate_model").wait_for()
        assert properties(page).locator(".pfield.has-error", has_text="label_column").is_visible()
        page.wait_for_timeout(500)  # the zoom is animated
        screenshot(page, "designer-validation")

        # When they fill it in and submit, they land on the job's page
        select_node(page, "evaluate_model")
        pick_column(page, "label_column", "species")
        save_status(page, "Saved")
        page.get_by_role("button", name="Submit", exact=True).click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_role("textbox", name=re.compile("^Experiment name")).fill("iris-e2e")
        screenshot(page, "designer-submit")
        dialog.get_by_role("button", name="Submit job").click()
        page.wait_for_url(re.compile(re.escape(studio_server.url) + r"/jobs/[\w-]+/$"), timeout=20_000)
        assert errors == []

        # Then, with Docker present, the job runs to Completed
        if docker_missing() is None:
            job_name = re.search(r"/jobs/([\w-]+)/$", page.url).group(1)
            job = wait_for_job(page, studio_server, job_name)
            page.reload()
            expect(page.get_by_text("Completed").first).to_be_visible(timeout=30_000)
            screenshot(page, "designer-job")
            statuses = [step["status"] for step in job["steps"]]
            assert statuses == ["Completed"] * 5, job_report(page, studio_server, job)
            assert job["status"] == "Completed", job_report(page, studio_server, job)


def test_it_shows_a_conflict_when_a_stale_tab_saves(studio_server):
    with chromium_contexts(2) as (first_context, second_context):
        first, second = first_context.new_page(), second_context.new_page()
        sign_in(first, studio_server)
        draft_id = create_draft(first, studio_server, "Edited twice")
        canvas_path = f"/designer/{draft_id}/"
        sign_in(second, studio_server, canvas_path)
        wait_for_designer(second)
        drop_from_palette(first, "Score Model", 500, 400)
        node(first, "score_model").wait_for()
        save_status(first, "Saved")
        revision = stored_draft(first, studio_server, draft_id)["revision"]
        second.reload()
        wait_for_designer(second)
        node(second, "score_model").wait_for()

        # Given the second person only pans and zooms, and the first pans too: both are saved,
        # and neither is an edit
        panned = pan_and_zoom(second)
        assert wait_for_stored_viewport(second, studio_server, draft_id, panned)["revision"] == revision
        panned = pan_and_zoom(first)
        assert wait_for_stored_viewport(first, studio_server, draft_id, panned)["revision"] == revision

        # When the first person then edits, the edit saves without a conflict
        drop_from_palette(first, "Split Data", 200, 150)
        node(first, "split_data").wait_for()
        save_status(first, "Saved")
        assert first.get_by_role("alert").filter(has_text="changed elsewhere").count() == 0
        stored = stored_draft(first, studio_server, draft_id)
        assert stored["revision"] == revision + 1
        assert sorted(n["id"] for n in stored["graph"]["nodes"]) == ["score_model", "split_data"]
        assert_same_viewport(stored["graph"]["viewport"], panned)

        # When the second, who loaded the older revision, edits and saves
        drop_from_palette(second, "Train Model", 200, 150)
        node(second, "train_model").wait_for()

        # Then the second is told about the conflict and nothing is overwritten
        save_status(second, "Conflict — reload")
        assert second.get_by_role("alert").filter(has_text="This draft was changed elsewhere").is_visible()
        screenshot(second, "designer-conflict")
        graph = stored_graph(first, studio_server, draft_id)
        assert sorted(n["id"] for n in graph["nodes"]) == ["score_model", "split_data"]
        # And reloading shows the first person's version
        second.get_by_role("button", name="Reload", exact=True).click()
        wait_for_designer(second)
        node(second, "split_data").wait_for()
        assert node(second, "train_model").count() == 0


def test_it_reopens_the_canvas_where_it_was_left(studio_server):
    with chromium_contexts(1) as (context,):
        page = context.new_page()
        sign_in(page, studio_server)
        draft_id = create_draft(page, studio_server, "Where I was")
        drop_from_palette(page, "Split Data", 150, 150)
        drop_from_palette(page, "Train Model", 420, 380)
        node(page, "train_model").wait_for()
        save_status(page, "Saved")
        assert "viewport" not in stored_graph(page, studio_server, draft_id)

        # Given a draft saved without a viewport, it opens with every node in view
        revision = stored_draft(page, studio_server, draft_id)["revision"]
        page.reload()
        wait_for_designer(page)
        pane = page.locator(".react-flow__pane").bounding_box()
        for node_id in ("split_data", "train_model"):
            box = node(page, node_id).bounding_box()
            inside = pane["x"] <= box["x"] and box["x"] + box["width"] <= pane["x"] + pane["width"]
            inside &= pane["y"] <= box["y"] and box["y"] + box["height"] <= pane["y"] + pane["height"]
            assert inside, (node_id, box, pane)
        assert canvas_viewport(page) != {"x": 0, "y": 0, "zoom": 1}
        # (and opening it saved nothing)
        page.wait_for_timeout(1500)
        assert stored_draft(page, studio_server, draft_id)["revision"] == revision

        # When they pan and zoom, where they left the canvas is saved, as no new revision
        left_at = pan_and_zoom(page)
        assert wait_for_stored_viewport(page, studio_server, draft_id, left_at)["revision"] == revision
        screenshot(page, "designer-viewport-left")

        # Then a reload shows the canvas as they left it
        page.reload()
        wait_for_designer(page)
        node(page, "train_model").wait_for()
        page.wait_for_timeout(300)
        assert_same_viewport(canvas_viewport(page), left_at)
        screenshot(page, "designer-viewport-reopened")


def test_it_renames_a_pipeline_parameter_everywhere_and_undoes_it(studio_server):
    with chromium_contexts(1) as (context,):
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server)
        draft_id = create_draft(page, studio_server, "Renamed parameters")
        drop_from_palette(page, "Split Data", 150, 150)
        drop_from_palette(page, "Train Model", 420, 380)
        node(page, "train_model").wait_for()

        # Given two steps' parameters made pipeline parameters
        select_node(page, "train_model")
        parameter(page, "label_column").fill("species")
        properties(page).get_by_role("button", name="Set label_column as pipeline parameter").click()
        properties(page).get_by_text("Pipeline parameter label_column").wait_for()
        select_node(page, "split_data")
        properties(page).get_by_role("button", name="Set seed as pipeline parameter").click()
        deselect(page)
        settings = properties(page)
        settings.get_by_role("button", name="Rename pipeline parameter label_column").click()
        field = settings.get_by_label(re.compile("^New name for"))

        # When they try a name that is not an identifier, or taken, it is refused at the field
        field.fill("2 labels")
        message = settings.locator(".pfield--rename .field-error")
        expect(message).to_contain_text("letters, digits and _")
        expect(field).to_have_attribute("aria-invalid", "true")
        field.fill("seed")
        settings.get_by_role("button", name="Rename", exact=True).click()
        expect(message).to_have_text("Another pipeline parameter is already called seed.")
        screenshot(page, "designer-rename-refused")

        # When they rename it to target
        field.fill("target")
        field.press("Enter")
        expect(settings.get_by_role("textbox", name=re.compile("^target"))).to_have_value("species")
        save_status(page, "Saved")

        # Then the step that used it follows, in the panel and in the saved draft
        graph = stored_graph(page, studio_server, draft_id)
        assert list(graph["inputs"]) == ["target", "seed"]
        train = next(n for n in graph["nodes"] if n["id"] == "train_model")
        assert train["data"]["pipeline_inputs"] == {"label_column": "target"}
        select_node(page, "train_model")
        properties(page).get_by_text("Pipeline parameter target").wait_for()
        screenshot(page, "designer-renamed")

        # And undo gives the old name back everywhere
        page.get_by_role("button", name="Undo").click()
        properties(page).get_by_text("Pipeline parameter label_column").wait_for()
        save_status(page, "Saved")
        graph = stored_graph(page, studio_server, draft_id)
        assert list(graph["inputs"]) == ["label_column", "seed"]
        train = next(n for n in graph["nodes"] if n["id"] == "train_model")
        assert train["data"]["pipeline_inputs"] == {"label_column": "label_column"}

        # When they describe the parameter, the description is saved with the draft
        deselect(page)
        described = properties(page).get_by_label("Description of pipeline parameter label_column")
        described.fill("The column holding the class")
        save_status(page, "Saved")
        graph = stored_graph(page, studio_server, draft_id)
        assert graph["inputs"]["label_column"]["description"] == "The column holding the class"
        assert errors == []


def test_a_big_draft_zoomed_out_is_drawn_in_less_detail_and_still_answers(studio_server):
    # Given a draft of 120 steps in 60 wired pairs, zoomed out far below 0.45 (opening fits it no
    # smaller than readable)
    def step(node_id: str, ref: str, x: int, y: int) -> dict:
        return {"id": node_id, "type": "component", "position": {"x": x, "y": y}, "data": {"component": ref}}

    nodes, edges = [], []
    for pair in range(60):
        x, y = (pair % 10) * 640, (pair // 10) * 240
        split, train = f"split_{pair}", f"train_{pair}"
        nodes += [step(split, "split_data:1", x, y), step(train, "train_model:1", x + 320, y)]
        edges.append({
            "id": f"{split}-{train}", "source": split, "sourceHandle": "first_dataset",
            "target": train, "targetHandle": "dataset",
        })  # fmt: skip
    with chromium_contexts(1) as (context,):
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server)
        response = page.request.post(
            f"{studio_server.url}/api/v1/drafts/",
            data={"name": "Big", "graph": {"nodes": nodes, "edges": edges}},
            headers={"X-CSRFToken": next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")},
        )
        assert response.ok, response.text()
        page.goto(f"{studio_server.url}/designer/{response.json()['id']}/")
        wait_for_designer(page)
        assert canvas_viewport(page)["zoom"] >= 0.8
        for _ in range(5):
            page.locator(".react-flow__controls-zoomout").click()
        page.wait_for_timeout(400)

        # Then the cards are blank and the wires are one image under them
        canvas = page.get_by_test_id("designer-canvas")
        expect(canvas).to_have_class(re.compile("designer-canvas--zoomed-out"), timeout=10_000)
        assert canvas_viewport(page)["zoom"] < 0.45
        expect(page.locator(".wire-overview")).to_have_count(1)
        expect(node(page, "train_0").locator(".studio-node__head")).to_be_hidden()
        screenshot(page, "designer-zoomed-out")

        # And a card still selects with a click
        node(page, "train_0").click()
        expect(node(page, "train_0").locator(".studio-node")).to_have_class(re.compile("is-selected"))
        expect(properties(page).get_by_text("train_model@1")).to_be_visible()

        # When they zoom in past 0.5 and stop, every detail and React Flow's own edges are back
        # (a few cards and edges a frame, once the wheel has settled)
        box = node(page, "train_0").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        for _ in range(12):
            page.mouse.wheel(0, -100)
            page.wait_for_timeout(50)
        expect(canvas).not_to_have_class(re.compile("designer-canvas--zoomed-out"))
        assert canvas_viewport(page)["zoom"] >= 0.5
        expect(page.locator(".wire-overview")).to_have_count(0)
        expect(node(page, "train_0").locator(".studio-node__head")).to_be_visible()
        expect(page.locator(".react-flow__edge")).to_have_count(60)
        assert errors == []


def test_it_imports_a_pipeline_folder_and_a_zip_with_their_local_component(studio_server, tmp_path):
    from tests.designer.test_import_folder import FILES, zipped

    folder = tmp_path / "picked"
    for relative, content in FILES.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(content)
    archive = tmp_path / "shout-iris.zip"
    archive.write_bytes(zipped(FILES))
    with chromium_contexts(1, width=1280, height=720) as (context,):
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server)

        # When they pick the pipeline's folder, its local component comes along and the canvas opens
        page.get_by_label("Pipeline folder", exact=True).set_input_files(str(folder / "shout-iris"))
        page.wait_for_url(re.compile(r"/designer/\d+/$"))
        wait_for_designer(page)
        expect(node(page, "shout")).to_be_visible()
        expect(node(page, "load")).to_be_visible()
        screenshot(page, "designer-imported-folder-1280x720")

        # And a zip of the folder imports the same way, from the drafts page's file field
        page.goto(studio_server.url + "/designer/")
        page.get_by_label("Pipeline YAML, or a zip or tar of its folder").set_input_files(str(archive))
        page.get_by_role("button", name="Import YAML").click()
        page.wait_for_url(re.compile(r"/designer/\d+/$"))
        wait_for_designer(page)
        expect(node(page, "shout")).to_be_visible()
        page.locator(".designer-toolbar").get_by_role("button", name="Validate").click()
        expect(page.get_by_text(re.compile("no problems", re.IGNORECASE)).first).to_be_visible()
        assert errors == []
