"""The designer app: pipeline drafts and the drag-and-drop canvas."""

from __future__ import annotations

from django.apps import AppConfig


class DesignerConfig(AppConfig):
    """Pipeline drafts, graph validation and compilation to PipelineSpec."""

    name = "designer"
    default_auto_field = "django.db.models.BigAutoField"
