"""What the designer's column pickers read: the columns of a data asset (from its stored file) and
a component's column declarations (pipelines/columns.py). Read-only.

Routes under /api/v1/: `data/<name>/<version>/columns/`, `components/<name>/<version>/columns/`.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from designer.api.serializers import ErrorSerializer
from pipelines.columns import component_rules
from studio.data_columns import NotTabular, snapshot_table
from studio.models import Component, DataAsset


@extend_schema(
    responses={
        200: OpenApiResponse(
            OpenApiTypes.OBJECT,
            description="{columns: [{name, type: numeric|boolean|string}], source: the file read} or, "
            "when the data has no columns Studio can read, {columns: null, reason}",
        ),
        404: OpenApiResponse(ErrorSerializer, description="No such data asset version"),
    },
)
@api_view(["GET"])
def data_columns_view(request, name: str, version: str):
    """The columns of a registered data asset, read from the header and first rows of its file."""
    asset = DataAsset.objects.filter(name=name, version=version).first()
    if asset is None:
        raise Http404(f"data asset {name}:{version} is not registered")
    if asset.is_reference:
        return Response({"columns": None, "reason": "the data is read from a URL when a step runs"})
    try:
        return Response(snapshot_table(asset.snapshot_digest, asset.data_type).as_dict())
    except NotTabular as error:
        return Response({"columns": None, "reason": str(error)})


@extend_schema(
    responses={
        200: OpenApiResponse(
            OpenApiTypes.OBJECT,
            description="{parameters: {port: {of, many}}, outputs: {port: {keep, add, remove, select, "
            "mode, more, when}}}: empty for a component that declares none",
        ),
        404: OpenApiResponse(ErrorSerializer, description="No such component version"),
    },
)
@api_view(["GET"])
def component_columns_view(request, name: str, version: str):
    """Which parameters of a component name columns, and how its outputs' columns follow its inputs'."""
    component = Component.objects.filter(name=name, version=version).first()
    if component is None:
        raise Http404(f"component {name}:{version} is not registered")
    return Response(component_rules(name, version, component.spec).as_dict())
