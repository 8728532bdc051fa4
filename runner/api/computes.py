"""REST views of computes: register, change capacity, drain, check health, delete."""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import ProtectedError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from runner import presence
from runner.computes import CheckRequest, request_check
from studio import audit
from studio.api.permissions import AdminWrites
from studio.choices import ComputeKind
from studio.engine_tls import EngineTLS, tls_problems
from studio.errors import StudioError
from studio.models import Compute

ENGINE_URL = re.compile(r"^(unix|tcp|ssh|https?)://\S+$")
ENGINE_TLS_URL = re.compile(r"^(tcp|https)://\S+$")
CAPACITY_FIELDS = ("description", "max_concurrent_steps", "cpus", "memory_mb", "gpu_ids", "network")
# Write-only PEM text of a tcp:// engine's TLS client material; PATCH replaces it (all three '': removed).
TLS_FIELDS = ("tls_ca", "tls_cert", "tls_key")


def _pem_field(label: str) -> serializers.CharField:
    return serializers.CharField(
        write_only=True, required=False, allow_blank=True, trim_whitespace=False, help_text=label
    )


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "array",
                "items": {"oneOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]},
                "uniqueItems": True,
                "description": "GPU device ids (answered as strings)",
            },
            {"type": "string", "enum": ["auto"], "description": "detect them through the engine"},
        ],
        "description": 'GPU device ids steps may use, e.g. ["0", "1"]; on create or update "auto" '
        "detects them through the engine's NVIDIA runtime (docker) or nvidia-smi (local), or is a "
        "400 at gpu_ids saying why. Answers always carry the list.",
    }
)
class GpuIdsField(serializers.JSONField):
    """`gpu_ids`: a list of device ids, or "auto" on the way in (checked in the serializer)."""


def detected_gpus(kind: str | None, engine_url: str) -> list[str]:
    """`gpu_ids: "auto"`: the compute's GPUs as its engine (or nvidia-smi) reports them, or a 400."""
    from runner.gpu_detect import GpuDetectionError, detect_gpus

    try:
        return detect_gpus(kind or ComputeKind.DOCKER, engine_url or "")
    except GpuDetectionError as error:
        raise serializers.ValidationError({"gpu_ids": [f"auto: {error}"]}) from error


class ComputeSerializer(serializers.ModelSerializer):
    """A compute, its capacity and its last known state."""

    workers = serializers.SerializerMethodField(help_text="The live workers that take its steps")
    gpu_ids = GpuIdsField(required=False)

    tls_ca = _pem_field("PEM CA certificate that signed the tcp:// engine's certificate")
    tls_cert = _pem_field("PEM client certificate the tcp:// engine trusts")
    tls_key = _pem_field("PEM private key of the client certificate (unencrypted)")
    tls = serializers.SerializerMethodField(help_text="whether TLS material is set, and its fingerprint")

    class Meta:
        model = Compute
        fields = [
            "id",
            "name",
            "kind",
            "description",
            "engine_url",
            "tls_ca",
            "tls_cert",
            "tls_key",
            "tls",
            "max_concurrent_steps",
            "cpus",
            "memory_mb",
            "gpu_ids",
            "network",
            "state",
            "state_detail",
            "checked_at",
            "engine_info",
            "discovered",
            "created_at",
            "workers",
        ]
        read_only_fields = [
            "id",
            "state",
            "state_detail",
            "checked_at",
            "engine_info",
            "discovered",
            "created_at",
        ]
        extra_kwargs = {"max_concurrent_steps": {"min_value": 1, "max_value": 1024}}

    def get_tls(self, compute: Compute) -> dict:
        """Which TLS material is set, the client certificate's fingerprint, subject and expiry."""
        try:
            material = compute.engine_tls_material()
        except StudioError as error:
            return {"set": True, "fingerprint": compute.engine_tls_fingerprint, "error": str(error)}
        return material.summary() if material else {"set": False}

    def create(self, validated_data):
        material = validated_data.pop("_engine_tls", None)
        compute = Compute(**validated_data)
        compute.set_engine_tls(material)
        compute.save()
        return compute

    def update(self, instance, validated_data):
        if "_engine_tls" in validated_data:
            instance.set_engine_tls(validated_data.pop("_engine_tls"))
        return super().update(instance, validated_data)

    def _validate_tls(self, attrs: dict, kind, url: str) -> None:
        """Check TLS fields and replace them by `_engine_tls` (EngineTLS, or None to remove)."""
        given = {field: attrs.pop(field) for field in TLS_FIELDS if field in attrs}
        if not given:
            return
        if not any(given.values()):
            if self.instance is None:
                return
            attrs["_engine_tls"] = None
            return
        if kind != ComputeKind.DOCKER or not ENGINE_TLS_URL.match(url or ""):
            field = next(field for field, value in given.items() if value)
            raise serializers.ValidationError(
                {field: ["TLS client material is for a docker compute whose engine is tcp://host:port"]}
            )
        problems = tls_problems(*(given.get(field, "") for field in TLS_FIELDS))
        if problems:
            raise serializers.ValidationError({field: [text] for field, text in problems.items()})
        attrs["_engine_tls"] = EngineTLS(
            ca=given.get("tls_ca", ""), cert=given.get("tls_cert", ""), key=given.get("tls_key", "")
        )

    def get_workers(self, compute) -> list[dict]:
        return [presence.describe(worker) for worker in presence.workers_of(compute)]

    def validate_gpu_ids(self, value):
        if value == "auto":  # detected in validate(), where the kind and engine are known
            return value
        if not isinstance(value, list) or not all(isinstance(item, (str, int)) for item in value):
            raise serializers.ValidationError('a list of GPU device ids, e.g. [0, 1], or "auto"')
        ids = [str(item).strip() for item in value]
        if len(set(ids)) != len(ids) or any(not item for item in ids):
            raise serializers.ValidationError("GPU ids must be unique and non-empty")
        return ids

    def validate_cpus(self, value):
        if value is not None and value <= 0:
            raise serializers.ValidationError("must be greater than 0")
        return value

    def validate(self, attrs):
        attrs = self._validate_fields(attrs)
        if attrs.get("gpu_ids") == "auto":  # once the kind and engine address are known good
            kind = attrs.get("kind", getattr(self.instance, "kind", None))
            url = attrs.get("engine_url", getattr(self.instance, "engine_url", ""))
            attrs["gpu_ids"] = detected_gpus(kind, url)
        return attrs

    def _validate_fields(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        if attrs.get("network") == "none" and kind == ComputeKind.LOCAL:
            raise serializers.ValidationError(
                {
                    "network": [
                        "a local compute runs plain processes, which cannot be cut off from the network"
                    ]
                }
            )
        if self.instance is not None:
            for field in ("name", "kind", "engine_url"):
                if field in attrs and attrs[field] != getattr(self.instance, field):
                    raise serializers.ValidationError(
                        {field: ["cannot change; register a new compute instead"]}
                    )
            self._validate_tls(attrs, self.instance.kind, self.instance.engine_url)
            return attrs
        kind = attrs.get("kind")
        url = attrs.get("engine_url", "")
        if kind == ComputeKind.DOCKER and url and not ENGINE_URL.match(url):
            scheme = url.partition("://")[0] if "://" in url else ""
            said = f"{scheme}:// is not a Docker engine address" if scheme else "names no scheme"
            raise serializers.ValidationError(
                {
                    "engine_url": [
                        f"{said}; use unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host "
                        "or http(s)://host:port"
                    ]
                }
            )
        if kind == ComputeKind.LOCAL and url:
            raise serializers.ValidationError({"engine_url": ["a local compute has no engine"]})
        self._validate_tls(attrs, kind, url)
        return attrs


class ComputeViewSet(viewsets.ModelViewSet):
    """Registered computes, looked up by name."""

    queryset = Compute.objects.all()
    serializer_class = ComputeSerializer
    lookup_field = "name"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filterset_fields = {"name": ["exact", "icontains"], "kind": ["exact"], "state": ["exact"]}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    permission_classes = [AdminWrites]  # engines run code: registering, changing, probing is an Admin's

    def perform_create(self, serializer):
        compute = serializer.save()
        audit.record(self.request.user, "compute.create", compute, kind=compute.kind)
        self.check_request = request_check(compute)

    def create(self, request, *args, **kwargs):
        """Register a compute; a worker serving it checks it (`check` says which, or that none does)."""
        response = super().create(request, *args, **kwargs)
        response.data = {**response.data, "check": _check_summary(self.check_request)}
        return response

    def perform_update(self, serializer):
        detail = {k: v for k, v in serializer.validated_data.items() if k != "_engine_tls"}
        tls_changed = "_engine_tls" in serializer.validated_data
        compute = serializer.save()
        if tls_changed:  # never the PEM text: the new fingerprint ('' when removed)
            detail["tls_fingerprint"] = compute.engine_tls_fingerprint
        audit.record(self.request.user, "compute.update", compute, **detail)

    def partial_update(self, request, *args, **kwargs):
        """Change capacity, description or TLS material; name, kind and engine are fixed."""
        unknown = set(request.data) - set(CAPACITY_FIELDS) - set(TLS_FIELDS)
        if unknown:
            return Response(
                {
                    "detail": f"only {', '.join(CAPACITY_FIELDS + TLS_FIELDS)} can change",
                    "errors": {field: ["cannot change"] for field in sorted(unknown)},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return super().partial_update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        """Delete a compute no step has used; others can only be drained."""
        compute = self.get_object()
        try:
            with transaction.atomic():
                compute.delete()
                audit.record(request.user, "compute.delete", ("compute", compute.name))
        except ProtectedError:
            return Response(
                {"detail": f"{compute.name} has run steps; drain it instead of deleting it", "errors": {}},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def drain(self, request, name=None):
        """Finish running steps but start no new ones here."""
        compute = self.get_object()
        compute.drain(by=request.user)
        return Response(self.get_serializer(compute).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def resume(self, request, name=None):
        """Take new steps again after draining."""
        compute = self.get_object()
        compute.resume(by=request.user)
        return Response(_check_fields(request_check(compute), self.get_serializer))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def check(self, request, name=None):
        """Have the compute probed where its engine is reached from: here when embedded (200, the
        result), else by a live worker serving it (202, the state changes when it answers); 409
        when no live worker serves it."""
        asked = request_check(self.get_object())
        if not asked.checked and not asked.requested:
            return Response({"detail": asked.message, "errors": {}}, status=status.HTTP_409_CONFLICT)
        answer = status.HTTP_200_OK if asked.checked else status.HTTP_202_ACCEPTED
        return Response(_check_fields(asked, self.get_serializer), status=answer)


def _check_fields(asked: CheckRequest, serializer) -> dict:
    """The compute as the API shows it, and `check`: what asking for its health check did."""
    return {**serializer(asked.compute).data, "check": _check_summary(asked)}


def _check_summary(asked: CheckRequest) -> dict:
    return {
        "checked": asked.checked,
        "requested": asked.requested,
        "workers": list(asked.workers),
        "message": asked.message,
    }
