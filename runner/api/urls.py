"""Routes of the runner API under /api/v1/."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from runner.api.computes import ComputeViewSet

router = SimpleRouter(trailing_slash=True)
router.register("computes", ComputeViewSet, basename="compute")

urlpatterns = router.urls
