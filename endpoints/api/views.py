"""REST views of pipeline endpoints.

Managing endpoints (publish, default version, enable/disable, keys) needs a signed-in user.
Invoking one, reading or canceling its runs and reading its OpenAPI document also accept a key
of that endpoint; a key of another endpoint, a revoked or unknown key, or none at all get the same
401, so nothing tells a caller which endpoints exist.
"""

from __future__ import annotations

from dataclasses import replace

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from endpoints import actions
from endpoints.api.authentication import UNAUTHORIZED, EndpointKeyAuthentication, KeyOrUser
from endpoints.api.serializers import (
    endpoint_data,
    invocation_data,
    key_data,
    run_created,
    run_status,
    version_data,
)
from endpoints.models import EndpointInvocation, EndpointKey, PipelineEndpoint
from endpoints.openapi import endpoint_document
from endpoints.queries import endpoints_with_activity, invocations_listed, runs_listed
from studio.api.authentication import BearerTokenAuthentication
from studio.api.errors import studio_error_response
from studio.api.parsers import StudioJSONParser
from studio.api.serializers import ErrorSerializer
from studio.errors import ProblemsError, StudioError
from studio.roles import can_change, check_can_change
from studio.schemas.loading import DefinitionError


def error_response(message: str, *, status_code: int = 400, field: str = "", headers=None) -> Response:
    """A refusal found in the view, rendered as any StudioError is."""
    return studio_error_response(StudioError(message, status=status_code, field=field), headers=headers)


class InvocationProblems(ProblemsError):
    """Problems of an invocation body, by field: the body is no file, so no `problems` list."""

    whole_field = "body"

    def extra(self) -> dict:
        return {}


def invocation_problems(error: DefinitionError) -> Response:
    """A 400 listing every problem of an invocation body by its field."""
    return studio_error_response(InvocationProblems([replace(p, file=None) for p in error.problems]))


# --- managing ------------------------------------------------------------------------------------


class EndpointListView(APIView):
    """Endpoints, and publishing a pipeline as a new version of one."""

    parser_classes = [StudioJSONParser, MultiPartParser, FormParser]

    @extend_schema(operation_id="endpoints_list", responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response({"results": [endpoint_data(e, request) for e in endpoints_with_activity()]})

    @extend_schema(
        operation_id="endpoints_publish",
        responses={201: OpenApiTypes.OBJECT},
        request=OpenApiTypes.OBJECT,
        description="Publish a pipeline as the next version of endpoint `name` (created when new). "
        "Send exactly one of `draft` (a draft id), `job` (a job name), `pipeline` (the pipeline job "
        "document as JSON) or `yaml` (its text; or the multipart part `file`). `make_default` makes "
        "the new version the one that runs; the first version always is.",
    )
    def post(self, request):
        data = request.data
        if not isinstance(data, dict):  # JSON that is a list, a number, a string: nothing to publish
            return error_response("send an object: {name, and one of draft, job, pipeline or yaml}")
        upload = request.FILES.get("file")
        sources = [key for key in ("draft", "job", "pipeline", "yaml") if data.get(key) not in (None, "")]
        if upload is not None:
            sources.append("file")
        if len(sources) != 1:
            return error_response(
                "send exactly one of draft, job, pipeline, yaml or the file part", field="source"
            )
        make_default = data.get("make_default") in (True, "true", "1", "on", "yes")
        description = data.get("description") or ""
        if not isinstance(description, str):
            return error_response("description must be text", field="description")
        options = {
            "name": data.get("name"),
            "description": description,
            "make_default": make_default,
            "user": request.user,
        }
        actions.check_name(options["name"])
        source = sources[0]
        if source == "draft":
            from designer.models import PipelineDraft

            wanted = str(data["draft"])
            draft = PipelineDraft.objects.alive().filter(pk=wanted).first() if wanted.isdigit() else None
            if draft is None:
                return error_response(f"no draft {data['draft']}", status_code=404, field="draft")
            version = actions.publish_draft(draft, **options)
        elif source == "job":
            from runner.models import PipelineJob

            job = PipelineJob.objects.filter(name=str(data["job"])).first()
            if job is None:
                return error_response(f"no job {data['job']}", status_code=404, field="job")
            version = actions.publish_job(job, **options)
        elif source == "pipeline":
            version = actions.publish_document(data["pipeline"], filename="request body", **options)
        elif source == "yaml":
            version = actions.publish_yaml(str(data["yaml"]), filename="pipeline.yml", **options)
        else:
            version = actions.publish_yaml(upload.read(), filename=upload.name, **options)
        endpoint = endpoints_with_activity().get(pk=version.endpoint_id)
        return Response(
            {**endpoint_data(endpoint, request, detail=True), "published_version": version.number},
            status=status.HTTP_201_CREATED,
        )


class EndpointDetailView(APIView):
    """One endpoint with its versions and keys; PATCH changes description, status or default version."""

    @extend_schema(operation_id="endpoints_retrieve", responses=OpenApiTypes.OBJECT)
    def get(self, request, name):
        endpoint = get_object_or_404(endpoints_with_activity(), name=name)
        return Response(endpoint_data(endpoint, request, detail=True))

    @extend_schema(
        operation_id="endpoints_update",
        request=OpenApiTypes.OBJECT,
        responses=OpenApiTypes.OBJECT,
        description="Change `description`, `status` (Active/Disabled) or `default_version`.",
    )
    def patch(self, request, name):
        endpoint = get_object_or_404(PipelineEndpoint, name=name)
        check_can_change(request.user, endpoint, f"change endpoint {endpoint.name}")
        data = request.data if isinstance(request.data, dict) else {}
        unknown = set(data) - {"description", "status", "default_version"}
        if unknown:
            field = sorted(unknown)[0]
            return error_response(f"{field} cannot be changed here", field=field)
        if "default_version" in data:
            actions.set_default(endpoint, data["default_version"], user=request.user)
        if "status" in data:
            actions.set_status(endpoint, data["status"], user=request.user)
        if "description" in data:
            if not isinstance(data["description"], str):
                return error_response("description must be text", field="description")
            PipelineEndpoint.objects.filter(pk=endpoint.pk).update(
                description=data["description"], updated_at=timezone.now(), updated_by=request.user
            )
        return Response(endpoint_data(endpoints_with_activity().get(pk=endpoint.pk), request, detail=True))


class VersionView(APIView):
    """One version: its frozen spec and parameter schema."""

    @extend_schema(operation_id="endpoints_version_retrieve", responses=OpenApiTypes.OBJECT)
    def get(self, request, name, number):
        endpoint = get_object_or_404(PipelineEndpoint, name=name)
        version = get_object_or_404(endpoint.versions.select_related("created_by"), number=number)
        return Response(version_data(version, spec=True))


class KeyListView(APIView):
    """An endpoint's keys (never their secrets); POST creates one and shows its secret once."""

    @extend_schema(operation_id="endpoints_keys_list", responses=OpenApiTypes.OBJECT)
    def get(self, request, name):
        endpoint = get_object_or_404(PipelineEndpoint, name=name)
        return Response({"results": [key_data(key) for key in endpoint.keys.select_related("created_by")]})

    @extend_schema(
        operation_id="endpoints_keys_create",
        responses={201: OpenApiTypes.OBJECT},
        request=OpenApiTypes.OBJECT,
    )
    def post(self, request, name):
        endpoint = get_object_or_404(PipelineEndpoint, name=name)
        data = request.data if isinstance(request.data, dict) else {}
        key, secret = actions.create_key(endpoint, data.get("name"), user=request.user)
        return Response({**key_data(key), "key": secret}, status=status.HTTP_201_CREATED)


class KeyRevokeView(APIView):
    @extend_schema(operation_id="endpoints_keys_revoke", responses=OpenApiTypes.OBJECT, request=None)
    def post(self, request, name, key_id):
        key = get_object_or_404(
            EndpointKey.objects.select_related("endpoint", "created_by"), pk=key_id, endpoint__name=name
        )
        if not can_change(request.user, key):  # its creator, the endpoint's owner or an Admin
            check_can_change(request.user, key.endpoint, f"revoke key {key.name} of endpoint {name}")
        actions.revoke_key(key, user=request.user)
        return Response(key_data(key))


class InvocationListView(APIView):
    """Every recorded invocation of an endpoint, newest first (who, which key, answer, job)."""

    @extend_schema(operation_id="endpoints_invocations_list", responses=OpenApiTypes.OBJECT)
    def get(self, request, name):
        endpoint = get_object_or_404(PipelineEndpoint, name=name)
        try:
            limit = min(max(int(request.query_params.get("limit", 50)), 1), 500)
        except ValueError:
            return error_response("limit must be a whole number", field="limit")
        rows = invocations_listed(endpoint)[:limit]
        return Response({"results": [invocation_data(row, request) for row in rows]})


# --- invoking (key or user) ----------------------------------------------------------------------


class EndpointCallerView(APIView):
    """Base of the views a key of the endpoint may call."""

    authentication_classes = [EndpointKeyAuthentication, BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [KeyOrUser]

    def handle_exception(self, exc):
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            return error_response(
                UNAUTHORIZED, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="studio-endpoint"'}
            )
        return super().handle_exception(exc)

    def caller(self, request) -> actions.Caller:
        if isinstance(request.auth, EndpointKey):
            return actions.Caller(key=request.auth)
        return actions.Caller(user=request.user)

    def endpoint(self, request, name: str) -> PipelineEndpoint:
        if isinstance(request.auth, EndpointKey):
            if request.auth.endpoint.name != name:
                raise exceptions.AuthenticationFailed(UNAUTHORIZED)
            return request.auth.endpoint  # loaded with the key, in this request
        return get_object_or_404(PipelineEndpoint, name=name)

    def invocation_of(self, endpoint: PipelineEndpoint, run_id: str) -> EndpointInvocation:
        invocation = runs_listed(endpoint).filter(job__name=run_id, status_code=201).first()
        if invocation is None:
            raise exceptions.NotFound(f"{endpoint.name} has no run {run_id}")
        return invocation


class RunsView(EndpointCallerView):
    """POST runs the endpoint; GET lists its recent runs."""

    parser_classes = [StudioJSONParser]

    @extend_schema(
        operation_id="endpoints_invoke",
        responses={
            201: OpenApiResponse(OpenApiTypes.OBJECT, description="The run started"),
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The run this Idempotency-Key started"),
            409: OpenApiResponse(ErrorSerializer, description="The endpoint is disabled"),
            422: OpenApiResponse(
                ErrorSerializer, description="The Idempotency-Key was used with another body"
            ),
            429: OpenApiResponse(
                ErrorSerializer, description="Too many runs; retry after Retry-After seconds"
            ),
        },
        request=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter("version", int, description="Run this version instead of the default"),
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, description="Repeat-safe key"),
        ],
        description="Run the endpoint. Body: ExperimentName, ParameterAssignments, DataPathAssignments, "
        "Description, Tags (or experiment_name, parameters, inputs, description, tags). The endpoint's "
        "own OpenAPI document (openapi.json) has the exact parameter types.",
    )
    def post(self, request, name):
        endpoint = self.endpoint(request, name)
        outcome = actions.invoke(
            endpoint,
            request.data,
            caller=self.caller(request),
            version=request.query_params.get("version"),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        if isinstance(outcome.error, DefinitionError):
            return invocation_problems(outcome.error)
        if outcome.error is not None:
            headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
            return error_response(
                str(outcome.error), status_code=outcome.status, field=outcome.error.field, headers=headers
            )
        return Response(run_created(outcome.job, endpoint, request), status=outcome.status)

    @extend_schema(operation_id="endpoints_runs_list", responses=OpenApiTypes.OBJECT)
    def get(self, request, name):
        endpoint = self.endpoint(request, name)
        rows = runs_listed(endpoint).filter(job__isnull=False)[:50]
        return Response({"results": [run_status(row, endpoint, request) for row in rows]})


class RunView(EndpointCallerView):
    """A run of the endpoint: its status and its steps' statuses."""

    @extend_schema(operation_id="endpoints_run_retrieve", responses=OpenApiTypes.OBJECT)
    def get(self, request, name, run_id):
        endpoint = self.endpoint(request, name)
        return Response(run_status(self.invocation_of(endpoint, run_id), endpoint, request))


class RunCancelView(EndpointCallerView):
    @extend_schema(
        operation_id="endpoints_run_cancel",
        request=None,
        responses={
            202: OpenApiTypes.OBJECT,
            409: OpenApiResponse(ErrorSerializer, description="The run already ended"),
        },
    )
    def post(self, request, name, run_id):
        from runner.actions import request_cancel

        endpoint = self.endpoint(request, name)
        invocation = self.invocation_of(endpoint, run_id)
        if not isinstance(request.auth, EndpointKey) and not can_change(request.user, invocation.job):
            check_can_change(request.user, endpoint, f"cancel run {run_id} of endpoint {endpoint.name}")
        if not request_cancel(invocation.job, **self.caller(request).audit()):
            return error_response(f"run {run_id} already ended ({invocation.job.status})", status_code=409)
        invocation.job.refresh_from_db()
        return Response(run_status(invocation, endpoint, request), status=status.HTTP_202_ACCEPTED)


class OpenApiView(EndpointCallerView):
    """The OpenAPI 3 document of invoking this endpoint (`?version=N`; default: the default version)."""

    @extend_schema(operation_id="endpoints_openapi", responses=OpenApiTypes.OBJECT)
    def get(self, request, name):
        endpoint = self.endpoint(request, name)
        raw = request.query_params.get("version")
        if raw is not None and not raw.isdigit():
            return error_response("version must be a version number", field="version")
        version = endpoint.version(int(raw) if raw else None)
        if version is None:
            return error_response(f"{endpoint.name} has no version {raw}", status_code=404, field="version")
        return Response(endpoint_document(version, base_url=request.build_absolute_uri("/").rstrip("/")))
