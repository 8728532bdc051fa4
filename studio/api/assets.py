"""REST views of the asset registry: environments, components, data assets and models.

Routes (per kind): list and create at `/<kind>/`, versions at `/<kind>/NAME/versions/`, one
version at `/<kind>/NAME/VERSION/` or `/<kind>/NAME@latest/`, with `archive/` (POST archives,
DELETE unarchives) and `export/` (the YAML) below it.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.http import Http404, HttpResponse
from drf_spectacular.drainage import isolate_view_method
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from studio import audit
from studio.api.parsers import StudioJSONParser
from studio.api.serializers import (
    ComponentSerializer,
    DataAssetSerializer,
    EnvironmentSerializer,
    ModelAssetSerializer,
)
from studio.models import Component, DataAsset, Environment, ModelAsset
from studio.registry import REGISTER, UploadedAttachments, export_asset, register_text
from studio.roles import check_can_change
from studio.schemas.loading import LineIndex

UPLOAD_PARTS = ("code", "build", "conda_file", "path")


def anonymous_requested(request) -> bool:
    """Whether the request asks to register a component anonymously (`?anonymous=true`)."""
    return str(request.query_params.get("anonymous", "")).lower() in ("true", "1", "yes")


class AssetFilter(django_filters.FilterSet):
    """Filters of every asset list: name, search, tag and archived."""

    name = django_filters.CharFilter(field_name="name")
    name__icontains = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    version = django_filters.CharFilter(field_name="version")
    q = django_filters.CharFilter(method="search", label="Search names and descriptions")
    tag = django_filters.CharFilter(method="with_tag", label="A tag key, or key:value")
    archived = django_filters.ChoiceFilter(
        method="archived_state",
        choices=(("false", "visible only"), ("true", "archived only"), ("all", "both")),
        empty_label=None,
    )

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))

    def with_tag(self, queryset, name, value):
        key, sep, tag_value = value.partition(":")
        # JSON key lookups differ between SQLite and PostgreSQL; filtering in Python keeps one behaviour.
        matching = [
            pk
            for pk, tags in queryset.values_list("pk", "tags")
            if key in tags and (not sep or str(tags[key]) == tag_value)
        ]
        return queryset.filter(pk__in=matching)

    def archived_state(self, queryset, name, value):
        if value == "true":
            return queryset.filter(archived=True)
        if value == "all":
            return queryset
        return queryset.filter(archived=False)

    def filter_queryset(self, queryset):
        if "archived" not in self.data:
            queryset = queryset.filter(archived=False)
        return super().filter_queryset(queryset)


# An exported definition: a YAML mapping (JSON for a v1-only environment).
EXPORTED = {(200, "application/yaml"): OpenApiTypes.OBJECT, (200, "application/json"): OpenApiTypes.OBJECT}


class AssetViewSet(viewsets.GenericViewSet):
    """Shared behaviour of the three asset kinds."""

    kind = ""
    model = None
    parser_classes = [StudioJSONParser, MultiPartParser, FormParser]
    filterset_class = AssetFilter
    lookup_field = "name"

    def __init_subclass__(cls, **kwargs):
        """Each kind's schema names its own serializer where the answer is not the default one."""
        super().__init_subclass__(**kwargs)
        serializer = cls.serializer_class
        schemas = {
            "versions": extend_schema(responses=serializer(many=True)),
            "unarchive": extend_schema(request=None, responses={200: serializer}),
        }
        for method, schema in schemas.items():
            setattr(cls, method, schema(isolate_view_method(cls, method)))

    def get_queryset(self):
        return self.model.objects.select_related("created_by").order_by("name", "-created_at", "-pk")

    def get_object(self):
        name, version = self.kwargs["name"], self.kwargs.get("version")
        queryset = self.model.objects.select_related("created_by")
        asset = (
            queryset.latest_of(name)
            if version is None
            else queryset.filter(name=name, version=version).first()
        )
        if asset is None:
            label = f"{name}@latest" if version is None else f"{name}:{version}"
            raise Http404(f"{self.model._meta.verbose_name} {label} is not registered")
        return asset

    def list(self, request):
        """Every version, newest first per name; archived ones only with `archived=true|all`."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        description="Register a definition. JSON: the definition itself. Multipart: `file` (the YAML) plus "
        "parts named after the fields that point at local files (`code`, `build`, `conda_file`, `path`), "
        "folders as .tar.gz or .zip. 201 when a new version was created, 200 when an identical one existed. "
        "`warnings` lists the fields Azure ML accepts that have no effect here (file, field, line, message): "
        "the definition's own, its inline environment's and its conda file's (`channels`)."
    )
    def create(self, request):
        upload = request.FILES.get("file")
        if upload is not None:
            filename = upload.name
            text = upload.read()
            parts = {name: request.FILES[name] for name in UPLOAD_PARTS if name in request.FILES}
        elif isinstance(request.data, dict) and request.data and "file" not in request.data:
            filename = "request body"
            text = None
            parts = {}
        else:
            return Response(
                {
                    "detail": "send the definition as JSON, or as the multipart part `file`",
                    "errors": {"file": ["is required"]},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        attachments = UploadedAttachments(parts, filename=filename)
        # `?anonymous=true`: a component a job defines (its local file or inline definition), which
        # `studio job create` registers as the job's own, never as a named version.
        options = {"anonymous": True} if self.kind == "component" and anonymous_requested(request) else {}
        if text is None:
            document = dict(request.data)
            asset, created = REGISTER[self.kind](
                document,
                index=LineIndex(),
                filename=filename,
                attachments=attachments,
                user=request.user,
                **options,
            )
        else:
            asset, created = register_text(
                text,
                kind=self.kind,
                filename=filename,
                attachments=attachments,
                user=request.user,
                **options,
            )
        data = dict(self.get_serializer(asset).data)
        if "warnings" not in data:  # models keep theirs; the others are said once, here
            data["warnings"] = [problem.as_dict() for problem in getattr(asset, "registration_warnings", [])]
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def versions(self, request, name: str):
        """Every version of one asset, newest first (archived included)."""
        queryset = self.get_queryset().filter(name=name)
        if not queryset.exists():
            raise Http404(f"no {self.model._meta.verbose_name} named {name!r}")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, name: str, version: str | None = None):
        """One version, or the latest with `NAME@latest`."""
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=None)
    def archive(self, request, name: str, version: str | None = None):
        """Hide a version from pickers and @latest; jobs that used it keep it. Its owner or an Admin."""
        asset = self.get_object()
        check_can_change(request.user, asset, f"archive {asset.name}:{asset.version}")
        asset.set_archived(True)
        audit.record(request.user, "asset.archive", asset)
        return Response(self.get_serializer(asset).data)

    def unarchive(self, request, name: str, version: str | None = None):
        """Show an archived version again. Its owner or an Admin."""
        asset = self.get_object()
        check_can_change(request.user, asset, f"unarchive {asset.name}:{asset.version}")
        asset.set_archived(False)
        audit.record(request.user, "asset.unarchive", asset)
        return Response(self.get_serializer(asset).data)

    @extend_schema(responses=EXPORTED)
    def export(self, request, name: str, version: str | None = None):
        """The definition as YAML (v1 JSON for v1-only environments) that registers back unchanged."""
        asset = self.get_object()
        text = export_asset(asset)
        content_type = "application/json" if text.lstrip().startswith("{") else "application/yaml"
        response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
        extension = "json" if content_type == "application/json" else "yml"
        response["Content-Disposition"] = f'inline; filename="{asset.name}-{asset.version}.{extension}"'
        return response


class EnvironmentViewSet(AssetViewSet):
    """Environment versions."""

    kind = "environment"
    model = Environment
    serializer_class = EnvironmentSerializer
    queryset = Environment.objects.all()


class ComponentViewSet(AssetViewSet):
    """Command component versions."""

    kind = "component"
    model = Component
    serializer_class = ComponentSerializer
    queryset = Component.objects.all()

    def get_queryset(self):
        return super().get_queryset().select_related("environment")


class DataAssetViewSet(AssetViewSet):
    """Data asset versions."""

    kind = "data"
    model = DataAsset
    serializer_class = DataAssetSerializer
    queryset = DataAsset.objects.all()


class ModelAssetViewSet(AssetViewSet):
    """Model versions (custom_model, mlflow_model)."""

    kind = "model"
    model = ModelAsset
    serializer_class = ModelAssetSerializer
    queryset = ModelAsset.objects.all()
