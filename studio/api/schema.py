"""The OpenAPI schema's generator: every operation also documents the errors it can answer.

Each error has Studio's one shape (`ErrorSerializer`, the component `Error`). Which statuses an
operation lists follows what the API really does (`studio.api.errors`, the permission classes):

- 401 and 403 everywhere: no or a bad credential; a role that may not do this.
- 400 where the request carries a body or query parameters (validation, filters).
- 404 where the path names something, and on paginated lists (a page past the end).
- 413 where the request carries a body (STUDIO_MAX_REQUEST_BYTES).
- 429 where HTTP Basic sign-ins are accepted (the sign-in limits).
- 503 everywhere: the database stayed busy (`studio.database_busy`).

A status an operation declares itself (`@extend_schema(responses=...)`) is kept as declared.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema

from studio.api.authentication import LimitedBasicAuthentication
from studio.api.serializers import ErrorSerializer

DESCRIPTIONS = {
    "400": "The request is invalid",
    "401": "No credential, or one that is not valid",
    "403": "The signed-in role may not do this",
    "404": "Nothing of that name (or no such page)",
    "413": "The request body is too large",
    "429": "Too many failed sign-ins; retry after Retry-After seconds",
    "503": "The database stayed busy; retry",
}
BODY_METHODS = {"POST", "PUT", "PATCH"}


class StudioAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the error answers of each operation."""

    def error_statuses(self) -> list[str]:
        """The error statuses this operation can answer."""
        statuses = ["401", "403", "503"]
        has_body = self.method in BODY_METHODS and self.get_request_serializer() is not None
        has_query = bool(self._get_filter_parameters() or self._get_pagination_parameters())
        has_query = has_query or any(
            getattr(parameter, "location", "query") == "query" for parameter in self.get_override_parameters()
        )
        if has_body or has_query:
            statuses.append("400")
        if "{" in self.path or self._get_pagination_parameters():
            statuses.append("404")
        if has_body:
            statuses.append("413")
        if any(issubclass(cls, LimitedBasicAuthentication) for cls in self.view.authentication_classes):
            statuses.append("429")
        return statuses

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status in sorted(self.error_statuses()):
            if status not in responses:
                response = self._get_response_for_code(ErrorSerializer, status, direction=direction)
                response["description"] = DESCRIPTIONS[status]
                responses[status] = response
        return dict(sorted(responses.items()))
