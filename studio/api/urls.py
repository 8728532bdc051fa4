"""Routes of the studio API under /api/v1/: accounts and the asset registry."""

from __future__ import annotations

from django.urls import path, register_converter
from rest_framework.routers import DefaultRouter

from studio.api import assets, audit, datastores, users, views


class AssetNameConverter:
    """An asset name or version: letters, digits, '.', '-', '_' (never '@' or '/')."""

    regex = r"[A-Za-z0-9][A-Za-z0-9_.-]*"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(AssetNameConverter, "asset")

router = DefaultRouter(trailing_slash=True)
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("users", users.UserViewSet, basename="user")
router.register("audit", audit.AuditEntryViewSet, basename="audit")


def asset_routes(prefix: str, viewset, basename: str) -> list:
    """The routes of one asset kind."""
    one = {"get": "retrieve"}
    return [
        path(f"{prefix}/", viewset.as_view({"get": "list", "post": "create"}), name=f"{basename}-list"),
        path(
            f"{prefix}/<asset:name>/versions/",
            viewset.as_view({"get": "versions"}),
            name=f"{basename}-versions",
        ),
        path(f"{prefix}/<asset:name>@latest/", viewset.as_view(one), name=f"{basename}-latest"),
        path(
            f"{prefix}/<asset:name>@latest/export/",
            viewset.as_view({"get": "export"}),
            name=f"{basename}-latest-export",
        ),
        path(f"{prefix}/<asset:name>/<asset:version>/", viewset.as_view(one), name=f"{basename}-detail"),
        path(
            f"{prefix}/<asset:name>/<asset:version>/archive/",
            viewset.as_view({"post": "archive", "delete": "unarchive"}),
            name=f"{basename}-archive",
        ),
        path(
            f"{prefix}/<asset:name>/<asset:version>/export/",
            viewset.as_view({"get": "export"}),
            name=f"{basename}-export",
        ),
    ]


urlpatterns = [
    path("me/", views.me, name="me"),
    *router.urls,
    *asset_routes("environments", assets.EnvironmentViewSet, "environment"),
    *asset_routes("components", assets.ComponentViewSet, "component"),
    *asset_routes("data", assets.DataAssetViewSet, "data-asset"),
    *asset_routes("models", assets.ModelAssetViewSet, "model"),
    path(
        "datastores/",
        datastores.DatastoreViewSet.as_view({"get": "list", "post": "create"}),
        name="datastore-list",
    ),
    path(
        "datastores/<asset:name>/",
        datastores.DatastoreViewSet.as_view({"get": "retrieve"}),
        name="datastore-detail",
    ),
    path(
        "datastores/<asset:name>/export/",
        datastores.DatastoreViewSet.as_view({"get": "export"}),
        name="datastore-export",
    ),
]
