"""Admin of pipeline drafts."""

from __future__ import annotations

from django.contrib import admin

from designer.models import PipelineDraft


@admin.register(PipelineDraft)
class PipelineDraftAdmin(admin.ModelAdmin):
    """Drafts, deleted ones included (their `deleted_at` is set)."""

    list_display = ["name", "revision", "created_by", "updated_at", "last_job_name", "deleted_at"]
    list_filter = ["deleted_at"]
    search_fields = ["name", "description"]
    readonly_fields = ["revision", "created_at", "updated_at", "last_job_name"]
