"""Serializers of the designer API: drafts, problems, submissions."""

from __future__ import annotations

import math

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from designer.models import PipelineDraft
from pipelines.graph.shape import MAX_ZOOM, GraphShapeError, validate_graph, validate_viewport
from studio.api.serializers import ErrorSerializer  # noqa: F401 - the one error shape, re-exported here
from studio.roles import can_change

GRAPH_HELP = (
    "The canvas: {nodes: [{id, type: component|data|comment, position: {x, y}, data}], edges: [{id, "
    "source, sourceHandle, target, targetHandle}], settings: {default_compute, continue_on_step_failure, "
    "force_rerun, experiment_name}, inputs: {name: {type, value}}, outputs: {name: {node, port}}, "
    "viewport: {x, y, zoom} (optional: where the canvas looks; a graph saved without one keeps the "
    "saved one)}"
)


@extend_schema_field(OpenApiTypes.OBJECT)
class GraphField(serializers.JSONField):
    """A draft's graph, checked for shape (not for references) and normalised."""

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        try:
            return validate_graph(data)
        except GraphShapeError as error:
            if set(error.errors) == {""}:
                raise serializers.ValidationError(error.errors[""]) from None
            raise serializers.ValidationError(error.errors) from None


def _check_literal(value):
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise serializers.ValidationError("must be a string, a number, true/false or null")


class DraftListSerializer(serializers.ModelSerializer):
    """A draft in lists: no graph, its node count instead (counted by the database in lists:
    `designer.queries.drafts_listed`)."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    node_count = serializers.SerializerMethodField()

    class Meta:
        model = PipelineDraft
        fields = [
            "id", "name", "description", "revision", "created_at", "updated_at", "created_by",
            "last_job_name", "node_count",
        ]  # fmt: skip
        read_only_fields = fields

    def get_node_count(self, draft: PipelineDraft) -> int:
        listed = getattr(draft, "listed_nodes", None)
        return draft.node_count if listed is None else listed


class DraftSerializer(DraftListSerializer):
    """A draft with its graph (and, in it, the canvas's viewport when one is saved)."""

    graph = serializers.JSONField(source="graph_with_viewport", read_only=True, help_text=GRAPH_HELP)
    can_change = serializers.SerializerMethodField(
        help_text="Whether the signed-in user may save, delete or submit it (its owner or an Admin); "
        "others may read, validate and duplicate it"
    )

    class Meta(DraftListSerializer.Meta):
        fields = [*DraftListSerializer.Meta.fields, "graph", "can_change"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_can_change(self, draft: PipelineDraft) -> bool:
        request = self.context.get("request")
        return request is not None and can_change(request.user, draft)


class DraftCreateSerializer(serializers.Serializer):
    """A new draft; without a graph it starts empty."""

    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    graph = GraphField(required=False, help_text=GRAPH_HELP)


class DraftUpdateSerializer(serializers.Serializer):
    """A change to a draft. `revision` (the one the change was made from) is required with a graph;
    PUT needs name, graph and revision, PATCH any of them."""

    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True)
    graph = GraphField(help_text=GRAPH_HELP)
    revision = serializers.IntegerField(min_value=1)

    def validate(self, attrs):
        if "graph" in attrs and "revision" not in attrs:
            raise serializers.ValidationError(
                {"revision": ["is required with a graph: send the revision the change was made from"]}
            )
        return attrs


class DraftViewportSerializer(serializers.Serializer):
    """Where the canvas looks. Not an edit: saving it needs no revision and moves none."""

    x = serializers.FloatField(help_text="The pan, in screen pixels")
    y = serializers.FloatField(help_text="The pan, in screen pixels")
    zoom = serializers.FloatField(help_text=f"The zoom: more than 0, at most {MAX_ZOOM}")

    def to_internal_value(self, data):
        try:
            return validate_viewport(data)
        except GraphShapeError as error:
            raise serializers.ValidationError(error.errors) from None


class ConflictSerializer(ErrorSerializer):
    """A stale save: the draft is at `current_revision`, not at the revision sent."""

    current_revision = serializers.IntegerField()


class ProblemSerializer(serializers.Serializer):
    """One problem, on a node and port where it has one."""

    node = serializers.CharField(allow_null=True, help_text="The node id, or null for the whole pipeline")
    port = serializers.CharField(allow_null=True, help_text="The input or output port, when one")
    field = serializers.CharField(help_text="Where in the graph (or the YAML for imports)")
    line = serializers.IntegerField(allow_null=True, help_text="The YAML line (imports); null for drafts")
    message = serializers.CharField()


class ValidateRequestSerializer(serializers.Serializer):
    """Optionally an unsaved graph to check instead of the saved one."""

    graph = GraphField(required=False, help_text="Check this graph instead of the saved one")


class ValidationResultSerializer(serializers.Serializer):
    """Whether the draft compiles, and why not."""

    valid = serializers.BooleanField()
    problems = ProblemSerializer(many=True)


class SubmitRequestSerializer(serializers.Serializer):
    """Submission options."""

    experiment_name = serializers.CharField(required=False, max_length=255, allow_blank=True)
    parameters = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="Pipeline input name -> value for this run"
    )

    def validate_parameters(self, value):
        errors = {}
        for name, item in value.items():
            try:
                _check_literal(item)
            except serializers.ValidationError as error:
                errors[name] = error.detail
        if errors:
            raise serializers.ValidationError(errors)
        return value


class SubmittedJobSerializer(serializers.Serializer):
    """The job a submission created."""

    id = serializers.CharField(help_text="The job name")
    status = serializers.CharField()
    url = serializers.CharField(help_text="The job page")


class ImportJsonSerializer(serializers.Serializer):
    """Pipeline job YAML as JSON."""

    yaml = serializers.CharField(help_text="The pipeline job YAML")
    name = serializers.CharField(required=False, max_length=255, help_text="The draft's name")


class ImportUploadSerializer(serializers.Serializer):
    """Pipeline job YAML as a file."""

    file = serializers.FileField(help_text="The pipeline job YAML")
    name = serializers.CharField(required=False, max_length=255, help_text="The draft's name")
