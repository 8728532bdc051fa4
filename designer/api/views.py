"""REST views of the designer: drafts (CRUD with revisions, duplicate, validate, submit, export,
import) and cloning a job into a draft.

Routes under /api/v1/: `drafts/`, `drafts/import/`, `drafts/<id>/`, `drafts/<id>/duplicate/`,
`drafts/<id>/viewport/`, `drafts/<id>/validate/`, `drafts/<id>/submit/`, `drafts/<id>/export/`,
`jobs/<name>/clone/`.
"""

from __future__ import annotations

from dataclasses import replace

import django_filters
import yaml
from django.http import Http404, HttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import renderers, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from designer import actions, imports
from designer.api.serializers import (
    ConflictSerializer,
    DraftCreateSerializer,
    DraftListSerializer,
    DraftSerializer,
    DraftUpdateSerializer,
    DraftViewportSerializer,
    ErrorSerializer,
    ImportJsonSerializer,
    ImportUploadSerializer,
    SubmitRequestSerializer,
    SubmittedJobSerializer,
    ValidateRequestSerializer,
    ValidationResultSerializer,
)
from designer.models import PipelineDraft
from designer.queries import drafts_listed
from pipelines.graph.shape import GraphShapeError, validate_graph
from pipelines.graph.to_document import graph_to_document
from studio.api.parsers import StudioJSONParser
from studio.errors import ProblemsError
from studio.roles import check_can_change
from studio.schemas.loading import DefinitionError

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such draft (or it was deleted)")
INVALID = OpenApiResponse(ErrorSerializer, description="The request (or the graph's shape) is invalid")


class YAMLTextRenderer(renderers.BaseRenderer):
    """Lets clients ask for `Accept: application/yaml` on the export."""

    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, (str, bytes)) else yaml.safe_dump(data, sort_keys=False)


class DraftFilter(django_filters.FilterSet):
    """Filters of the draft list."""

    name__icontains = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = PipelineDraft
        fields = ["name__icontains"]


def draft_data(draft: PipelineDraft, request) -> dict:
    """A draft as the API answers it, with whether the signed-in user may change it."""
    return DraftSerializer(draft, context={"request": request}).data


def on_canvas(error: DefinitionError) -> ProblemsError:
    """YAML problems as problems of a graph (no node: the draft does not exist yet)."""
    return ProblemsError([replace(problem, file=None) for problem in error.problems])


# What only a draft's owner or an Admin may do to it (submitting records the job on the draft).
OWNER_ACTIONS = {
    "update": "save",
    "partial_update": "save",
    "viewport": "move the view of",
    "destroy": "delete",
    "submit": "submit",
}


class DraftViewSet(viewsets.GenericViewSet):
    """Pipeline drafts: the designer's editable graphs, saved with a revision number."""

    serializer_class = DraftSerializer
    queryset = PipelineDraft.objects.none()
    filterset_class = DraftFilter
    parser_classes = [StudioJSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return PipelineDraft.objects.alive().select_related("created_by")

    def get_renderers(self):
        if getattr(self, "action", None) == "export":
            return [YAMLTextRenderer(), renderers.JSONRenderer()]
        return super().get_renderers()

    def get_object(self) -> PipelineDraft:
        draft = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if draft is None:
            raise Http404(f"there is no draft {self.kwargs['pk']}")
        if self.action in OWNER_ACTIONS:  # others read, validate and duplicate it
            check_can_change(self.request.user, draft, f"{OWNER_ACTIONS[self.action]} draft {draft.pk}")
        return draft

    @extend_schema(responses=DraftListSerializer(many=True))
    def list(self, request):
        """Drafts that are not deleted, most recently changed first; filter with `name__icontains`."""
        queryset = self.filter_queryset(drafts_listed())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DraftListSerializer(page, many=True).data)

    @extend_schema(request=DraftCreateSerializer, responses={201: DraftSerializer, 400: INVALID})
    def create(self, request):
        """Create a draft at revision 1; without a graph it starts empty."""
        serializer = DraftCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        draft = actions.create_draft(**serializer.validated_data, user=request.user)
        return Response(draft_data(draft, request), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: DraftSerializer, 404: NOT_FOUND})
    def retrieve(self, request, pk=None):
        """One draft with its graph."""
        return Response(draft_data(self.get_object(), request))

    def _save(self, request, *, partial: bool) -> Response:
        draft = self.get_object()
        serializer = DraftUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        revision = changes.pop("revision", None)
        try:
            draft = actions.save_draft(draft.pk, revision=revision, **changes)
        except PipelineDraft.DoesNotExist:
            raise Http404(f"there is no draft {draft.pk}") from None
        return Response(draft_data(draft, request))

    @extend_schema(
        request=DraftUpdateSerializer,
        responses={
            200: DraftSerializer,
            400: INVALID,
            404: NOT_FOUND,
            409: OpenApiResponse(ConflictSerializer, description="Saved elsewhere since `revision`"),
        },
    )
    def update(self, request, pk=None):
        """Replace name, description and graph. `revision` must be the draft's current revision
        (409 with `current_revision` and nothing changed otherwise); the answer carries the next."""
        return self._save(request, partial=False)

    @extend_schema(
        request=DraftUpdateSerializer,
        responses={
            200: DraftSerializer,
            400: INVALID,
            404: NOT_FOUND,
            409: OpenApiResponse(ConflictSerializer, description="Saved elsewhere since `revision`"),
        },
    )
    def partial_update(self, request, pk=None):
        """Change any of name, description and graph. `revision` is required with a graph; when
        sent it must be the draft's current revision (409 with `current_revision` and nothing
        changed otherwise). Every change moves the draft to the next revision."""
        return self._save(request, partial=True)

    @extend_schema(
        request=DraftViewportSerializer,
        responses={200: DraftViewportSerializer, 400: INVALID, 404: NOT_FOUND},
    )
    def viewport(self, request, pk=None):
        """Keep where the canvas looks, for the draft to open there. Not an edit: no `revision` is
        sent and none is made, so it never conflicts and never makes another tab's save conflict."""
        draft = self.get_object()
        serializer = DraftViewportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            actions.save_draft_viewport(draft.pk, serializer.validated_data)
        except PipelineDraft.DoesNotExist:
            raise Http404(f"there is no draft {draft.pk}") from None
        return Response(serializer.validated_data)

    @extend_schema(responses={204: None, 404: NOT_FOUND})
    def destroy(self, request, pk=None):
        """Delete the draft (soft: it disappears from lists and the API)."""
        actions.delete_draft(self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={201: DraftSerializer, 404: NOT_FOUND})
    def duplicate(self, request, pk=None):
        """A copy of the draft named "Copy of …", at revision 1."""
        draft = actions.duplicate_draft(self.get_object(), user=request.user)
        return Response(draft_data(draft, request), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ValidateRequestSerializer,
        responses={200: ValidationResultSerializer, 400: INVALID, 404: NOT_FOUND},
    )
    def validate(self, request, pk=None):
        """Compile the saved graph (or an unsaved `graph` sent in the body) and list every problem,
        each on its node and port where it has one. Nothing is stored."""
        draft = self.get_object()
        serializer = ValidateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        problems = actions.check_draft(draft, graph=serializer.validated_data.get("graph"), user=request.user)
        return Response({"valid": not problems, "problems": [p.as_dict() for p in problems]})

    @extend_schema(
        request=SubmitRequestSerializer,
        responses={
            201: SubmittedJobSerializer,
            400: OpenApiResponse(
                ErrorSerializer, description="The draft does not compile: `problems` lists why"
            ),
            404: NOT_FOUND,
        },
    )
    def submit(self, request, pk=None):
        """Compile the saved draft and submit it as a pipeline job; the draft remembers the job."""
        draft = self.get_object()
        serializer = SubmitRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = actions.submit_draft(  # GraphError: 400 with every problem on its node and port
            draft,
            user=request.user,
            experiment_name=serializer.validated_data.get("experiment_name") or None,
            parameters=serializer.validated_data.get("parameters"),
        )
        return Response(
            {"id": job.name, "status": job.status, "url": job.get_absolute_url()},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        responses={
            (200, "application/yaml"): OpenApiTypes.OBJECT,
            400: OpenApiResponse(ErrorSerializer, description="The stored graph is malformed"),
            404: NOT_FOUND,
        }
    )
    def export(self, request, pk=None):
        """The draft as Azure ML v2 pipeline job YAML (`studio job create --file` runs it)."""
        draft = self.get_object()
        try:
            graph = validate_graph(draft.graph)
        except GraphShapeError as error:  # only an edit outside the API can store such a graph
            return Response(
                {"detail": f"the stored graph is malformed: {error}", "errors": {}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        document, _ = graph_to_document(graph, name=draft.name, description=draft.description)
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
        filename = slugify(draft.name) or f"draft-{draft.pk}"
        response["Content-Disposition"] = f'inline; filename="{filename}.yml"'
        return response

    @extend_schema(
        request={"application/json": ImportJsonSerializer, "multipart/form-data": ImportUploadSerializer},
        responses={
            201: DraftSerializer,
            400: OpenApiResponse(
                ErrorSerializer, description="The YAML does not compile: `problems` lists why"
            ),
        },
    )
    def import_yaml(self, request):
        """A new draft from pipeline job YAML (multipart `file`, or JSON `{"yaml": …}`), laid out
        left to right. Every reference must be registered; local files are refused, except in a
        zip or tar of the pipeline's folder (multipart `file`): its local component files are
        registered anonymously, as `studio job create` does (designer.imports)."""
        upload = request.FILES.get("file")
        name = request.data.get("name") if hasattr(request.data, "get") else None
        if upload is not None:
            text, filename = upload.read(), upload.name
        elif hasattr(request.data, "get") and isinstance(request.data.get("yaml"), str):
            text, filename = request.data["yaml"], "request body"
        else:
            return Response(
                {
                    "detail": 'send the pipeline YAML as the multipart part `file` or as JSON {"yaml": …}',
                    "errors": {"file": ["is required"]},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            if upload is not None and imports.is_archive(filename):
                upload.seek(0)
                draft = imports.import_archive(
                    upload, filename=filename, name=str(name)[:255] if name else None, user=request.user
                )
            else:
                draft = actions.import_pipeline(
                    text, filename=filename, name=str(name)[:255] if name else None, user=request.user
                )
        except DefinitionError as error:
            raise on_canvas(error) from None
        return Response(draft_data(draft, request), status=status.HTTP_201_CREATED)


@extend_schema(
    request=None,
    responses={
        201: DraftSerializer,
        400: OpenApiResponse(ErrorSerializer, description="The job's spec cannot be read"),
        404: OpenApiResponse(ErrorSerializer, description="No such job"),
    },
)
@api_view(["POST"])
def clone_job(request, name: str):
    """A new draft from a job's frozen spec ("Clone of <job>"): components pinned to the versions it
    ran, its literal values, data from their asset (a comment node marks data that had none)."""
    try:
        draft = actions.clone_job(name, user=request.user)
    except ValueError as error:
        return Response({"detail": str(error), "errors": {}}, status=status.HTTP_400_BAD_REQUEST)
    if draft is None:
        raise Http404(f"there is no job {name}")
    return Response(draft_data(draft, request), status=status.HTTP_201_CREATED)
