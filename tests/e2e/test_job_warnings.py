"""A field Azure ML accepts that has no effect here is said in the REST answer and on the job page."""

from __future__ import annotations

import textwrap

import pytest
import requests

from tests.e2e.browser import chromium_page, sign_in

pytestmark = pytest.mark.chromium

JOB = textwrap.dedent(
    """\
    $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
    type: command
    display_name: Tolerant job
    command: echo tolerated
    environment: azureml:python-3.11@latest
    compute: azureml:local
    identity:
      type: managed
    queue_settings:
      job_tier: spot
    """
)


def test_warned_fields_come_back_from_rest_and_show_on_the_job_page(studio_server, token):
    created = requests.post(
        f"{studio_server.url}/api/v1/jobs/",
        files={"file": ("job.yml", JOB.encode(), "application/yaml")},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    warned = {(w["field"], w["line"]) for w in body["spec"]["warnings"]}
    assert warned == {("identity", 7), ("queue_settings", 9)}

    with chromium_page() as page:
        sign_in(page, studio_server, f"/jobs/{body['id']}/")
        notice = page.get_by_test_id("job-warnings")
        notice.wait_for()
        assert "2 fields of this job's YAML have no effect here" in notice.inner_text()
        notice.locator("summary").click()
        text = notice.inner_text()
        assert "job.yml:7: identity" in text and "job.yml:9: queue_settings" in text
