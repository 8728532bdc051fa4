"""The versioned asset registry: environments, components and data assets.

Every asset is `name` + `version`, immutable once created: only the archive flag changes. The
normalised definition is kept in `spec`; `content_hash` is taken over it (without the version),
so registering an identical definition again finds the existing version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from studio.errors import StudioError

MUTABLE_FIELDS = frozenset({"archived"})


class ImmutableAssetError(StudioError):
    """Raised when code tries to change a registered asset version other than archiving it (409)."""

    status = 409


class VersionedAssetQuerySet(models.QuerySet):
    """Queries shared by every versioned asset."""

    def visible(self) -> VersionedAssetQuerySet:
        """Assets that pickers offer (not archived)."""
        return self.filter(archived=False)

    def latest_of(self, name: str):
        """The newest visible version of `name`, or None (`NAME@latest`)."""
        return self.visible().filter(name=name).order_by("-created_at", "-pk").first()

    def update(self, **kwargs):
        """Bulk updates may only archive or unarchive."""
        changed = set(kwargs) - MUTABLE_FIELDS
        if changed:
            raise ImmutableAssetError(
                f"asset versions are immutable; cannot update {', '.join(sorted(changed))}"
            )
        return super().update(**kwargs)


class VersionedAsset(models.Model):
    """Fields and behaviour shared by every versioned, immutable asset."""

    name = models.CharField(max_length=255)
    version = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=dict, blank=True)
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

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            original = type(self).objects.filter(pk=self.pk).values().first()
            if original is not None:
                changed = [
                    field.attname
                    for field in self._meta.concrete_fields
                    if field.attname not in MUTABLE_FIELDS
                    and field.attname in original
                    and original[field.attname] != getattr(self, field.attname)
                ]
                if changed:
                    raise ImmutableAssetError(
                        f"{self} is immutable; register a new version "
                        f"instead of changing {', '.join(changed)}"
                    )
        super().save(*args, **kwargs)

    @property
    def reference(self) -> str:
        """How YAML refers to this exact version."""
        return f"azureml:{self.name}:{self.version}"

    def set_archived(self, archived: bool) -> None:
        """Hide the version from pickers (or show it again); jobs that used it keep it."""
        type(self).objects.filter(pk=self.pk).update(archived=archived)
        self.archived = archived

    def versions(self):
        """Every version of this asset, newest first."""
        return type(self).objects.filter(name=self.name).order_by("-created_at", "-pk")


class Environment(VersionedAsset):
    """A runtime for steps: a base image or Dockerfile, Python dependencies, variables."""

    class Meta(VersionedAsset.Meta):
        pass

    @property
    def is_anonymous(self) -> bool:
        """Registered from an inline `environment:` of a component."""
        return self.tags.get("anonymous") == "true"


class Component(VersionedAsset):
    """An Azure ML v2 command component: typed inputs and outputs, a command, an environment."""

    display_name = models.CharField(max_length=255, blank=True)
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="components", null=True
    )
    code_digest = models.CharField(max_length=64, blank=True)

    class Meta(VersionedAsset.Meta):
        pass

    @property
    def inputs(self) -> dict:
        """The typed inputs, as declared."""
        return self.spec.get("inputs", {})

    @property
    def outputs(self) -> dict:
        """The typed outputs, as declared."""
        return self.spec.get("outputs", {})

    @property
    def category(self) -> str:
        """The designer palette category (`tags.category`)."""
        return self.tags.get("category", "")


class DataAsset(VersionedAsset):
    """A versioned file or folder (uri_file / uri_folder) that steps read."""

    data_type = models.CharField(max_length=16, default="uri_folder")
    snapshot_digest = models.CharField(max_length=64, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    file_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta(VersionedAsset.Meta):
        verbose_name = "data asset"

    @property
    def is_reference(self) -> bool:
        """Whether the data is an http(s) URL fetched at run time rather than stored."""
        return bool(self.url)
