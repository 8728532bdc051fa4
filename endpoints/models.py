"""Published pipeline endpoints, their frozen versions, their keys and every invocation.

An endpoint version is immutable: a frozen PipelineSpec with exact component versions and the
typed parameter schema built from it when it was published. Keys are shown once and stored as a
SHA-256 digest, scoped to one endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

KEY_PREFIX = "sep_"


def hash_key(raw: str) -> str:
    """The stored form of an endpoint key (256 random bits, so SHA-256 is enough)."""
    return hashlib.sha256(raw.encode()).hexdigest()


class EndpointStatus(models.TextChoices):
    ACTIVE = "Active", "Active"
    DISABLED = "Disabled", "Disabled"


class PipelineEndpoint(models.Model):
    """A name other systems invoke; which pipeline runs is its default (or a pinned) version."""

    name = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=EndpointStatus.choices, default=EndpointStatus.ACTIVE)
    default_version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/endpoints/{self.name}/"

    @property
    def is_active(self) -> bool:
        return self.status == EndpointStatus.ACTIVE

    def version(self, number: int | None = None) -> EndpointVersion | None:
        """The version `number`, or the default one."""
        return self.versions.filter(number=number or self.default_version).first()


class EndpointVersion(models.Model):
    """One published pipeline: frozen, never changed."""

    endpoint = models.ForeignKey(PipelineEndpoint, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    description = models.TextField(blank=True)
    spec = models.JSONField(help_text="The frozen PipelineSpec this version runs")
    parameters = models.JSONField(help_text="The typed parameter schema built from the pipeline inputs")
    source = models.CharField(max_length=10, help_text="draft, job or yaml")
    source_ref = models.CharField(max_length=255, blank=True, help_text="draft id, job name or file name")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["endpoint", "-number"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "number"], name="one_number_per_endpoint")]

    def __str__(self) -> str:
        return f"{self.endpoint.name} v{self.number}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(f"{self} is published and cannot change; publish a new version")
        super().save(*args, **kwargs)


class EndpointKeyQuerySet(models.QuerySet["EndpointKey"]):
    def active(self) -> EndpointKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class EndpointKey(models.Model):
    """A secret that lets another system invoke one endpoint (and read or cancel its runs)."""

    endpoint = models.ForeignKey(PipelineEndpoint, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = EndpointKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, endpoint: PipelineEndpoint, name: str, *, user=None) -> tuple[EndpointKey, str]:
        """A new key and its secret, which is never stored."""
        raw = KEY_PREFIX + secrets.token_urlsafe(32)
        key = cls.objects.create(
            endpoint=endpoint,
            name=name,
            prefix=raw[:12],
            key_hash=hash_key(raw),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        return key, raw

    @classmethod
    def authenticate(cls, raw: str) -> EndpointKey | None:
        """The active key matching `raw` (marking it used), or None."""
        if not raw.startswith(KEY_PREFIX):
            return None
        digest = hash_key(raw)
        key = cls.objects.active().select_related("endpoint").filter(key_hash=digest).first()
        if key is None or not hmac.compare_digest(key.key_hash, digest):
            return None
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            cls.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            EndpointKey.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=self.revoked_at)


class EndpointInvocation(models.Model):
    """Every call of an endpoint's invoke route that got past authentication, accepted or not."""

    endpoint = models.ForeignKey(PipelineEndpoint, on_delete=models.CASCADE, related_name="invocations")
    version = models.ForeignKey(
        EndpointVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="invocations"
    )
    key = models.ForeignKey(
        EndpointKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="invocations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    caller = models.CharField(
        max_length=40, help_text="key:<id> or user:<id>: whose idempotency keys these are"
    )
    job = models.ForeignKey(
        "runner.PipelineJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="invocations"
    )
    status_code = models.PositiveSmallIntegerField()
    parameters = models.JSONField(default=dict, blank=True)
    inputs = models.JSONField(default=dict, blank=True)
    problems = models.JSONField(default=list, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001 (NULL: no key, unique otherwise)
    request_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "caller", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="one_job_per_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint.name} {self.created_at:%Y-%m-%d %H:%M:%S} {self.status_code}"
