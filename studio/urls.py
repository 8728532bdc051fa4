"""Root URLconf: pages, the REST API, its schema and docs, the health check."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from studio.views import accounts, health, pages

studio_pages = (
    [
        path("", pages.dashboard, name="dashboard"),
        path("environments/", pages.environments, name="environments"),
        path("components/", pages.components, name="components"),
        path("data/", pages.data_assets, name="data"),
        path("computes/", pages.computes, name="computes"),
        path("profile/", accounts.profile, name="profile"),
        path("profile/tokens/<int:token_id>/revoke/", accounts.revoke_token, name="revoke-token"),
    ],
    "studio",
)

api_v1 = [
    path("", include(("studio.api.urls", "studio-api"))),
    path("", include(("runner.api.urls", "runner-api"))),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # One sign-in form for the whole site: the admin's own login page sends people to ours.
    path("admin/login/", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("designer/", include("designer.urls")),
    path("", include("runner.urls")),
    path("", include(studio_pages)),
]
