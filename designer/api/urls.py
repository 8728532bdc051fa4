"""Routes of the designer API under /api/v1/: drafts, cloning a job into a draft, the inner
graph of a pipeline component, and the columns the column pickers offer."""

from __future__ import annotations

from django.urls import path

import studio.api.urls  # noqa: F401 - registers the <asset:…> converter used below
from designer.api.columns import component_columns_view, data_columns_view
from designer.api.component_graph import component_graph_view
from designer.api.views import DraftViewSet, clone_job

urlpatterns = [
    path("drafts/", DraftViewSet.as_view({"get": "list", "post": "create"}), name="draft-list"),
    path("drafts/import/", DraftViewSet.as_view({"post": "import_yaml"}), name="draft-import"),
    path(
        "drafts/<int:pk>/",
        DraftViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="draft-detail",
    ),
    path("drafts/<int:pk>/duplicate/", DraftViewSet.as_view({"post": "duplicate"}), name="draft-duplicate"),
    path("drafts/<int:pk>/viewport/", DraftViewSet.as_view({"put": "viewport"}), name="draft-viewport"),
    path("drafts/<int:pk>/validate/", DraftViewSet.as_view({"post": "validate"}), name="draft-validate"),
    path("drafts/<int:pk>/submit/", DraftViewSet.as_view({"post": "submit"}), name="draft-submit"),
    path("drafts/<int:pk>/export/", DraftViewSet.as_view({"get": "export"}), name="draft-export"),
    path("jobs/<slug:name>/clone/", clone_job, name="job-clone"),
    path(
        "components/<asset:name>/<asset:version>/graph/",
        component_graph_view,
        name="component-graph",
    ),
    path(
        "components/<asset:name>/<asset:version>/columns/",
        component_columns_view,
        name="component-columns",
    ),
    path("data/<asset:name>/<asset:version>/columns/", data_columns_view, name="data-columns"),
]
