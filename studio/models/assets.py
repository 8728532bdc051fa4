"""The versioned asset registry: environments, components and data assets.

Every asset is `name` + `version`, immutable once created. The asset-registry issue fills in
the Azure ML YAML schemas; these models hold what every asset shares.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

ASSET_NAME_HELP = "Lowercase letters, digits, '-' and '_'"


class VersionedAssetQuerySet(models.QuerySet):
    """Queries shared by every versioned asset."""

    def visible(self) -> VersionedAssetQuerySet:
        """Assets that pickers offer (not archived)."""
        return self.filter(archived=False)


class VersionedAsset(models.Model):
    """Fields and behaviour shared by every versioned, immutable asset."""

    name = models.CharField(max_length=255, help_text=ASSET_NAME_HELP)
    version = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=dict, blank=True)
    # The normalised definition; the content hash is taken over it.
    spec = models.JSONField(default=dict)
    content_hash = models.CharField(max_length=64, db_index=True)
    archived = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = VersionedAssetQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="%(class)s_name_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}:{self.version}"


class Environment(VersionedAsset):
    """A runtime for steps: a base image or Dockerfile, Python dependencies, variables."""

    class Meta(VersionedAsset.Meta):
        pass


class Component(VersionedAsset):
    """An Azure ML v2 command component: typed inputs and outputs, a command, an environment."""

    class Meta(VersionedAsset.Meta):
        pass


class DataAsset(VersionedAsset):
    """A versioned file or folder (uri_file / uri_folder) that steps read."""

    class Meta(VersionedAsset.Meta):
        verbose_name = "data asset"
