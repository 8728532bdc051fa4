"""Root URLconf: pages, the REST API, its schema and docs, the health check."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.views import accounts, favicon, health, pages
from runner import compute_pages as computes
from studio.views import asset_forms, assets, audit, datastores, models

studio_pages = (
    [
        path("", pages.dashboard, name="dashboard"),
        path("environments/", assets.environments, name="environments"),
        path("environments/new/", asset_forms.new_environment, name="environment-new"),
        path("environments/<asset_name:name>/", assets.environment_detail, name="environment"),
        path(
            "environments/<asset_name:name>/<asset_name:version>/",
            assets.environment_detail,
            name="environment-version",
        ),
        path("components/", assets.components, name="components"),
        path("components/new/", asset_forms.new_component, name="component-new"),
        path("components/<asset_name:name>/", assets.component_detail, name="component"),
        path("components/<asset_name:name>/diff/", assets.component_diff, name="component-diff"),
        path(
            "components/<asset_name:name>/<asset_name:version>/",
            assets.component_detail,
            name="component-version",
        ),
        path(
            "components/<asset_name:name>/<asset_name:version>/code/<path:path>",
            assets.component_code,
            name="component-code",
        ),
        path("data/", assets.data_assets, name="data"),
        path("data/new/", asset_forms.new_data_asset, name="data-new"),
        path("data/<asset_name:name>/", assets.data_detail, name="data-asset"),
        path("data/<asset_name:name>/<asset_name:version>/", assets.data_detail, name="data-version"),
        path("data/<asset_name:name>/<asset_name:version>/raw/<path:path>", assets.data_raw, name="data-raw"),
        path("models/", models.models, name="models"),
        path("models/<asset_name:name>/", models.model_detail, name="model"),
        path("models/<asset_name:name>/<asset_name:version>/", models.model_detail, name="model-version"),
        path("datastores/", datastores.datastores, name="datastores"),
        path("datastores/<asset_name:name>/", datastores.datastore_detail, name="datastore"),
        path("computes/", computes.computes, name="computes"),
        path("computes/<slug:name>/", computes.compute_detail, name="compute"),
        path("computes/<slug:name>/check/", computes.check_compute, name="compute-check"),
        path("computes/<slug:name>/drain/", computes.drain_compute, name="compute-drain"),
        path("computes/<slug:name>/resume/", computes.resume_compute, name="compute-resume"),
        path("audit/", audit.audit_log, name="audit"),
        path("profile/", accounts.profile, name="profile"),
        path("profile/tokens/<int:token_id>/revoke/", accounts.revoke_token, name="revoke-token"),
    ],
    "studio",
)

api_v1 = [
    path("", include(("studio.api.urls", "studio-api"))),
    path("", include(("runner.api.urls", "runner-api"))),
    path("", include(("designer.api.urls", "designer-api"))),
    path("", include(("endpoints.api.urls", "endpoints-api"))),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", favicon.favicon, name="favicon"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # One sign-in form for the whole site: the admin's own login page sends people to ours (the
    # middleware), an Admin on to the admin, and refuses anyone else with 403.
    path("admin/login/", accounts.admin_login),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("designer/", include("designer.urls")),
    path("endpoints/", include("endpoints.urls")),
    path("", include("runner.urls")),
    path("", include(studio_pages)),
]

handler404 = "config.views.errors.not_found"
handler500 = "config.views.errors.server_error"
