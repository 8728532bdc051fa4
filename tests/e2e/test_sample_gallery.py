"""Every sample of the gallery opens as a draft, validates, and runs to Completed (issue #15 point 5).

In Chromium at 1280x720: the drafts page's "Open as draft" of each sample lands on its canvas, and
Validate finds no problem. The drafts are then submitted (the designer's own submit is tested in
test_designer.py) and run side by side on the default compute (`docker` when it answers).
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from designer.samples import GALLERY
from tests.e2e.browser import chromium_page, sign_in
from tests.e2e.test_designer import TERMINAL, job_report, screenshot, wait_for_designer
from tests.requirements import docker_missing

pytestmark = pytest.mark.chromium

RUN_DEADLINE_S = 900  # the first run builds the sklearn environment's image


def test_every_sample_opens_as_a_draft_validates_and_runs(studio_server):
    with chromium_page(width=1280, height=720) as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server, "/designer/")
        screenshot(page, "sample-gallery")
        drafts: dict[str, int] = {}
        for slug, _, _ in GALLERY:
            page.goto(f"{studio_server.url}/designer/")
            card = page.locator(f'.sample-card[data-sample="{slug}"]')
            card.get_by_role("button", name=re.compile("^Open the .* sample as a draft$")).click()
            page.wait_for_url(re.compile(re.escape(studio_server.url) + r"/designer/(\d+)/$"))
            wait_for_designer(page)
            drafts[slug] = int(re.search(r"/designer/(\d+)/$", page.url).group(1))
            page.get_by_role("button", name="Validate").click()
            expect(page.get_by_text("No problems found")).to_be_visible(timeout=20_000)
            if slug == "classification":
                screenshot(page, "sample-classification-draft")
        assert errors == []

        if docker_missing() is not None:
            return
        started = time.monotonic()
        jobs: dict[str, str] = {}
        for slug, draft_id in drafts.items():
            response = page.request.post(
                f"{studio_server.url}/api/v1/drafts/{draft_id}/submit/",
                data={"experiment_name": "samples"},
                headers={"X-CSRFToken": csrf(page)},
            )
            assert response.ok, response.text()
            jobs[slug] = response.json()["id"]
        ended = {}
        while len(ended) < len(jobs) and time.monotonic() - started < RUN_DEADLINE_S:
            for slug, name in jobs.items():
                job = page.request.get(f"{studio_server.url}/api/v1/jobs/{name}/").json()
                if slug not in ended and job["status"] in TERMINAL:
                    ended[slug] = job
                    print(f"sample {slug}: {job['status']} after {time.monotonic() - started:.0f} s")
            time.sleep(2)
        for slug, name in jobs.items():
            job = ended.get(slug) or page.request.get(f"{studio_server.url}/api/v1/jobs/{name}/").json()
            assert job["status"] == "Completed", f"{slug}: {job_report(page, studio_server, job)}"


def csrf(page) -> str:
    return next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken")
