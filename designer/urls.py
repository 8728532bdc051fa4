"""Routes of the designer pages."""

from __future__ import annotations

from django.urls import path

from designer import sample_views, views

app_name = "designer"

urlpatterns = [
    path("", views.drafts, name="drafts"),
    path("import/", views.import_yaml, name="import"),
    path("samples/<slug:slug>/", sample_views.from_sample, name="from-sample"),
    path("clone/<slug:name>/", views.clone_job, name="clone-job"),
    path("<int:draft_id>/", views.canvas, name="canvas"),
    path("<int:draft_id>/rename/", views.rename, name="rename"),
    path("<int:draft_id>/duplicate/", views.duplicate, name="duplicate"),
    path("<int:draft_id>/delete/", views.delete, name="delete"),
]
