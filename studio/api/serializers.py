"""Serializers of the studio API."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from studio.models import ApiToken, Component, Compute, DataAsset, Environment


class UserSerializer(serializers.ModelSerializer):
    """The signed-in user."""

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "is_staff"]
        read_only_fields = fields


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


class ComputeSerializer(serializers.ModelSerializer):
    """A registered compute and its last known state."""

    class Meta:
        model = Compute
        fields = [
            "id",
            "name",
            "kind",
            "description",
            "engine_url",
            "max_concurrent_steps",
            "cpus",
            "memory_mb",
            "gpu_ids",
            "state",
            "state_detail",
            "checked_at",
            "discovered",
            "created_at",
        ]
        read_only_fields = fields


class VersionedAssetSerializer(serializers.ModelSerializer):
    """Fields every versioned asset shares."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        fields = [
            "id",
            "name",
            "version",
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

    class Meta(VersionedAssetSerializer.Meta):
        model = Component


class DataAssetSerializer(VersionedAssetSerializer):
    """A data asset version."""

    class Meta(VersionedAssetSerializer.Meta):
        model = DataAsset
