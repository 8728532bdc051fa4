"""Launching Debian's Chromium through Playwright, without any browser download."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator

from tests.requirements import CHROMIUM_PATH

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@contextlib.contextmanager
def chromium_page(*, width: int = 1280, height: int = 800) -> Iterator:
    """A fresh Chromium page with its own empty profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM_PATH),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": width, "height": height},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def sign_in(page, server, next_path: str) -> None:
    """Sign in on the login page as the server's admin and land on `next_path`."""
    page.goto(f"{server.url}/login/?next={next_path}")
    page.get_by_label("Username").fill(server.username)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + next_path)
