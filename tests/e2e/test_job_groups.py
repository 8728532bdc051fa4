"""A person opens and closes a job's pipeline components on its page, in Chromium.

The finished job (no Docker: its rows are written into the server's database from a hand-built
spec) has `fetch -> middle{inner{copy -> count}, train} -> score`, where `middle.train` failed.
`middle` shows as one Failed node; opening it shows `train` and `inner` (closed, Completed) in a
frame; opening `inner` shows its steps; the group panel lists the steps; the open groups survive a
reload; closing `middle` folds it back. Screenshots at 1280x720 land in the test's tmp dir.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import chromium_page, sign_in
from tests.runner.test_job_graph_groups import nested_spec
from tests.servers import REPO_ROOT

pytestmark = pytest.mark.chromium

STATUSES = {
    "fetch": "Completed",
    "middle.inner.copy": "Completed",
    "middle.inner.count": "Completed",
    "middle.train": "Failed",
    "score": "Canceled",
}

MAKE_JOB = """
import json, os
from datetime import timedelta
from django.utils import timezone
from runner.models import PipelineJob, StepRun
spec = json.loads(os.environ["GROUPS_SPEC"])
statuses = json.loads(os.environ["GROUPS_STATUSES"])
start = timezone.now() - timedelta(minutes=5)
job = PipelineJob.objects.create(
    display_name="Nested groups", spec=spec, status="Failed", status_reason="step middle.train failed",
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


def make_finished_job(server) -> str:
    """A finished job with nested pipeline components in the server's database; its name."""
    env = {
        **server.env,
        "GROUPS_SPEC": json.dumps(nested_spec()),
        "GROUPS_STATUSES": json.dumps(STATUSES),
    }
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


def test_a_pipeline_component_is_a_group_that_opens_and_closes(studio_server, tmp_path):
    name = make_finished_job(studio_server)
    with chromium_page(width=1280, height=720) as page:
        sign_in(page, studio_server, f"/jobs/{name}/")
        middle = page.get_by_test_id("run-group-middle")
        expect(middle).to_be_visible()
        expect(middle).to_have_attribute("data-status", "Failed")
        expect(page.get_by_test_id("run-node-fetch")).to_be_visible()
        expect(page.get_by_test_id("run-node-score")).to_be_visible()
        assert page.get_by_test_id("run-node-middle.train").count() == 0
        assert page.get_by_test_id("run-group-middle.inner").count() == 0
        page.screenshot(path=str(tmp_path / "groups-closed.png"))

        page.get_by_role("button", name="Expand group Middle pipeline").click()
        expect(page.get_by_test_id("run-frame-middle")).to_be_visible()
        expect(page.get_by_test_id("run-node-middle.train")).to_have_attribute("data-status", "Failed")
        inner = page.get_by_test_id("run-group-middle.inner")
        expect(inner).to_have_attribute("data-status", "Completed")
        assert middle.count() == 0
        assert page.get_by_test_id("run-node-middle.inner.copy").count() == 0

        inner.dblclick()
        expect(page.get_by_test_id("run-frame-middle.inner")).to_be_visible()
        expect(page.get_by_test_id("run-node-middle.inner.copy")).to_be_visible()
        expect(page.get_by_test_id("run-node-middle.inner.count")).to_be_visible()
        page.screenshot(path=str(tmp_path / "groups-open.png"))

        page.reload()  # the open groups are remembered
        expect(page.get_by_test_id("run-node-middle.inner.copy")).to_be_visible()

        page.get_by_test_id("run-frame-middle").get_by_role(
            "button", name="Show group Middle pipeline"
        ).click()
        panel = page.get_by_test_id("group-panel")
        expect(panel.get_by_test_id("group-status")).to_have_text("Failed")
        expect(panel).to_contain_text("compat_middle:1")
        expect(panel).to_contain_text("3 of 3 steps finished")
        expect(panel.get_by_role("button", name="inner.copy")).to_be_visible()
        page.screenshot(path=str(tmp_path / "groups-panel.png"))
        panel.get_by_role("button", name="train").click()
        expect(page.get_by_test_id("step-panel")).to_contain_text("train")
        assert "#step=middle.train" in page.url

        page.get_by_role("button", name="Collapse group Middle pipeline").click()
        expect(page.get_by_test_id("run-group-middle")).to_be_visible()
        assert page.get_by_test_id("run-node-middle.train").count() == 0
        assert page.get_by_test_id("run-frame-middle").count() == 0
    print(f"screenshots in {tmp_path}", file=sys.stderr)
    assert os.path.getsize(tmp_path / "groups-open.png") > 0
