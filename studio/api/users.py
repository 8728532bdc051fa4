"""REST views of accounts for Admins: `/api/v1/users/` lists users with their role and creates
one (username, password, role); `/api/v1/users/NAME/` shows one, PATCH changes its `role` (or
`is_active`). Everyone else gets 403: other people's accounts are an Admin's business."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import mixins, serializers, viewsets

from studio import audit
from studio.api.permissions import AdminOnly
from studio.errors import StudioError
from studio.roles import ADMIN, MEMBER, ROLES, role_of, set_role

INACTIVE = "inactive"  # the role an account shows once deactivated; never one to set


class RoleField(serializers.ChoiceField):
    """A role to set (admin, member, viewer); read back, a deactivated account's is `inactive`."""


class RoleFieldSchema(OpenApiSerializerFieldExtension):
    """The role's schema: the roles to set in a request, those and `inactive` in a response."""

    target_class = RoleField

    def map_serializer_field(self, auto_schema, direction):
        roles = [*ROLES, INACTIVE] if direction == "response" else list(ROLES)
        return {"type": "string", "enum": roles}


class AccountSerializer(serializers.ModelSerializer):
    """A user as an Admin sees it; `password` is written, never read."""

    role = RoleField(choices=ROLES, default=MEMBER)
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "role", "is_active", "date_joined", "last_login", "password"]
        read_only_fields = ["id", "date_joined", "last_login"]

    def to_representation(self, user):
        data = super().to_representation(user)
        data["role"] = role_of(user) or (INACTIVE if not user.is_active else MEMBER)
        return data

    def validate_password(self, value: str) -> str:
        validate_password(value)
        return value

    def validate(self, attrs):
        if self.instance is None and not attrs.get("password"):
            raise serializers.ValidationError({"password": ["is required"]})
        if self.instance is not None and set(self.initial_data) - {"role", "is_active", "email"}:
            unknown = sorted(set(self.initial_data) - {"role", "is_active", "email"})
            raise serializers.ValidationError({field: ["cannot change here"] for field in unknown})
        return attrs

    @transaction.atomic
    def create(self, validated_data):
        role = validated_data.pop("role", MEMBER)
        user = get_user_model().objects.create_user(**validated_data)
        set_role(user, role, audit=False)
        audit.record(self._by(), "user.create", user, role=role)
        return user

    @transaction.atomic
    def update(self, user, validated_data):
        role = validated_data.pop("role", None)
        changed = {field: value for field, value in validated_data.items() if getattr(user, field) != value}
        for field, value in validated_data.items():
            setattr(user, field, value)
        user.save()
        if changed:
            audit.record(self._by(), "user.update", user, **changed)
        if role is not None:
            set_role(user, role, by=self._by())
        return user

    def _by(self):
        request = self.context.get("request")
        return getattr(request, "user", None)


class UserViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Users and their roles (Admin only)."""

    serializer_class = AccountSerializer
    permission_classes = [AdminOnly]
    lookup_field = "username"
    lookup_value_regex = r"[\w.@+-]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = {"username": ["exact", "icontains"]}

    def get_queryset(self):
        return get_user_model().objects.order_by("username").prefetch_related("groups")

    def partial_update(self, request, *args, **kwargs):
        user = self.get_object()
        demoted = request.data.get("role", ADMIN) != ADMIN or request.data.get("is_active") is False
        if user.pk == request.user.pk and demoted:  # someone must be left to manage Studio
            raise StudioError("an Admin cannot take away their own Admin role", field="role")
        return super().partial_update(request, *args, **kwargs)
