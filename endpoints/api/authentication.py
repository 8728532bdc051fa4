"""Who may invoke an endpoint: one of its keys (`Authorization: Bearer sep_…`), or a signed-in user
(an API token or a session). Every failure answers the same 401, so a caller without a valid key
learns nothing about which endpoints exist."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from endpoints.models import KEY_PREFIX, EndpointKey
from studio.api.authentication import token_from_header
from studio.api.permissions import ReadOnlyForViewers

UNAUTHORIZED = "Authentication needed: send 'Authorization: Bearer <key>' with a key of this endpoint."


class EndpointKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates a request carrying an endpoint key; leaves other schemes to the next class."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        try:
            raw = token_from_header(header)
        except exceptions.AuthenticationFailed:
            raise exceptions.AuthenticationFailed(UNAUTHORIZED) from None
        if raw is None or not raw.startswith(KEY_PREFIX):
            return None
        key = EndpointKey.authenticate(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(UNAUTHORIZED)
        return AnonymousUser(), key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="studio-endpoint"'


class EndpointKeyScheme(OpenApiAuthenticationExtension):
    target_class = "endpoints.api.authentication.EndpointKeyAuthentication"
    name = "endpointKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A key of the endpoint (sep_…)"}


class KeyOrUser(ReadOnlyForViewers):
    """An endpoint key (checked against the endpoint by the view) or a signed-in user (a Viewer
    only reads: invoking runs a job)."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, EndpointKey) or super().has_permission(request, view)
