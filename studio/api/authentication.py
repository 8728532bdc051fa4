"""Token authentication for the REST API: `Authorization: Bearer <token>` or `Token <token>`."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from studio.models import ApiToken

ACCEPTED_KEYWORDS = ("bearer", "token")


def token_from_header(header: str) -> str | None:
    """Return the raw token of an Authorization header value, or None when it names another scheme."""
    parts = header.split()
    if not parts or parts[0].lower() not in ACCEPTED_KEYWORDS:
        return None
    if len(parts) != 2:
        raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
    return parts[1]


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates API requests carrying a Studio API token."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        raw = token_from_header(header)
        if raw is None:
            return None
        token = ApiToken.authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="studio"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes bearer-token authentication in the OpenAPI document."""

    target_class = "studio.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A Studio API token (stu_…)"}
