"""The runner app: pipeline jobs, step runs, endpoints, actors and executors."""

from __future__ import annotations

from django.apps import AppConfig


class RunnerConfig(AppConfig):
    """Declares the Dramatiq actors once the studio app has configured the broker."""

    name = "runner"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from runner import (
            actors,  # noqa: F401  (declaring actors registers their queues)
            events,  # noqa: F401  (it listens to status changes and log lines)
        )

    def recent_jobs(self, *, limit: int = 10) -> list:
        """The most recent pipeline jobs, for the dashboard (which the studio app renders)."""
        from runner.models import PipelineJob

        return list(PipelineJob.objects.defer("spec").order_by("-created_at")[:limit])  # no megabytes
