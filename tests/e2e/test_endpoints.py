"""A person publishes a pipeline from the designer's toolbar, creates a key and runs the endpoint with
"Try it", in Chromium against a real `studio up`; the run appears in the recent runs and its status
changes live while its steps run in Docker, driven by the notifications socket: a call made from
outside the page shows up without a reload, and the page never polls the list. Screenshots land in
tests/e2e/screenshots/ (git-ignored).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.browser import CHROMIUM_ARGS
from tests.e2e.test_designer import screenshot, sign_in, wait_for_designer
from tests.endpoints.pipelines import EVERY_KIND, SPLIT_PIPELINE
from tests.requirements import CHROMIUM_PATH

pytestmark = pytest.mark.chromium

STEP_TIMEOUT_S = 240  # a container start on a busy two-core machine can be slow
ENDPOINT = "iris-e2e"


@contextlib.contextmanager
def browser_context(origin: str, *, width: int = 1440, height: int = 1000) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
            yield context
        finally:
            browser.close()


def mark_page(page) -> None:
    """A marker that a navigation or reload would lose."""
    page.evaluate("window.__stillTheSamePage = true")


def assert_same_page(page) -> None:
    assert page.evaluate("window.__stillTheSamePage === true"), "the page was reloaded"


@pytest.mark.docker
def test_publish_from_the_designer_create_a_key_and_try_it_live(studio_server, token):
    url = studio_server.url
    draft = requests.post(
        f"{url}/api/v1/drafts/import/",
        json={"yaml": SPLIT_PIPELINE, "name": "Split iris for partners"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert draft.status_code == 201, draft.text
    draft_id = draft.json()["id"]

    with browser_context(url) as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        # Given the draft is open in the designer
        sign_in(page, studio_server, f"/designer/{draft_id}/")
        wait_for_designer(page)

        # When they press the toolbar's Publish and fill the dialog
        page.locator(".designer-toolbar").get_by_role("button", name="Publish", exact=True).click()
        dialog = page.get_by_role("dialog", name="Publish as an endpoint")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("saved")
        name = dialog.get_by_label("Endpoint name")
        expect(name).to_have_value("split-iris-for-partners")
        expect(name).to_be_focused()
        name.fill("Not a name!")
        dialog.get_by_role("button", name="Publish", exact=True).click()
        expect(dialog.locator(".field-error")).to_be_visible()  # the API's answer, at the field
        name.fill(ENDPOINT)
        dialog.get_by_label("Description").fill("Splits iris for our partners")
        dialog.get_by_label("Make this version the default").check()
        screenshot(page, "endpoints-publish-dialog")
        dialog.get_by_role("button", name="Publish", exact=True).click()

        # Then the dialog links to the endpoint, version 1 the default
        published = page.get_by_role("dialog", name="Published")
        expect(published).to_contain_text(f"Published {ENDPOINT} version 1: it is the default version.")
        published.get_by_role("link", name=f"Open {ENDPOINT}").click()
        page.wait_for_url(f"{url}/endpoints/{ENDPOINT}/")
        expect(page.get_by_test_id("endpoint-status")).to_have_text("Active")
        expect(page.locator('tr[data-version="1"]')).to_contain_text("default")
        expect(page.locator('tr[data-version="1"]')).to_contain_text(f"draft #{draft_id}")

        # When they create a key, its secret is shown once and copies to the clipboard
        page.get_by_label("Key name").fill("partner-a")
        page.get_by_role("button", name="Create key").click()
        secret_box = page.get_by_test_id("new-key")
        expect(secret_box).to_have_value(re.compile(r"^sep_[\w-]{20,}$"))
        secret = secret_box.input_value()
        copy = page.locator('[data-copy="#new-key"]')
        copy.click()
        expect(copy).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == secret
        screenshot(page, "endpoints-new-key")
        runs_with_key = requests.get(
            f"{url}/api/v1/endpoints/{ENDPOINT}/runs",
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        )
        assert runs_with_key.status_code == 200, runs_with_key.text
        # And never again
        page.goto(f"{url}/endpoints/{ENDPOINT}/")
        expect(page.get_by_test_id("new-key")).to_have_count(0)
        assert secret not in page.content()
        expect(page.locator(f'[data-key="{secret[:12]}"]')).to_contain_text("partner-a")
        page.set_viewport_size({"width": 1280, "height": 720})

        # When they try a value out of range, the endpoint's answer is shown at the field
        mark_page(page)
        list_requests: list[str] = []
        page.on(
            "request", lambda request: "/invocations/" in request.url and list_requests.append(request.url)
        )
        fraction = page.get_by_label("fraction", exact=True)
        expect(fraction).to_have_value("0.7")
        screenshot(page, "endpoint-page-1280x720")
        fraction.fill("5")
        expect(page.locator('[data-snippet="curl"]')).to_contain_text('"fraction": 5')
        expect(page.locator('[data-snippet="python"]')).to_contain_text('"fraction": 5,')
        page.get_by_role("button", name="Run", exact=True).click()
        problem = page.locator('[data-error-for="ParameterAssignments.fraction"]')
        expect(problem).to_be_visible()
        expect(problem).to_contain_text("0.99")
        expect(fraction).to_have_attribute("aria-invalid", "true")
        screenshot(page, "endpoints-try-it-error")

        # And with a good value the run starts and appears in the recent runs without a reload
        fraction.fill("0.6")
        page.get_by_role("button", name="Run", exact=True).click()
        expect(problem).to_be_hidden()
        link = page.locator("[data-run-link]")
        expect(link).to_be_visible()
        run_id = link.get_attribute("data-run-link")
        row = page.locator(f'tbody[data-runs] tr[data-run="{run_id}"]')
        expect(row).to_be_visible(timeout=10_000)
        expect(row).to_contain_text("fraction")
        expect(row).to_contain_text("0.6")
        expect(row).to_contain_text("admin")
        status = row.locator("[data-run-status]")
        seen = [status.inner_text()]
        assert seen[0] in ("Queued", "Running"), seen  # listed before it ended
        screenshot(page, "endpoints-run-started")

        # Then its status changes live as the steps run in Docker
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while seen[-1] not in ("Completed", "Failed", "Canceled") and time.monotonic() < deadline:
            page.wait_for_timeout(100)
            now = status.inner_text()
            if now != seen[-1]:
                seen.append(now)
                if now == "Running":
                    screenshot(page, "endpoints-run-running")
        assert seen[-1] == "Completed" and len(seen) >= 2, seen
        assert_same_page(page)
        screenshot(page, "endpoints-run-completed")

        # And nothing polls the list: while no run changes, the page asks for nothing
        page.wait_for_timeout(1_000)
        asked = len(list_requests)
        assert asked >= 1  # after the socket connected and on the socket's news
        page.wait_for_timeout(5_000)
        assert len(list_requests) == asked, list_requests

        # When another system calls the endpoint with the key, the page shows it without a reload
        refused = requests.post(
            f"{url}/api/v1/endpoints/{ENDPOINT}/runs",
            json={"ParameterAssignments": {"fraction": 7}},
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        )
        assert refused.status_code == 400, refused.text
        outside = page.locator("tbody[data-runs] tr", has_text="key partner-a")
        expect(outside).to_be_visible(timeout=10_000)
        expect(outside).to_contain_text("Refused 400")
        assert len(list_requests) == asked + 1, list_requests  # one fetch, on the socket's news
        assert_same_page(page)
        screenshot(page, "endpoints-run-from-outside")

        # And the list of endpoints shows its last run and today's count
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Endpoints").click()
        page.wait_for_url(f"{url}/endpoints/")
        listed = page.locator("tr", has=page.get_by_role("link", name=ENDPOINT, exact=True))
        expect(listed).to_contain_text("Completed")
        expect(listed).to_contain_text(run_id)
        expect(listed.locator("td.num").last).to_have_text("1")
        screenshot(page, "endpoints-list")

        # And the environment its steps ran in says its image is built
        page.goto(f"{url}/environments/sklearn-1.5/")
        expect(page.get_by_role("heading", name=re.compile("sklearn-1.5"), level=1)).to_be_visible()
        expect(page.locator("main")).not_to_contain_text("not built yet")
        screenshot(page, "environment-page-1280x720")
        assert errors == []

    # And the run used the value, as a caller with the key sees
    run = requests.get(
        f"{url}/api/v1/endpoints/{ENDPOINT}/runs/{run_id}",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=30,
    ).json()
    assert run["Status"] == "Completed" and run["Parameters"]["fraction"] == 0.6
    assert [step["Status"] for step in run["Steps"]] == ["Completed", "Completed"]


def test_try_it_sends_what_each_kind_of_input_says(studio_server, token):
    """Booleans, choices, cleared optional values and data assets reach the body; a missing required
    value is refused at its field and nothing runs."""
    url = studio_server.url
    published = requests.post(
        f"{url}/api/v1/endpoints/",
        json={"name": "every-kind", "yaml": EVERY_KIND},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert published.status_code == 201, published.text

    with browser_context(url) as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server, "/endpoints/every-kind/")

        # When they run it without the required value, it is asked for at its field
        page.get_by_role("button", name="Run", exact=True).click()
        trees = page.locator('[data-error-for="ParameterAssignments.trees"]')
        expect(trees).to_contain_text("required")
        expect(page.locator("[data-run-link]")).to_have_count(0)

        # When they set each kind of input, the snippets show the body that will be sent
        page.get_by_label("trees", exact=True).fill("20")
        page.get_by_role("checkbox", name="header").uncheck()
        page.get_by_label("algorithm", exact=True).select_option(label="logistic_regression")
        iterations = page.get_by_label("iterations", exact=True)
        iterations.fill("50")
        page.locator('[data-field="iterations"]').get_by_label("send no value").check()
        expect(iterations).to_be_disabled()
        page.get_by_label("raw: data asset").select_option("iris")
        page.get_by_label("raw: version").select_option("1")
        page.get_by_label("Experiment").fill("partner-checks")
        screenshot(page, "endpoints-try-it-every-kind")

        curl = page.locator('[data-snippet="curl"]').inner_text()
        body = json.loads(curl.split(" -d '", 1)[1].rstrip("'"))
        assert body == {
            "ExperimentName": "partner-checks",
            "ParameterAssignments": {
                "header": False,
                "algorithm": "logistic_regression",
                "iterations": None,
                "trees": 20,
                "label": "species",
            },
            "DataPathAssignments": {"raw": {"DataAssetName": "iris", "Version": "1"}},
        }
        python = page.locator('[data-snippet="python"]').inner_text()
        assert '"header": False,' in python and '"iterations": None,' in python
        assert errors == []
