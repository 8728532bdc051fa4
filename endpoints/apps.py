from django.apps import AppConfig


class EndpointsConfig(AppConfig):
    """Published pipeline endpoints: versions, keys and invocations."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "endpoints"
    verbose_name = "Pipeline endpoints"

    def ready(self) -> None:
        from endpoints import notifications  # noqa: F401  (connects its receivers)
