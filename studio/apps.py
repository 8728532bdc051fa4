"""The studio app: project wiring plus the asset registry."""

from __future__ import annotations

from django.apps import AppConfig


class StudioConfig(AppConfig):
    """Configures the Dramatiq broker before any app declares an actor."""

    name = "studio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from studio import broker

        broker.configure()
