"""GET /api/v1/components/<name>/<version>/graph/: a pipeline component's inner graph, for the
designer to show when a pipeline-component node is opened. Read-only: nothing is saved."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from designer.api.serializers import ErrorSerializer
from pipelines.graph.component_graph import NotAPipelineComponent, component_graph
from studio.models import Component


@extend_schema(
    responses={
        200: OpenApiResponse(
            OpenApiTypes.OBJECT,
            description="{component: {name, version, display_name, description}, nodes: [{id, type: "
            "input|output|component|data, position, data}], edges: [{id, source, sourceHandle, target, "
            "targetHandle}]}: the steps as on a canvas, the component's inputs and outputs as boundary "
            "nodes",
        ),
        400: OpenApiResponse(ErrorSerializer, description="The component is a command component"),
        404: OpenApiResponse(ErrorSerializer, description="No such component version"),
    },
)
@api_view(["GET"])
def component_graph_view(request, name: str, version: str):
    """The inner graph of a registered pipeline component (`type: pipeline`)."""
    component = Component.objects.filter(name=name, version=version).first()
    if component is None:
        raise Http404(f"component {name}:{version} is not registered")
    try:
        graph = component_graph({**component.spec, "name": name, "version": version})
    except NotAPipelineComponent:
        return Response(
            {
                "detail": f"component {name}:{version} is a command component: only a pipeline "
                "component (type: pipeline) has an inner graph",
                "errors": {"type": ["must be pipeline"]},
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    if not graph["component"]["display_name"]:
        graph["component"]["display_name"] = component.display_name or name
    return Response(graph)
