"""A person finds the Train Model component from the navigation and reads its ports, in Chromium."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import chromium_page

pytestmark = pytest.mark.chromium


def _sign_in(page, server) -> None:
    page.goto(server.url + "/login/")
    page.get_by_label("Username").fill(server.username)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/")


def _assert_train_model_ports(page) -> None:
    inputs = page.get_by_role("table", name="Inputs")
    label = inputs.get_by_role("row", name=re.compile(r"^label_column"))
    assert label.get_by_role("cell", name="string", exact=True).is_visible()
    algorithm = inputs.get_by_role("row", name=re.compile(r"^algorithm"))
    assert algorithm.get_by_role("cell", name="string", exact=True).is_visible()
    assert algorithm.get_by_text("random_forest", exact=True).is_visible()
    dataset = inputs.get_by_role("row", name=re.compile(r"^dataset"))
    assert dataset.get_by_role("cell", name="uri_folder", exact=True).is_visible()
    model = page.get_by_role("table", name="Outputs").get_by_role("row", name=re.compile(r"^model"))
    assert model.get_by_role("cell", name="uri_folder", exact=True).is_visible()


def test_it_finds_train_model_by_category_and_reads_its_ports(studio_server):
    with chromium_page() as page:
        _sign_in(page, studio_server)
        # When they open Components from the navigation
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Components").click()
        page.wait_for_url(studio_server.url + "/components/")
        assert page.get_by_role("heading", name="Components", level=1).is_visible()
        # And keep only the Model Training category
        page.get_by_label("Tag").select_option(label="category: Model Training")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url(re.compile(r"/components/\?.*tag=category%3AModel\+Training"))
        rows = page.locator("table.asset-table tbody tr")
        assert rows.count() == 1
        assert page.get_by_role("link", name="Split Data").count() == 0
        # And open the Train Model row
        page.get_by_role("link", name="Train Model").click()
        page.wait_for_url(studio_server.url + "/components/train_model/")
        # Then the detail page shows its typed inputs and its output
        assert page.get_by_role("heading", name=re.compile("Train Model"), level=1).is_visible()
        _assert_train_model_ports(page)
        assert page.locator("mark.placeholder--input", has_text="${{inputs.label_column}}").is_visible()


def test_it_searches_components_and_shows_the_ports_at_tablet_width(studio_server):
    with chromium_page(width=800, height=1000) as page:
        _sign_in(page, studio_server)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Components").click()
        page.get_by_role("searchbox", name="Search").fill("train")
        page.get_by_role("searchbox", name="Search").press("Enter")
        page.wait_for_url(re.compile(r"/components/\?q=train"))
        page.get_by_role("link", name="Train Model").click()
        page.wait_for_url(studio_server.url + "/components/train_model/")
        inputs = page.get_by_role("table", name="Inputs")
        inputs.scroll_into_view_if_needed()
        assert inputs.is_visible()
        box = inputs.bounding_box()
        assert box is not None and box["width"] > 300
        # The page itself does not scroll sideways at tablet width: wide tables scroll in their panel.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        _assert_train_model_ports(page)
