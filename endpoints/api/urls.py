"""Routes of the endpoints API under /api/v1/. Invoke and run routes answer with or without a
trailing slash (`POST …/runs` is how Azure ML clients call it)."""

from __future__ import annotations

from django.urls import path, re_path

from endpoints.api import views

NAME = r"(?P<name>[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?)"
RUN = r"(?P<run_id>[-A-Za-z0-9_]{1,100})"

urlpatterns = [
    path("endpoints/", views.EndpointListView.as_view(), name="endpoint-list"),
    re_path(rf"^endpoints/{NAME}/$", views.EndpointDetailView.as_view(), name="endpoint-detail"),
    re_path(rf"^endpoints/{NAME}/versions/(?P<number>[0-9]+)/$", views.VersionView.as_view(), name="version"),
    re_path(rf"^endpoints/{NAME}/keys/$", views.KeyListView.as_view(), name="key-list"),
    re_path(
        rf"^endpoints/{NAME}/keys/(?P<key_id>[0-9]+)/revoke/$",
        views.KeyRevokeView.as_view(),
        name="key-revoke",
    ),
    re_path(rf"^endpoints/{NAME}/invocations/$", views.InvocationListView.as_view(), name="invocation-list"),
    re_path(rf"^endpoints/{NAME}/runs/?$", views.RunsView.as_view(), name="runs"),
    re_path(rf"^endpoints/{NAME}/runs/{RUN}/?$", views.RunView.as_view(), name="run"),
    re_path(rf"^endpoints/{NAME}/runs/{RUN}/cancel/?$", views.RunCancelView.as_view(), name="run-cancel"),
    re_path(rf"^endpoints/{NAME}/openapi\.json$", views.OpenApiView.as_view(), name="openapi"),
]
