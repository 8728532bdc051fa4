"""REST views of datastores: list and create at `/datastores/`, one at `/datastores/NAME/`, its
definition at `/datastores/NAME/export/`. Not versioned: creating under a taken name updates it."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from studio.api.parsers import StudioJSONParser
from studio.api.permissions import AdminWrites
from studio.api.serializers import DatastoreSerializer
from studio.datastores import ensure_built_in_datastores
from studio.models import Datastore
from studio.registry import REGISTER, UploadedAttachments, export_asset, register_text
from studio.schemas.loading import LineIndex


class DatastoreViewSet(viewsets.GenericViewSet):
    """Datastores: server folders that `azureml://datastores/<name>/paths/...` names."""

    serializer_class = DatastoreSerializer
    parser_classes = [StudioJSONParser, MultiPartParser, FormParser]
    queryset = Datastore.objects.all()
    filterset_fields = {"name": ["exact", "icontains"], "datastore_type": ["exact"]}
    permission_classes = [AdminWrites]  # a datastore names a folder on the server

    def get_queryset(self):
        return Datastore.objects.select_related("created_by").order_by("name")

    def get_object(self) -> Datastore:
        ensure_built_in_datastores()
        datastore = self.get_queryset().filter(name=self.kwargs["name"]).first()
        if datastore is None:
            raise Http404(f"datastore {self.kwargs['name']} is not registered")
        return datastore

    def list(self, request):
        """Every datastore, by name (the built-in ones included)."""
        ensure_built_in_datastores()
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        description="Register a datastore definition (Azure ML datastore YAML). JSON: the definition "
        "itself; multipart: the part `file`. 201 when created, 200 when a datastore of that name was "
        "updated. `warnings` lists the fields that have no effect here; credentials are never stored."
    )
    def create(self, request):
        upload = request.FILES.get("file")
        if upload is not None:
            datastore, created = register_text(
                upload.read(),
                kind="datastore",
                filename=upload.name,
                attachments=UploadedAttachments({}, filename=upload.name),
                user=request.user,
            )
        elif isinstance(request.data, dict) and request.data and "file" not in request.data:
            datastore, created = REGISTER["datastore"](
                dict(request.data),
                index=LineIndex(),
                filename="request body",
                attachments=None,
                user=request.user,
            )
        else:
            return Response(
                {
                    "detail": "send the definition as JSON, or as the multipart part `file`",
                    "errors": {"file": ["is required"]},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            self.get_serializer(datastore).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def retrieve(self, request, name: str):
        """One datastore."""
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(responses={(200, "application/yaml"): OpenApiTypes.OBJECT})
    def export(self, request, name: str):
        """The definition as Azure ML YAML (without credentials), which registers back unchanged."""
        datastore = self.get_object()
        response = HttpResponse(export_asset(datastore), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{datastore.name}.yml"'
        return response
