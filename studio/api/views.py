"""REST views of the studio app: the signed-in user, API tokens, computes and assets."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import authentication, mixins, permissions, status, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from studio.api.authentication import BearerTokenAuthentication
from studio.api.serializers import (
    ApiTokenSerializer,
    ComponentSerializer,
    ComputeSerializer,
    DataAssetSerializer,
    EnvironmentSerializer,
    IssuedApiTokenSerializer,
    UserSerializer,
)
from studio.models import ApiToken, Component, Compute, DataAsset, Environment

NAME_FILTERS = {"name": ["exact", "icontains"]}


@extend_schema(responses=UserSerializer)
@api_view(["GET"])
@permission_classes([permissions.IsAuthenticated])
def me(request):
    """The signed-in user."""
    return Response(UserSerializer(request.user).data)


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The signed-in user's API tokens. Creating one is also how `studio login` signs in, with
    HTTP Basic credentials; deleting one revokes it."""

    serializer_class = ApiTokenSerializer
    authentication_classes = [
        BearerTokenAuthentication,
        authentication.SessionAuthentication,
        authentication.BasicAuthentication,
    ]
    filterset_fields = NAME_FILTERS

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)

    @extend_schema(responses={201: IssuedApiTokenSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            token, raw = ApiToken.issue(request.user, serializer.validated_data["name"])
        token.token = raw
        return Response(IssuedApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        instance.revoke()


class ComputeViewSet(viewsets.ReadOnlyModelViewSet):
    """Registered computes."""

    queryset = Compute.objects.all()
    serializer_class = ComputeSerializer
    filterset_fields = {**NAME_FILTERS, "kind": ["exact"], "state": ["exact"]}


class EnvironmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Environment versions."""

    queryset = Environment.objects.select_related("created_by")
    serializer_class = EnvironmentSerializer
    filterset_fields = {**NAME_FILTERS, "version": ["exact"], "archived": ["exact"]}


class ComponentViewSet(viewsets.ReadOnlyModelViewSet):
    """Component versions."""

    queryset = Component.objects.select_related("created_by")
    serializer_class = ComponentSerializer
    filterset_fields = {**NAME_FILTERS, "version": ["exact"], "archived": ["exact"]}


class DataAssetViewSet(viewsets.ReadOnlyModelViewSet):
    """Data asset versions."""

    queryset = DataAsset.objects.select_related("created_by")
    serializer_class = DataAssetSerializer
    filterset_fields = {**NAME_FILTERS, "version": ["exact"], "archived": ["exact"]}
