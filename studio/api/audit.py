"""REST view of the audit log (Admins only): `GET /api/v1/audit/`, newest first, paginated like
every list, filtered by actor, action, target, source and date (`studio.audit`)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from rest_framework import mixins, serializers, viewsets

from studio.api.permissions import AdminOnly
from studio.models import AuditEntry
from studio.models.audit import AuditSource


class AuditFilter(django_filters.FilterSet):
    """The filters of the audit log page and API."""

    actor = django_filters.CharFilter(method="by_actor", label="Username (or key label) of who did it")
    action = django_filters.CharFilter(
        method="by_action", label="An action (job.submit), or every action of a kind (job.)"
    )
    target_type = django_filters.CharFilter(field_name="target_type")
    target = django_filters.CharFilter(field_name="target_name", lookup_expr="icontains", label="Target name")
    source = django_filters.ChoiceFilter(choices=AuditSource.choices)
    since = django_filters.DateFilter(
        field_name="at", lookup_expr="date__gte", label="On or after (YYYY-MM-DD)"
    )
    until = django_filters.DateFilter(
        field_name="at", lookup_expr="date__lte", label="On or before (YYYY-MM-DD)"
    )

    class Meta:
        model = AuditEntry
        fields = ["actor", "action", "target_type", "target", "source", "since", "until"]

    def by_actor(self, queryset, name, value):
        return queryset.filter(Q(actor__username=value) | Q(actor_label=value))

    def by_action(self, queryset, name, value):
        if value.endswith("."):
            return queryset.filter(action__startswith=value)
        return queryset.filter(action=value)


class AuditEntrySerializer(serializers.ModelSerializer):
    """One entry: when, who (`actor`: the username now, None for a key or a deleted user;
    `actor_label`: who in words), what, to what, and through what."""

    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_label",
            "action",
            "target_type",
            "target_name",
            "detail",
            "source",
        ]
        read_only_fields = fields


class AuditEntryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Who did what: submits, cancels, publishes, keys, roles, computes (Admin only)."""

    serializer_class = AuditEntrySerializer
    permission_classes = [AdminOnly]
    filterset_class = AuditFilter
    queryset = AuditEntry.objects.select_related("actor").order_by("-at", "-id")
