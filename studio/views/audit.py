"""The audit log page (Admins only): who did what, newest first, filtered and paginated."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from studio.api.audit import AuditFilter
from studio.audit import ACTIONS
from studio.models import AuditEntry
from studio.models.audit import AuditSource
from studio.roles import check_admin

PAGE_SIZE = 50


def audit_log(request):
    """Entries filtered by actor, action, source and date (the same filters as `/api/v1/audit/`)."""
    check_admin(request.user, "read the audit log")
    filters = AuditFilter(
        request.GET, queryset=AuditEntry.objects.select_related("actor").order_by("-at", "-id")
    )
    entries = filters.qs if filters.is_valid() else AuditEntry.objects.none()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    kinds = sorted({action.split(".")[0] + "." for action in ACTIONS})
    return render(
        request,
        "studio/audit.html",
        {
            "page": page,
            "entries": page.object_list,
            "filters": filters,
            "values": {
                name: request.GET.get(name, "") for name in ("actor", "action", "source", "since", "until")
            },
            "actions": [*kinds, *ACTIONS],
            "sources": AuditSource.choices,
            "actors": sorted(
                set(AuditEntry.objects.order_by().values_list("actor_label", flat=True).distinct())
            ),
        },
    )
