"""The audit log: who did what, when, through what (`studio.audit.record` writes it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditSource(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    CLI = "cli", "CLI"
    KEY = "key", "Endpoint key"
    SYSTEM = "system", "Studio"


class AuditEntry(models.Model):
    """One action: submit, cancel, publish, key create/revoke, role change, compute change, …"""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
        help_text="who did it; empty for an endpoint key, Studio itself, or a deleted user",
    )
    actor_label = models.CharField(
        max_length=200, help_text="who did it in words, kept when the user is deleted (e.g. a key)"
    )
    action = models.CharField(max_length=40, db_index=True, help_text="e.g. job.submit, key.revoke")
    target_type = models.CharField(max_length=40, help_text="job, endpoint, key, user, compute, draft, …")
    target_name = models.CharField(max_length=255)
    detail = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=AuditSource.choices, default=AuditSource.SYSTEM)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M:%S}" if self.at else "-"
        return f"{when} {self.actor_label} {self.action} {self.target_type} {self.target_name}"
