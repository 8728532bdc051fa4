"""The runner app: pipeline jobs, step runs, actors, executors and live events."""

from __future__ import annotations

from django.apps import AppConfig


class RunnerConfig(AppConfig):
    """Configures the Dramatiq broker, then declares the actors and connects the live events."""

    name = "runner"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from runner import broker

        broker.configure()  # before any actor is declared: an actor binds to the broker of its day
        from pipelines import pipeline_components
        from runner import actors  # noqa: F401  (declaring actors registers their queues)
        from runner.events import recording  # noqa: F401  (it listens to status changes and log lines)
        from runner.gpu_leases import release_on_end
        from runner.signals import step_status_changed

        step_status_changed.connect(release_on_end, dispatch_uid="gpu_leases.release_on_end")

        pipeline_components.install()  # the registry registers `type: pipeline` components through it
