"""Routes of the endpoint pages (under /endpoints/)."""

from __future__ import annotations

from django.urls import path, register_converter

from endpoints.pages import detail, listing, publish

app_name = "endpoints"


class EndpointNameConverter:
    """An endpoint name: lowercase letters, digits and '-' (actions.ENDPOINT_NAME)."""

    regex = r"[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(EndpointNameConverter, "endpoint")

urlpatterns = [
    path("", listing.endpoint_list, name="list"),
    path("publish/", publish.publish, name="publish"),
    path("<endpoint:name>/", detail.endpoint_detail, name="detail"),
    path("<endpoint:name>/diff/", detail.endpoint_diff, name="diff"),
    path("<endpoint:name>/default/", detail.set_default, name="set-default"),
    path("<endpoint:name>/disable/", detail.disable, name="disable"),
    path("<endpoint:name>/enable/", detail.enable, name="enable"),
    path("<endpoint:name>/keys/", detail.create_key, name="create-key"),
    path("<endpoint:name>/keys/<int:key_id>/revoke/", detail.revoke_key, name="revoke-key"),
]
