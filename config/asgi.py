"""ASGI entry point: Django for HTTP, Channels for websockets, in one application."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.request_connections import close_connections_after_asgi_requests  # noqa: E402
from runner.routing import websocket_urlpatterns  # noqa: E402
from studio.websocket_security import secured_websocket_app  # noqa: E402

close_connections_after_asgi_requests()  # a request's thread ends with it: so do its connections

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": secured_websocket_app(URLRouter(websocket_urlpatterns)),
    }
)
