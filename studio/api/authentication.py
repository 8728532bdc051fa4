"""Token authentication for the REST API: `Authorization: Bearer <token>` or `Token <token>`."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from studio import login_limits
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


class LimitedBasicAuthentication(authentication.BasicAuthentication):
    """HTTP Basic (username and password, how `studio login` gets its token) under the sign-in
    limits of the login form: past them it answers 429 with Retry-After before checking the password."""

    def authenticate_credentials(self, userid, password, request=None):
        attempt = login_limits.begin(request, userid)
        if attempt.refused:
            raise exceptions.Throttled(
                wait=attempt.wait,
                detail=f"Too many failed sign-ins for this username or from this address; "
                f"try again in {login_limits.wait_text(attempt.wait)}.",
            )
        result = super().authenticate_credentials(userid, password, request)
        attempt.succeeded()
        return result


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes bearer-token authentication in the OpenAPI document."""

    target_class = "studio.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A Studio API token (stu_…)"}


class LimitedBasicScheme(OpenApiAuthenticationExtension):
    """Describes the limited HTTP Basic authentication in the OpenAPI document."""

    target_class = "studio.api.authentication.LimitedBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "Username and password (sign-in limits apply)",
        }
