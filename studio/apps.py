"""The studio app: the asset registry (the project itself is `config`)."""

from __future__ import annotations

from django.apps import AppConfig


class StudioConfig(AppConfig):
    """The asset registry: environments, components, data assets, computes, API tokens."""

    name = "studio"
    default_auto_field = "django.db.models.BigAutoField"
