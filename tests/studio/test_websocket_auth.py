"""Websocket connections need a session with an allowed Origin, or an API token."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from runner.consumers import CLOSE_UNAUTHENTICATED
from studio.models import ApiToken
from tests.factories import make_user

PATH = "/ws/notifications/"


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user(db):
    """`dave`: the hello message names him."""
    return make_user("dave")


@pytest.fixture
def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def _connect(*headers: tuple[bytes, bytes]) -> tuple[bool, object, dict | None]:
    """Connect, read the first message when accepted, disconnect; return what happened."""

    async def attempt():
        communicator = WebsocketCommunicator(application, PATH, headers=[(b"host", b"localhost"), *headers])
        connected, detail = await communicator.connect(timeout=5)
        first = None
        if connected:
            output = await communicator.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                # Refused: accepted and closed at once, so a browser sees the code.
                return False, output.get("code"), None
            first = json.loads(output["text"])
            await communicator.disconnect()
        return connected, detail, first

    return async_to_sync(attempt)()


def test_it_refuses_an_anonymous_connection():
    connected, code, _ = _connect((b"origin", b"http://localhost"))

    assert not connected
    assert code == CLOSE_UNAUTHENTICATED


def test_it_accepts_a_bearer_token_without_origin(user):
    _, raw = ApiToken.issue(user, "ws")

    connected, _, hello = _connect((b"authorization", f"Bearer {raw}".encode()))

    assert connected
    assert hello == {"type": "hello", "user": "dave"}


def test_it_accepts_the_token_keyword_too(user):
    _, raw = ApiToken.issue(user, "ws")

    connected, _, hello = _connect((b"authorization", f"Token {raw}".encode()))

    assert connected
    assert hello["user"] == "dave"


def test_it_accepts_a_session_with_an_allowed_origin(session_cookie):
    connected, _, hello = _connect((b"cookie", session_cookie), (b"origin", b"http://localhost"))

    assert connected
    assert hello == {"type": "hello", "user": "dave"}


def test_it_refuses_a_session_from_another_origin(session_cookie):
    connected, _, _ = _connect((b"cookie", session_cookie), (b"origin", b"http://evil.example"))

    assert not connected


def test_it_refuses_a_session_without_origin(session_cookie):
    connected, _, _ = _connect((b"cookie", session_cookie))

    assert not connected


def test_it_refuses_a_session_from_a_look_alike_origin(session_cookie):
    connected, _, _ = _connect((b"cookie", session_cookie), (b"origin", b"http://localhost.evil.example"))

    assert not connected


def test_it_refuses_a_revoked_token(user):
    token, raw = ApiToken.issue(user, "ws")
    token.revoke()

    connected, _, _ = _connect((b"authorization", f"Bearer {raw}".encode()))

    assert not connected


def test_it_refuses_an_invalid_token():
    connected, _, _ = _connect((b"authorization", b"Bearer stu_not-a-real-token"))

    assert not connected


def test_it_refuses_an_invalid_token_even_with_a_valid_session(session_cookie):
    connected, _, _ = _connect(
        (b"cookie", session_cookie),
        (b"origin", b"http://localhost"),
        (b"authorization", b"Bearer stu_not-a-real-token"),
    )

    assert not connected


def test_it_refuses_a_token_of_an_inactive_user(user):
    _, raw = ApiToken.issue(user, "ws")
    user.is_active = False
    user.save()

    connected, _, _ = _connect((b"authorization", f"Bearer {raw}".encode()))

    assert not connected
