"""Routes of the studio API under /api/v1/."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from studio.api import views

router = DefaultRouter(trailing_slash=True)
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("computes", views.ComputeViewSet, basename="compute")
router.register("environments", views.EnvironmentViewSet, basename="environment")
router.register("components", views.ComponentViewSet, basename="component")
router.register("data", views.DataAssetViewSet, basename="data-asset")

urlpatterns = [
    path("me/", views.me, name="me"),
    *router.urls,
]
