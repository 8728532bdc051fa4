"""Password sign-ins (the form and HTTP Basic on the API) are limited per username and per client
address; API tokens are not passwords and are not limited."""

from __future__ import annotations

import base64
import os
import re

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from studio.env import SettingError, envrate
from studio.login_limits import client_address, wait_text
from tests.factories import PASSWORD, make_token

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/tokens/"


@pytest.fixture
def limits(settings):
    settings.STUDIO_LOGIN_USER_LIMIT = (3, 900)
    settings.STUDIO_LOGIN_ADDRESS_LIMIT = (5, 900)
    return settings


def sign_in(username: str, password: str, *, address: str = "192.0.2.1"):
    return Client(REMOTE_ADDR=address).post("/login/", {"username": username, "password": password})


def basic(username: str, password: str, *, address: str = "192.0.2.1"):
    client = APIClient(REMOTE_ADDR=address)
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    return client.post(TOKENS, {"name": "cli"}, format="json")


def test_the_form_refuses_a_username_after_too_many_failures_and_says_how_long(limits, user):
    answers = [sign_in("ada", "wrong").status_code for _ in range(3)]

    refused = sign_in("ada", PASSWORD)  # the right password too: guessing must stop

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 900
    page = refused.content.decode()
    wait = wait_text(int(refused["Retry-After"]))
    assert "Too many failed sign-ins" in page
    assert re.search(rf"Wait {wait} \(until \d\d:\d\d\) before trying again", page)
    assert "_auth_user_id" not in refused.wsgi_request.session


def test_the_username_limit_holds_from_every_address(limits, user):
    for number in range(3):
        sign_in("ada", "wrong", address=f"198.51.100.{number}")

    assert sign_in("ada", PASSWORD, address="203.0.113.9").status_code == 429


def test_the_address_limit_covers_every_username_but_not_other_addresses(limits, user):
    for name in ("bob", "carol", "dave", "erin", "frank"):
        assert sign_in(name, "guess").status_code == 200

    assert sign_in("ada", PASSWORD).status_code == 429
    assert sign_in("ada", PASSWORD, address="192.0.2.2").status_code == 302


def test_a_success_does_not_reset_the_address_counter_of_other_usernames(limits, user):
    for name in ("bob", "carol", "dave"):
        sign_in(name, "guess")
    assert sign_in("ada", PASSWORD).status_code == 302
    for name in ("erin", "frank"):
        assert sign_in(name, "guess").status_code == 200

    assert sign_in("gina", "guess").status_code == 429


def test_successful_sign_ins_are_not_failures(limits, user):
    answers = [sign_in("ada", PASSWORD).status_code for _ in range(8)]

    assert answers == [302] * 8


def test_basic_auth_is_limited_too_with_retry_after(limits, user):
    assert [basic("ada", "wrong").status_code for _ in range(3)] == [401, 401, 401]

    refused = basic("ada", PASSWORD)

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 900
    assert "Too many failed sign-ins" in refused.json()["detail"]


def test_failures_on_the_form_count_for_basic_auth(limits, user):
    for _ in range(3):
        sign_in("ada", "wrong")

    assert basic("ada", PASSWORD).status_code == 429


def test_a_token_still_works_when_password_sign_ins_are_refused(limits, user):
    raw = make_token(user)
    for _ in range(3):
        basic("ada", "wrong")
    assert basic("ada", PASSWORD).status_code == 429

    client = APIClient(REMOTE_ADDR="192.0.2.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(TOKENS).status_code == 200


def test_basic_auth_with_the_right_password_is_not_counted(limits, user):
    assert [basic("ada", PASSWORD).status_code for _ in range(6)] == [201] * 6


def test_off_turns_the_limits_off(settings, user):
    settings.STUDIO_LOGIN_USER_LIMIT = (0, 1)
    settings.STUDIO_LOGIN_ADDRESS_LIMIT = (0, 1)

    assert {sign_in("ada", "wrong").status_code for _ in range(12)} == {200}


def test_behind_a_proxy_the_address_is_the_last_forwarded_one(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")

    settings.STUDIO_BEHIND_PROXY = False
    assert client_address(request) == "10.0.0.2"
    settings.STUDIO_BEHIND_PROXY = True
    assert client_address(request) == "203.0.113.7"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5/15minutes", (5, 900)), ("30/15 minutes", (30, 900)), ("60/minute", (60, 60)), ("off", (0, 1))],
)
def test_limits_read_counts_per_several_units(monkeypatch, value, expected):
    monkeypatch.setitem(os.environ, "STUDIO_LOGIN_USER_LIMIT", value)

    assert envrate("STUDIO_LOGIN_USER_LIMIT", "5/15minutes") == expected


def test_a_bad_limit_names_the_setting(monkeypatch):
    monkeypatch.setitem(os.environ, "STUDIO_LOGIN_USER_LIMIT", "5/0minutes")

    with pytest.raises(SettingError, match="STUDIO_LOGIN_USER_LIMIT"):
        envrate("STUDIO_LOGIN_USER_LIMIT", "5/15minutes")
