"""Model assets: versioned, content-addressed model folders or files (Azure ML `model` YAML)."""

from __future__ import annotations

from django.db import models

from studio.choices import ModelType
from studio.models.assets import VersionedAsset


class ModelAsset(VersionedAsset):
    """A versioned model: an MLflow model folder (with its MLmodel file) or any custom model files."""

    model_type = models.CharField(max_length=16, choices=ModelType.choices, default=ModelType.CUSTOM_MODEL)
    snapshot_digest = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    file_count = models.PositiveIntegerField(null=True, blank=True)
    stage = models.CharField(max_length=64, blank=True)
    warnings = models.JSONField(default=list, blank=True, help_text="Fields that have no effect here")

    class Meta(VersionedAsset.Meta):
        verbose_name = "model"
