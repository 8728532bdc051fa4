"""Authentication and origin checks for websocket connections.

Browsers connect with their session cookie and always send an Origin header, which must name one
of ALLOWED_HOSTS (so another site cannot open a socket with a visitor's cookie). Scripts and the
CLI connect with `Authorization: Bearer <token>` and may omit Origin; a token is not sent by a
browser on its own, so a missing Origin is no risk there.
"""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings

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


class OriginCheckMiddleware(OriginValidator):
    """Denies browser connections whose Origin is not one of ALLOWED_HOSTS."""

    def __init__(self, application) -> None:
        allowed = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not allowed:
            allowed = ["localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, allowed)

    async def __call__(self, scope, receive, send):
        origin = _header(scope, b"origin")
        if origin is None and scope.get("auth_method") == "token":
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return False
        return super().valid_origin(parsed_origin)

    def match_allowed_origin(self, parsed_origin, pattern) -> bool:
        # ALLOWED_HOSTS entries are host names, not origins: compare host names only.
        from django.http.request import is_same_domain

        host = parsed_origin.hostname
        if host is None:
            return False
        if ":" in host:  # an IPv6 literal, which ALLOWED_HOSTS writes in brackets
            host = f"[{host}]"
        return is_same_domain(host, pattern)


def secured_websocket_app(router):
    """Wrap a websocket router with session auth, token auth and the origin check."""
    return AuthMiddlewareStack(TokenAuthMiddleware(OriginCheckMiddleware(router)))


__all__ = ["secured_websocket_app"]
