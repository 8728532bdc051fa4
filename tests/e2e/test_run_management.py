"""Run management on the job page (issue 15, point 7), in Chromium against a real `studio up` with
steps on Docker: Resubmit opens a dialog with the job's parameters and the new job runs with the
changed value; Cancel asks first; a finished job's page drops the "Live" badge. Screenshots land in
tests/e2e/screenshots/ (git-ignored).
"""

from __future__ import annotations

import re
import textwrap
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.browser import chromium_page, sign_in

pytestmark = [pytest.mark.chromium, pytest.mark.docker]

SCREENSHOTS = Path(__file__).parent / "screenshots"
RUN_TIMEOUT_S = 600  # the first step may build its environment image on a busy machine

SPLIT = textwrap.dedent(
    """\
    type: pipeline
    display_name: Split for resubmit
    experiment_name: run-management
    inputs:
      fraction: 0.7
    jobs:
      load:
        component: azureml:import_csv@latest
        inputs:
          source_file: {type: uri_file, path: azureml:iris@latest}
      split:
        component: azureml:split_data@latest
        inputs:
          dataset: ${{parent.jobs.load.outputs.dataset}}
          fraction: ${{parent.inputs.fraction}}
    """
)

SLEEPER = textwrap.dedent(
    """\
    type: command
    display_name: Sleeper
    experiment_name: run-management
    command: sleep 300
    environment: azureml:python-3.11@latest
    """
)


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def submit(server, token: str, text: str) -> str:
    created = requests.post(
        f"{server.url}/api/v1/jobs/",
        files={"file": ("job.yml", text.encode(), "application/yaml")},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert created.status_code == 201, created.text
    return created.json()["name"]


def job(server, token: str, name: str) -> dict:
    answer = requests.get(
        f"{server.url}/api/v1/jobs/{name}/", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    answer.raise_for_status()
    return answer.json()


def status_is(page, text: str) -> None:
    expect(page.get_by_test_id("job-status")).to_have_text(text, timeout=RUN_TIMEOUT_S * 1000)


def test_resubmit_with_a_changed_parameter_runs_with_it(studio_server, token):
    first = submit(studio_server, token, SPLIT)
    with chromium_page(width=1280, height=720) as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server, f"/jobs/{first}/")
        status_is(page, "Completed")
        # A finished job changes no more: no "Live" badge.
        expect(page.get_by_test_id("connection")).to_have_count(0)

        page.get_by_role("button", name="Resubmit").click()
        dialog = page.get_by_role("dialog", name="Resubmit this job")
        expect(dialog).to_be_visible()
        fraction = dialog.get_by_label(re.compile("^fraction"))
        expect(fraction).to_have_value("0.7")
        fraction.fill("1.5")
        dialog.get_by_role("button", name=re.compile("^Resubmit with 1 change")).click()
        expect(dialog.locator(".field-error")).to_contain_text("above the maximum 0.99")
        fraction.fill("0.5")
        screenshot(page, "run-resubmit-dialog-1280x720")
        dialog.get_by_role("button", name="Resubmit with 1 change").click()

        page.wait_for_url(re.compile(r"/jobs/(?!" + re.escape(first) + r")[\w-]+/$"))
        second = page.url.rstrip("/").rsplit("/", 1)[1]
        expect(page.get_by_text(f"resubmitted from {first}")).to_be_visible()
        expect(page.get_by_role("list", name="Parameters")).to_contain_text("0.5")
        status_is(page, "Completed")
        assert not errors, errors

    again = job(studio_server, token, second)
    assert again["status"] == "Completed"
    assert again["spec"]["inputs"]["fraction"]["value"] == 0.5
    assert again["spec"]["steps"]["split"]["inputs"]["fraction"]["value"] == 0.5


def test_cancel_asks_first(studio_server, token):
    name = submit(studio_server, token, SLEEPER)
    with chromium_page(width=1280, height=720) as page:
        sign_in(page, studio_server, f"/jobs/{name}/")
        page.get_by_role("button", name="Cancel", exact=True).click()
        dialog = page.get_by_role("dialog", name="Cancel this job?")
        expect(dialog).to_be_visible()
        screenshot(page, "run-cancel-dialog-1280x720")
        dialog.get_by_role("button", name="Keep running").click()
        expect(dialog).to_have_count(0)
        time.sleep(0.5)
        assert job(studio_server, token, name)["status"] not in ("CancelRequested", "Canceled")

        page.get_by_role("button", name="Cancel", exact=True).click()
        page.get_by_role("dialog", name="Cancel this job?").get_by_role("button", name="Cancel job").click()
        status_is(page, "Canceled")
