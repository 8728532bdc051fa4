"""A browser's websocket must come from Studio's own origin: scheme, host and port (the scheme's
default port when none is written) of the Host it connects to, or one of CSRF_TRUSTED_ORIGINS."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from tests.factories import make_user

PATH = "/ws/notifications/"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cookie(db) -> bytes:
    client = Client()
    client.force_login(make_user("erin"))
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def connects(cookie: bytes, host: str, origin: str, *, scheme: str = "ws", extra=()) -> bool:
    """Whether a session socket to `host` from `origin` is accepted (and says hello)."""

    async def attempt():
        headers = [(b"host", host.encode()), (b"origin", origin.encode()), (b"cookie", cookie), *extra]
        communicator = WebsocketCommunicator(application, PATH, headers=headers)
        communicator.scope["scheme"] = scheme
        connected, _ = await communicator.connect(timeout=5)
        if not connected:
            return False
        output = await communicator.receive_output(timeout=5)
        await communicator.disconnect()
        return output["type"] == "websocket.send" and json.loads(output["text"])["type"] == "hello"

    return async_to_sync(attempt)()


def test_the_same_origin_is_accepted(cookie):
    assert connects(cookie, "localhost:8000", "http://localhost:8000")
    assert connects(cookie, "127.0.0.1:8000", "http://127.0.0.1:8000")
    assert connects(cookie, "[::1]:8000", "http://[::1]:8000")


def test_the_same_host_on_another_port_is_refused(cookie):
    assert not connects(cookie, "localhost:8000", "http://localhost:9999")
    assert not connects(cookie, "localhost:8000", "http://localhost")
    assert not connects(cookie, "localhost", "http://localhost:8000")


def test_default_ports_are_filled_in_from_the_scheme(cookie):
    assert connects(cookie, "localhost", "http://localhost:80")
    assert connects(cookie, "localhost:80", "http://localhost")
    assert connects(cookie, "localhost", "https://localhost", scheme="wss")
    assert connects(cookie, "localhost:443", "https://localhost", scheme="wss")


def test_another_scheme_is_refused(cookie):
    assert not connects(cookie, "localhost:8000", "https://localhost:8000")
    assert not connects(cookie, "localhost", "http://localhost", scheme="wss")


def test_a_host_outside_allowed_hosts_is_refused_even_from_its_own_origin(cookie):
    assert not connects(cookie, "evil.example:8000", "http://evil.example:8000")


def test_a_bad_origin_is_refused(cookie):
    assert not connects(cookie, "localhost:8000", "http://localhost:notaport")
    assert not connects(cookie, "localhost:8000", "null")
    assert not connects(cookie, "localhost:8000", "file://localhost:8000")


def test_a_trusted_origin_is_accepted_exactly(cookie, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://studio.example.org"]

    assert connects(cookie, "localhost:8000", "https://studio.example.org")
    assert connects(cookie, "localhost:8000", "https://studio.example.org:443")
    assert not connects(cookie, "localhost:8000", "https://studio.example.org:8443")
    assert not connects(cookie, "localhost:8000", "http://studio.example.org")


def test_behind_a_proxy_its_forwarded_proto_names_the_scheme(cookie, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    forwarded = ((b"x-forwarded-proto", b"https"),)

    assert connects(cookie, "localhost", "https://localhost", extra=forwarded)
    assert not connects(cookie, "localhost", "http://localhost", extra=forwarded)
    assert not connects(cookie, "localhost", "https://localhost")
