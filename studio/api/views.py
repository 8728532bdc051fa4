"""REST views of accounts: the signed-in user and API tokens."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import authentication, mixins, permissions, status, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from studio.api.authentication import BearerTokenAuthentication, LimitedBasicAuthentication
from studio.api.serializers import ApiTokenSerializer, IssuedApiTokenSerializer, UserSerializer
from studio.models import ApiToken

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
        LimitedBasicAuthentication,
    ]
    filterset_fields = NAME_FILTERS
    viewers_may_write = True  # one's own tokens: a Viewer's CLI signs in too

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
