"""The endpoint page's snippets use the key the person just created (issue 15, point 8): its secret is
in the island's props of that one response, and of no later one."""

from __future__ import annotations

import re

import pytest

from endpoints.models import PipelineEndpoint
from tests.endpoints.pipelines import publish
from tests.endpoints.test_pages import island

pytestmark = pytest.mark.django_db

PAGE = "/endpoints/split-iris/"


@pytest.fixture
def page(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def endpoint(api, seeded):
    publish(api)
    return PipelineEndpoint.objects.get(name="split-iris")


def test_the_new_key_goes_into_the_snippets_once(page, endpoint):
    response = page.post(PAGE + "keys/", {"name": "for the snippet"})

    html = response.content.decode()
    secret = re.search(r'id="new-key" type="text" readonly value="(sep_[^"]+)"', html).group(1)
    assert island(response)["apiKey"] == secret
    assert island(page.get(PAGE))["apiKey"] is None


def test_the_runs_today_count_is_marked_for_the_page_to_keep_current(page, endpoint):
    html = page.get(PAGE).content.decode()

    assert "<span data-runs-today>0 runs today</span>" in html
