"""A person signs in through the real login form in Chromium and reaches the dashboard."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import chromium_page

pytestmark = pytest.mark.chromium


def test_it_signs_in_through_the_form_and_sees_the_dashboard(studio_server):
    with chromium_page() as page:
        # Given an anonymous visitor opening the dashboard
        page.goto(studio_server.url + "/")
        # Then they are sent to the sign-in form
        assert re.search(r"/login/\?next=/$", page.url)
        # When they sign in
        page.get_by_label("Username").fill(studio_server.username)
        page.get_by_label("Password").fill(studio_server.password)
        page.get_by_role("button", name="Sign in").click()
        # Then the dashboard shows their name, the asset counts and the local compute
        page.wait_for_url(studio_server.url + "/")
        assert page.get_by_role(
            "heading", name=re.compile(f"Welcome back, {studio_server.username}")
        ).is_visible()
        assert page.get_by_role("heading", name="Computes").is_visible()
        assert page.locator(".compute-list").get_by_text("local", exact=True).is_visible()
        nav = page.get_by_role("navigation", name="Main")
        for label in ["Designer", "Jobs", "Endpoints", "Environments", "Components", "Data", "Computes"]:
            assert nav.get_by_role("link", name=label, exact=True).is_visible()


def test_it_rejects_a_wrong_password_with_a_message(studio_server):
    with chromium_page() as page:
        page.goto(studio_server.url + "/login/")
        page.get_by_label("Username").fill(studio_server.username)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        assert page.get_by_role("alert").filter(has_text="do not match").is_visible()
        assert "/login/" in page.url


def test_it_mounts_the_designer_canvas_from_the_built_bundle(studio_server):
    with chromium_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(studio_server.url + "/login/?next=/designer/")
        page.get_by_label("Username").fill(studio_server.username)
        page.get_by_label("Password").fill(studio_server.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(studio_server.url + "/designer/")
        # A new draft opens its canvas.
        page.get_by_role("form", name="New draft").get_by_role("textbox").fill("bundle check")
        page.get_by_role("button", name="New draft").click()
        page.wait_for_url(re.compile(r"/designer/\d+/$"))
        # React Flow renders its pane only when the bundle loaded and the island mounted.
        page.locator(".react-flow").wait_for(state="visible", timeout=10_000)
        hint = page.get_by_text("Drag components from the library onto the canvas")
        hint.wait_for(state="visible", timeout=10_000)
        assert errors == []
