"""A person watches a job run live on its page, in Chromium, with steps in Docker containers.

The graph's nodes turn Running and Completed without a reload, a step's log lines appear while it
runs, a CSV output previews as a table, and the jobs list follows along. A browser whose socket the
server drops while the job finishes reconnects with `?after=` and shows the final status.
Screenshots land in tests/e2e/screenshots/ (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.browser import CHROMIUM_ARGS, sign_in
from tests.requirements import CHROMIUM_PATH
from tests.servers import REPO_ROOT, STUDIO_BIN

pytestmark = [pytest.mark.chromium, pytest.mark.docker]

SCREENSHOTS = Path(__file__).parent / "screenshots"
STEP_TIMEOUT_MS = 180_000  # a container start on a busy two-core machine can be slow

TALK_PY = '''
"""Prints numbered, coloured lines slowly, then adds a row to the table it was given."""
import argparse
import csv
import pathlib
import time

parser = argparse.ArgumentParser()
parser.add_argument("--name", required=True)
parser.add_argument("--lines", type=int, required=True)
parser.add_argument("--delay", type=float, required=True)
parser.add_argument("--source")
parser.add_argument("--out", required=True)
args = parser.parse_args()

rows = []
if args.source:
    with open(pathlib.Path(args.source) / "table.csv", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
for number in range(1, args.lines + 1):
    print(f"\\x1b[32m{args.name}\\x1b[0m says line {number} of {args.lines}", flush=True)
    time.sleep(args.delay)
rows.append([args.name, str(len(rows) + 1), f"{args.name}, done"])
with open(pathlib.Path(args.out) / "table.csv", "w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["step", "order", "note"])
    writer.writerows(rows)
print(f"{args.name} wrote {len(rows)} rows")
'''

TALKER_YML = """
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: live_talker
display_name: Live talker
inputs:
  name: {type: string}
  lines: {type: integer, default: 3}
  delay: {type: number, default: 0.2}
  source: {type: uri_folder, optional: true}
outputs:
  table: {type: uri_folder}
code: ./src
environment: azureml:python-3.11@latest
command: >-
  python talk.py --name ${{inputs.name}} --lines ${{inputs.lines}} --delay ${{inputs.delay}}
  $[[--source ${{inputs.source}}]] --out ${{outputs.table}}
"""

PIPELINE_YML = """
type: pipeline
display_name: Live view
experiment_name: live-e2e
settings:
  default_compute: azureml:docker
  force_rerun: true
inputs:
  lines: 3
  delay: 0.2
jobs:
  a:
    component: ./talker.yml
    inputs: {name: a, lines: "${{parent.inputs.lines}}", delay: "${{parent.inputs.delay}}"}
  b:
    component: ./talker.yml
    inputs:
      name: b
      lines: ${{parent.inputs.lines}}
      delay: ${{parent.inputs.delay}}
      source: ${{parent.jobs.a.outputs.table}}
  c:
    component: ./talker.yml
    inputs:
      name: c
      lines: ${{parent.inputs.lines}}
      delay: ${{parent.inputs.delay}}
      source: ${{parent.jobs.b.outputs.table}}
"""


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("live-pipeline")
    (folder / "src").mkdir()
    (folder / "src" / "talk.py").write_text(textwrap.dedent(TALK_PY).lstrip())
    (folder / "talker.yml").write_text(TALKER_YML.lstrip())
    (folder / "pipeline.yml").write_text(PIPELINE_YML.lstrip())
    return folder / "pipeline.yml"


def submit(server, token: str, pipeline: Path, tmp_path: Path, *overrides: str) -> str:
    """Submit the pipeline with `studio job create` (its local component goes up first)."""
    name = f"live_{uuid.uuid4().hex[:8]}"
    env = {key: value for key, value in os.environ.items() if key not in ("STUDIO_URL", "STUDIO_TOKEN")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), STUDIO_URL=server.url, STUDIO_TOKEN=token)
    sets = [part for override in overrides for part in ("--set", override)]
    result = subprocess.run(
        [str(STUDIO_BIN), "job", "create", "-f", str(pipeline), "--name", name, *sets],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return name


def job_status(server, token: str, name: str) -> dict:
    response = requests.get(
        f"{server.url}/api/v1/jobs/{name}/", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    response.raise_for_status()
    return response.json()


def wait_for_job(server, token: str, name: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = job_status(server, token, name)
        if body["status"] in ("Completed", "Failed", "Canceled"):
            return body
        time.sleep(0.5)
    pytest.fail(f"job {name} did not end within {timeout} s: {body['status']}")


@contextlib.contextmanager
def browser_context(*, width: int = 1440, height: int = 900) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser.new_context(viewport={"width": width, "height": height})
        finally:
            browser.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def node(page, step: str):
    return page.get_by_test_id(f"run-node-{step}")


def expect_node(page, step: str, status: str, timeout: int = STEP_TIMEOUT_MS) -> None:
    expect(node(page, step)).to_have_attribute("data-status", status, timeout=timeout)


def mark_page(page) -> None:
    """Leave a value in the page's window: a reload would lose it."""
    page.evaluate("window.__notReloaded = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"


def test_it_shows_a_job_running_live_with_logs_and_a_csv_preview(studio_server, token, pipeline, tmp_path):
    with browser_context() as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server, "/jobs/")
        # A line a second: on a loaded 2-core machine the page may take seconds to show a line, and
        # the step must still be running when it does (half-second lines failed CI under load).
        # Step b need only be seen Running (5 s of it) and c only Completed: they print less.
        name = submit(
            studio_server,
            token,
            pipeline,
            tmp_path,
            "inputs.lines=10",
            "inputs.delay=1",
            "jobs.b.inputs.lines=5",
            "jobs.c.inputs.lines=2",
            "jobs.c.inputs.delay=0.2",
        )

        # The jobs list, open in a second tab, follows the job without a reload.
        listing = context.new_page()
        listing.goto(f"{studio_server.url}/jobs/")
        row = listing.locator(f'tr[data-job="{name}"]')
        expect(row).to_be_visible(timeout=30_000)
        mark_page(listing)

        # Given the job's page, open from the start
        page.goto(f"{studio_server.url}/jobs/{name}/")
        expect(page.get_by_test_id("connection")).to_have_text("Live", timeout=30_000)
        for step in "abc":
            expect(node(page, step)).to_be_visible()
        mark_page(page)
        assert (
            page.get_by_role("link", name="Publish").get_attribute("href")
            == f"/endpoints/publish/?job={name}"
        )
        expect(page.get_by_role("list", name="Parameters")).to_contain_text("10")

        # Then the first step turns Running without a reload
        expect_node(page, "a", "Running")
        expect(page.get_by_test_id("job-status")).to_have_text("Running")
        expect(row.get_by_test_id("job-row-status")).to_have_text("Running", timeout=30_000)

        # And its log lines appear while it runs, in colour
        page.get_by_role("button", name="Open step a").click()
        panel = page.get_by_role("complementary", name="Step a")
        log = panel.get_by_role("log")
        expect(log).to_contain_text("a says line 2 of 10", timeout=60_000)
        expect_node(page, "a", "Running", timeout=1)  # still running: the lines came live
        expect(panel.get_by_test_id("step-status")).to_have_text("Running")
        coloured = log.locator("span", has_text=re.compile(r"^a$")).first
        assert coloured.evaluate("e => getComputedStyle(e).color") == "rgb(0, 188, 0)"
        expect(log).to_contain_text("a says line 6 of 10", timeout=60_000)
        screenshot(page, "job-live-running")

        # And searching the log highlights the matches
        panel.get_by_role("searchbox", name="Search the log").fill("line 4 of")
        expect(log.locator("mark")).to_have_text(["line 4 of"])
        expect(panel.get_by_text("1 of 1", exact=True)).to_be_visible()
        panel.get_by_role("searchbox", name="Search the log").fill("")

        # Then every step turns Completed, and so does the job
        expect_node(page, "a", "Completed")
        expect_node(page, "b", "Running")
        expect_node(page, "c", "Completed")
        expect(page.get_by_test_id("job-status")).to_have_text("Completed", timeout=30_000)
        expect(log).to_contain_text("a wrote 1 rows")
        expect(node(page, "c")).to_contain_text("docker")

        # When they open the last step's outputs, its CSV previews as a table
        page.get_by_role("button", name="Open step c").click()
        panel = page.get_by_role("complementary", name="Step c")
        panel.get_by_role("tab", name="Outputs").click()
        table = panel.get_by_role("table", name="CSV preview")
        expect(table).to_be_visible(timeout=30_000)
        expect(table.locator("thead th")).to_have_text(["step", "order", "note"])
        expect(table.locator("tbody tr")).to_have_count(3)
        expect(table.locator("tbody tr").nth(2).locator("td")).to_have_text(["c", "3", "c, done"])
        download = panel.get_by_role("link", name="Download").first.get_attribute("href")
        assert download == f"/api/v1/jobs/{name}/steps/c/outputs/table/table.csv"
        screenshot(page, "job-live-outputs")

        # And the reuse tab says why the step ran
        panel.get_by_role("tab", name="Reuse").click()
        expect(panel.get_by_test_id("reuse-summary")).to_contain_text("force a rerun")

        assert_not_reloaded(page)
        expect(row.get_by_test_id("job-row-status")).to_have_text("Completed", timeout=30_000)
        assert_not_reloaded(listing)
        screenshot(listing, "jobs-list-live")

        # When they resubmit it, the new job's page opens; they cancel that job from its page
        page.get_by_role("button", name="Resubmit").click()
        page.get_by_role("dialog", name="Resubmit this job").get_by_role("button", name="Resubmit").click()
        page.wait_for_url(
            re.compile(re.escape(studio_server.url) + rf"/jobs/(?!{name}/)[\w-]+/$"), timeout=30_000
        )
        expect(page.get_by_test_id("connection")).to_have_text("Live", timeout=30_000)
        expect(page.get_by_text(f"resubmitted from {name}")).to_be_visible()
        page.get_by_role("button", name="Cancel", exact=True).click()
        page.get_by_role("dialog", name="Cancel this job?").get_by_role("button", name="Cancel job").click()
        expect(page.get_by_test_id("job-status")).to_have_text("Canceled", timeout=120_000)
        # And clone it into a draft, whose canvas opens
        page.get_by_role("button", name="Clone to draft").click()
        page.wait_for_url(re.compile(re.escape(studio_server.url) + r"/designer/\d+/$"), timeout=30_000)
        assert errors == []


def test_a_browser_whose_socket_drops_still_shows_the_final_status(studio_server, token, pipeline, tmp_path):
    with browser_context() as context:
        page = context.new_page()
        sign_in(page, studio_server, "/jobs/")
        # b and c run while the socket is down: they need not be slow
        name = submit(
            studio_server,
            token,
            pipeline,
            tmp_path,
            "inputs.lines=6",
            "inputs.delay=0.5",
            "jobs.b.inputs.delay=0.1",
            "jobs.c.inputs.delay=0.1",
        )

        # The page's job socket goes through a relay that can drop it as the server would.
        relay = {"down": False, "urls": [], "open": []}

        def route(ws) -> None:
            relay["urls"].append(ws.url)
            if relay["down"]:
                ws.close(code=1012, reason="server restarting")
                return
            ws.connect_to_server()
            relay["open"].append(ws)

        page.route_web_socket(re.compile(r"/ws/jobs/"), route)
        page.goto(f"{studio_server.url}/jobs/{name}/")
        expect(page.get_by_test_id("connection")).to_have_text("Live", timeout=30_000)
        mark_page(page)
        expect_node(page, "a", "Running")

        # When the server drops the socket and refuses new ones while the job finishes
        relay["down"] = True
        for ws in relay["open"]:
            ws.close(code=1012, reason="server restarting")
        relay["open"].clear()
        expect(page.get_by_test_id("connection")).to_contain_text("Reconnecting", timeout=10_000)
        final = wait_for_job(studio_server, token, name)
        assert final["status"] == "Completed", final
        expect(page.get_by_test_id("job-status")).not_to_have_text("Completed")
        screenshot(page, "job-live-disconnected")

        # Then, once it may connect again, it catches up from where it was
        relay["down"] = False
        expect(page.get_by_test_id("job-status")).to_have_text("Completed", timeout=30_000)
        for step in "abc":
            expect_node(page, step, "Completed", timeout=1)
        expect(page.get_by_test_id("connection")).to_have_count(0)  # finished: no "Live" badge
        assert re.search(r"\?after=\d+$", relay["urls"][-1]), relay["urls"]
        assert not re.search(r"after=", relay["urls"][0])
        # And the log of a step that ran while it was away is whole
        page.get_by_role("button", name="Open step c").click()
        log = page.get_by_role("complementary", name="Step c").get_by_role("log")
        for number in range(1, 7):
            expect(log).to_contain_text(f"c says line {number} of 6")
        assert_not_reloaded(page)
        screenshot(page, "job-live-reconnected")

        # When the user is signed out and the socket drops, the server refuses the new one with
        # 4401 (after accepting it, so the browser sees the code) and the page says so
        context.clear_cookies()
        for ws in relay["open"]:
            ws.close(code=1012, reason="server restarting")
        relay["open"].clear()
        expect(page.get_by_test_id("connection")).to_have_text(
            "Signed out — sign in again for live updates", timeout=15_000
        )
        attempts = len(relay["urls"])
        page.wait_for_timeout(3_000)
        assert len(relay["urls"]) == attempts, "it kept reconnecting after being refused"
