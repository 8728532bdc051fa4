"""/favicon.ico answers on every page, signed in or not (Django's admin pages name no icon)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_favicon_leads_to_the_logo_without_signing_in(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith(".svg") and "/img/logo" in response["Location"]


def test_favicon_is_read_only(client):
    assert client.post("/favicon.ico").status_code == 405
