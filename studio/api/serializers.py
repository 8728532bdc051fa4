"""Serializers of the studio API."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from studio.models import ApiToken, Component, DataAsset, Datastore, Environment, ModelAsset
from studio.roles import role_of


class UserSerializer(serializers.ModelSerializer):
    """The signed-in user, with their role (admin, member or viewer)."""

    role = serializers.SerializerMethodField()
    email = serializers.CharField(read_only=True)

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "is_staff", "role"]
        read_only_fields = fields

    def get_role(self, user) -> str | None:
        return role_of(user)


class ApiTokenSerializer(serializers.ModelSerializer):
    """An API token as listed: never its secret."""

    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at", "is_active"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at", "is_active"]


class IssuedApiTokenSerializer(ApiTokenSerializer):
    """A token just created, with the secret shown this once."""

    token = serializers.CharField(read_only=True)

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = [*ApiTokenSerializer.Meta.read_only_fields, "token"]


class VersionedAssetSerializer(serializers.ModelSerializer):
    """Fields every versioned asset shares; all read-only, since versions are immutable."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reference = serializers.CharField(read_only=True)

    class Meta:
        fields = [
            "id",
            "name",
            "version",
            "reference",
            "description",
            "tags",
            "spec",
            "content_hash",
            "archived",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class EnvironmentSerializer(VersionedAssetSerializer):
    """An environment version."""

    class Meta(VersionedAssetSerializer.Meta):
        model = Environment


class ComponentSerializer(VersionedAssetSerializer):
    """A component version."""

    environment = serializers.SerializerMethodField()

    class Meta(VersionedAssetSerializer.Meta):
        model = Component
        fields = [*VersionedAssetSerializer.Meta.fields, "display_name", "environment", "code_digest"]
        read_only_fields = fields

    def get_environment(self, component: Component) -> str | None:
        return str(component.environment) if component.environment_id else None


class DataAssetSerializer(VersionedAssetSerializer):
    """A data asset version."""

    url = serializers.CharField(read_only=True, help_text="Where the data is; empty for an uploaded one")

    class Meta(VersionedAssetSerializer.Meta):
        model = DataAsset
        fields = [
            *VersionedAssetSerializer.Meta.fields,
            "data_type",
            "snapshot_digest",
            "url",
            "size_bytes",
            "file_count",
        ]
        read_only_fields = fields


def _warnings(record) -> list[dict]:
    """Fields with no effect here: with file and line just after registering, else as stored."""
    fresh = getattr(record, "registration_warnings", None)
    if fresh is not None:
        return [problem.as_dict() for problem in fresh]
    return [
        {"file": None, "field": item.get("field", ""), "line": None, "message": item.get("message", "")}
        for item in record.warnings or []
    ]


class ModelAssetSerializer(VersionedAssetSerializer):
    """A model version, with the fields of its definition that have no effect here."""

    warnings = serializers.SerializerMethodField()

    class Meta(VersionedAssetSerializer.Meta):
        model = ModelAsset
        fields = [
            *VersionedAssetSerializer.Meta.fields,
            "model_type",
            "stage",
            "snapshot_digest",
            "size_bytes",
            "file_count",
            "warnings",
        ]
        read_only_fields = fields

    def get_warnings(self, model: ModelAsset) -> list[dict]:
        return _warnings(model)


class DatastoreSerializer(serializers.ModelSerializer):
    """A datastore: its server folder, the Azure fields kept without effect, and why they have none."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reference = serializers.CharField(read_only=True)
    uri = serializers.CharField(read_only=True)
    is_default = serializers.BooleanField(read_only=True)
    folder = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Datastore
        fields = [
            "id",
            "name",
            "reference",
            "uri",
            "datastore_type",
            "description",
            "tags",
            "folder",
            "server_folder",
            "is_default",
            "built_in",
            "spec",
            "warnings",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_folder(self, datastore: Datastore) -> str:
        return str(datastore.folder())

    def get_warnings(self, datastore: Datastore) -> list[dict]:
        return _warnings(datastore)


class ErrorProblemSerializer(serializers.Serializer):
    """One problem of a `ProblemsError`: in a file (file, line) or on a graph (node, port)."""

    file = serializers.CharField(required=False, allow_null=True, help_text="The file, for a problem in one")
    node = serializers.CharField(required=False, allow_null=True, help_text="The node id, on a graph")
    port = serializers.CharField(required=False, allow_null=True, help_text="The port, on a graph")
    field = serializers.CharField(allow_blank=True)
    line = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """Studio's one error shape (`studio.api.errors`): `detail`, `errors` by field, and for some
    errors more keys: `problems` (a definition that does not compile), `current_revision` (a stale
    save), `limit_bytes` (a body too large)."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    problems = ErrorProblemSerializer(many=True, required=False)
