"""Routes of the designer pages."""

from __future__ import annotations

from django.urls import path

from designer import views

app_name = "designer"

urlpatterns = [
    path("", views.drafts, name="drafts"),
]
