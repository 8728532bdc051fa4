"""Authentication and origin checks for websocket connections.

Browsers connect with their session cookie and always send an Origin header, which must be the
server's own origin (scheme, host and port of the Host header, the host one of ALLOWED_HOSTS) or one
of CSRF_TRUSTED_ORIGINS, so another site (another port included) cannot open a socket with a
visitor's cookie. Scripts and the
CLI connect with `Authorization: Bearer <token>` and may omit Origin; a token is not sent by a
browser on its own, so a missing Origin is no risk there.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from studio.models import ApiToken

BEARER_KEYWORDS = (b"bearer", b"token")


@database_sync_to_async
def _user_for_token(raw: str):
    token = ApiToken.authenticate(raw)
    return token.user if token else None


def _header(scope, name: bytes) -> bytes | None:
    for header_name, value in scope.get("headers", []):
        if header_name == name:
            return value
    return None


class TokenAuthMiddleware:
    """Sets `scope["user"]` from a bearer token, after the session middleware had its turn."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        header = _header(scope, b"authorization")
        scope = dict(scope, auth_method="session")
        if header:
            parts = header.split()
            if len(parts) == 2 and parts[0].lower() in BEARER_KEYWORDS:
                user = await _user_for_token(parts[1].decode("latin-1"))
                if user is None:
                    return await WebsocketDenier()(scope, receive, send)
                scope.update(user=user, auth_method="token")
        return await self.inner(scope, receive, send)


DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_parts(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an Origin or trusted origin, the port filled in from the scheme."""
    try:
        parsed = urlsplit(origin.strip())
        port = parsed.port
    except ValueError:
        return None
    scheme = parsed.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parsed.hostname:
        return None
    return scheme, parsed.hostname.lower(), port or DEFAULT_PORTS[scheme]


def _request_scheme(scope) -> str:
    """The scheme the page that opened the socket was served over: https for wss, or what the
    trusted proxy says (SECURE_PROXY_SSL_HEADER, set by STUDIO_BEHIND_PROXY)."""
    if scope.get("scheme") == "wss":
        return "https"
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, secure_value = proxy_header
        header = name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")
        value = _header(scope, header)
        if value is not None and value.decode("latin-1").split(",")[0].strip() == secure_value:
            return "https"
    return "http"


class OriginCheckMiddleware:
    """Denies browser connections from another origin than the server's own.

    The Origin must match scheme, host and port (the scheme's default port when none is written)
    of the Host the socket was opened on, and that host must be one of ALLOWED_HOSTS; or it must be
    one of CSRF_TRUSTED_ORIGINS exactly. So http://localhost:9999 (another program on the same
    machine) cannot open a socket to Studio on http://localhost:8000 with a visitor's cookie.
    """

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        origin = _header(scope, b"origin")
        if origin is None and scope.get("auth_method") == "token":
            return await self.application(scope, receive, send)
        if origin is not None and self.allowed(scope, origin.decode("latin-1")):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)

    @staticmethod
    def allowed_hosts() -> list[str]:
        allowed = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not allowed:
            allowed = ["localhost", "127.0.0.1", "[::1]"]
        return allowed

    def allowed(self, scope, origin: str) -> bool:
        parts = _origin_parts(origin)
        if parts is None:
            return False
        trusted = {_origin_parts(item) for item in getattr(settings, "CSRF_TRUSTED_ORIGINS", [])}
        if parts in trusted:
            return True
        host = _header(scope, b"host")
        if host is None:
            return False
        domain, port = split_domain_port(host.decode("latin-1").lower())
        if not domain or not validate_host(domain, self.allowed_hosts()):
            return False
        scheme = _request_scheme(scope)
        try:
            server = (scheme, domain.strip("[]"), int(port) if port else DEFAULT_PORTS[scheme])
        except ValueError:
            return False
        return parts == server


def secured_websocket_app(router):
    """Wrap a websocket router with session auth, token auth and the origin check."""
    return AuthMiddlewareStack(TokenAuthMiddleware(OriginCheckMiddleware(router)))


__all__ = ["secured_websocket_app"]
