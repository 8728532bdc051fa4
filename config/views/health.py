"""The public health check used by load balancers, compose and the tests."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from runner import broker


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Answer 200 when the database responds, 503 otherwise; says nothing secret."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except DatabaseError:
        database = "unavailable"
    healthy = database == "ok"
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": database,
            "broker": "in-process" if broker.is_embedded() else "redis",
        },
        status=200 if healthy else 503,
    )
