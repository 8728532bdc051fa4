"""Queries the endpoint pages and the REST API share: lists that never load a spec.

A job an endpoint ran, or a version of it, may hold the frozen spec of thousands of steps; lists
show a few of their fields, so they select those and leave the specs in the database.
"""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.utils import timezone

from endpoints.models import EndpointInvocation, EndpointVersion, PipelineEndpoint

# What a run's status shows of each of its steps (`endpoints.api.serializers.run_status`).
RUN_STEP_FIELDS = ("job", "name", "display_name", "status", "reused_from", "started_at", "finished_at")


def start_of_today() -> datetime:
    """Midnight today in TIME_ZONE."""
    now = timezone.localtime()
    return timezone.make_aware(datetime.combine(now.date(), time.min), now.tzinfo)


def endpoints_with_activity() -> QuerySet[PipelineEndpoint]:
    """Endpoints with their runs today, version count and last run (job, status, when)."""
    last = EndpointInvocation.objects.filter(endpoint=OuterRef("pk"), job__isnull=False).order_by(
        "-created_at", "-pk"
    )
    return PipelineEndpoint.objects.select_related("created_by", "updated_by").annotate(
        runs_today=Count(
            "invocations",
            filter=Q(invocations__job__isnull=False, invocations__created_at__gte=start_of_today()),
            distinct=True,
        ),
        version_count=Count("versions", distinct=True),
        last_job=Subquery(last.values("job__name")[:1]),
        last_job_status=Subquery(last.values("job__status")[:1]),
        last_run_at=Subquery(last.values("created_at")[:1]),
    )


def versions_listed(endpoint: PipelineEndpoint) -> QuerySet[EndpointVersion]:
    """An endpoint's versions, newest first, without their specs and parameter schemas (a page that
    needs one version's, the chosen one or the two it compares, reads it when it is used), with
    the experiment name their spec sets, read by the database."""
    return (
        endpoint.versions.select_related("created_by")
        .defer("spec", "parameters")
        .annotate(experiment_name=KT("spec__experiment_name"))
    )


def invocations_listed(endpoint: PipelineEndpoint) -> QuerySet[EndpointInvocation]:
    """An endpoint's invocations, newest first, with their job, key, user and version (no specs)."""
    return endpoint.invocations.select_related("job", "key", "user", "version").defer(
        "job__spec", "version__spec", "version__parameters"
    )


def runs_listed(endpoint: PipelineEndpoint) -> QuerySet[EndpointInvocation]:
    """An endpoint's invocations with their job's steps as a run's status shows them (no specs)."""
    from runner.models import StepRun

    steps = StepRun.objects.only(*RUN_STEP_FIELDS).order_by("pk")
    return (
        endpoint.invocations.select_related("job", "version")
        .defer("job__spec", "version__spec", "version__parameters")
        .prefetch_related(Prefetch("job__steps", queryset=steps))
    )
