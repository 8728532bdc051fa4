"""The pages that register assets from the browser: who may open them, and the buttons to them."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from studio.roles import VIEWER, set_role
from tests import factories

pytestmark = pytest.mark.django_db

PAGES = {"/data/new/": "data", "/environments/new/": "environment", "/components/new/": "component"}
LISTS = {"/data/": "New data asset", "/environments/": "New environment", "/components/": "New component"}


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("path", "kind"), PAGES.items())
def test_it_gives_a_member_the_form_island_posting_to_the_registry(path, kind):
    response = browser(factories.make_user("ada")).get(path)
    assert response.status_code == 200
    props = json.loads(response.context["props"])
    assert props == {"kind": kind, "detailBase": path.removesuffix("new/")}
    assert 'data-island="asset-create"' in response.content.decode()


@pytest.mark.parametrize("path", PAGES)
def test_it_refuses_a_viewer_with_the_reason(path):
    viewer = factories.make_user("val")
    set_role(viewer, VIEWER)
    response = browser(viewer).get(path)
    assert response.status_code == 403
    assert "a Viewer can read everything but not register" in response.content.decode()


def test_the_list_pages_link_to_the_forms_for_members_only():
    member, viewer = factories.make_user("ada"), factories.make_user("val")
    set_role(viewer, VIEWER)
    for path, label in LISTS.items():
        assert f'href="{path}new/">{label}</a>' in browser(member).get(path).content.decode()
        assert label not in browser(viewer).get(path).content.decode()
