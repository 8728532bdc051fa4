"""REST views of pipeline jobs: submit, list, inspect, logs, outputs, cancel, rerun."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

import django_filters
from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from designer.pipeline_yaml import compile_pipeline
from runner.actions import request_cancel, rerun, submit_pipeline
from runner.events import events_after
from runner.logs import last_seq, log_path, read_log
from runner.models import PipelineJob, StepRun
from studio.api.assets import definition_error_response
from studio.schemas.loading import DefinitionError, LineIndex, load_document

MAX_LOG_LINES = 5000
MAX_EVENTS = 1000


class StepRunSerializer(serializers.ModelSerializer):
    """A step of a job with everything that explains its state."""

    compute = serializers.SlugRelatedField(slug_field="name", read_only=True)
    environment = serializers.StringRelatedField()
    reused_from = serializers.SerializerMethodField()
    component = serializers.SerializerMethodField()
    log_seq = serializers.SerializerMethodField()

    class Meta:
        model = StepRun
        fields = [
            "name", "display_name", "status", "status_reason", "component", "compute", "environment",
            "attempt", "max_retries", "exit_code", "image", "container_id", "gpu_ids", "reuse_key",
            "reuse_parts", "reuse_note", "reused_from", "outputs", "log_seq", "queued_at", "started_at",
            "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_reused_from(self, step: StepRun) -> str | None:
        return f"{step.reused_from.job.name}/{step.reused_from.name}" if step.reused_from_id else None

    def get_log_seq(self, step: StepRun) -> int:
        """How many log lines the step has (the offset to read from for new ones)."""
        return last_seq(log_path(step.job.name, step.name))

    def get_component(self, step: StepRun) -> str:
        pin = step.job.spec["steps"][step.name]["component"]
        return f"{pin['name']}:{pin['version']}"


class PipelineJobSerializer(serializers.ModelSerializer):
    """A job and its steps."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    steps = StepRunSerializer(many=True, read_only=True)
    id = serializers.CharField(source="name", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = PipelineJob
        fields = [
            "id", "name", "display_name", "experiment_name", "description", "tags", "status", "status_reason",
            "source", "created_by", "created_at", "started_at", "finished_at", "url", "steps", "spec",
        ]  # fmt: skip
        read_only_fields = fields

    def get_url(self, job: PipelineJob) -> str:
        return job.get_absolute_url()


class JobFilter(django_filters.FilterSet):
    """Filters of the job list."""

    status = django_filters.CharFilter(field_name="status")
    experiment_name = django_filters.CharFilter(field_name="experiment_name")
    created_by = django_filters.CharFilter(field_name="created_by__username")

    class Meta:
        model = PipelineJob
        fields = ["status", "experiment_name", "created_by"]


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """Pipeline jobs, by name."""

    serializer_class = PipelineJobSerializer
    lookup_field = "name"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filterset_class = JobFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return PipelineJob.objects.select_related("created_by").prefetch_related(
            "steps__compute", "steps__environment", "steps__reused_from__job"
        )

    @extend_schema(
        description="Submit a pipeline job: JSON (the pipeline document) or multipart `file` (the YAML). "
        "Local paths must already be uploaded (`studio job create` does this)."
    )
    def create(self, request):
        upload = request.FILES.get("file")
        try:
            if upload is not None:
                document, index = load_document(upload.read(), filename=upload.name)
                filename = upload.name
            elif isinstance(request.data, dict) and request.data:
                document, index, filename = dict(request.data), LineIndex(), "request body"
                document.pop("name", None) if "jobs" not in document else None
            else:
                return Response(
                    {
                        "detail": "send the pipeline as JSON or as the multipart part `file`",
                        "errors": {"file": ["is required"]},
                    },
                    status=status.HTTP_400_BAD_REQUEST,
                )
            spec = compile_pipeline(document, index=index, filename=filename, user=request.user)
        except DefinitionError as error:
            return definition_error_response(error)
        name = request.query_params.get("name") or None
        if name and not re.match(r"^[A-Za-z0-9_-]{1,100}$", name):
            return Response(
                {
                    "detail": "a job name is 1-100 letters, digits, '-' and '_'",
                    "errors": {"name": ["is not valid"]},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        if name and PipelineJob.objects.filter(name=name).exists():
            return Response(
                {"detail": f"a job named {name!r} exists already", "errors": {"name": ["is taken"]}},
                status=status.HTTP_409_CONFLICT,
            )
        job = submit_pipeline(spec, user=request.user, name=name)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=job.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def cancel(self, request, name=None):
        """Stop the job: running steps get SIGTERM, then SIGKILL; nothing new starts."""
        job = self.get_object()
        if not request_cancel(job):
            return Response(
                {"detail": f"{job.name} already ended ({job.status})", "errors": {}},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=job.pk)).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def rerun(self, request, name=None):
        """Submit the same frozen spec again; unchanged steps are reused."""
        job = rerun(self.get_object(), user=request.user)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=job.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Events with a greater seq (default 0: all)"),
            OpenApiParameter("limit", int, description=f"At most this many (default and most: {MAX_EVENTS})"),
        ]
    )
    @action(detail=True, methods=["get"])
    def events(self, request, name=None):
        """Stored live events after `?after=` (the websocket's frames), oldest first.

        `last_seq` is what to pass as `after` next time; `more` says the limit cut the list.
        """
        job = self.get_object()
        numbers = {}
        for field, default in (("after", 0), ("limit", MAX_EVENTS)):
            try:
                numbers[field] = int(request.query_params.get(field, default))
            except ValueError:
                return Response(
                    {"detail": f"{field} must be a whole number", "errors": {field: ["not a number"]}},
                    status=400,
                )
        after = max(0, numbers["after"])
        limit = min(max(1, numbers["limit"]), MAX_EVENTS)
        frames = events_after(job.pk, after, limit + 1)
        more = len(frames) > limit
        frames = frames[:limit]
        last_seq = frames[-1]["seq"] if frames else min(after, job.event_seq)
        return Response({"events": frames, "last_seq": last_seq, "more": more})

    def _step(self, name: str, step: str) -> StepRun:
        found = StepRun.objects.select_related("job").filter(job__name=name, name=step).first()
        if found is None:
            raise Http404(f"job {name} has no step {step!r}")
        return found

    @action(detail=True, methods=["get"], url_path=r"steps/(?P<step>[A-Za-z0-9_]+)/logs")
    def logs(self, request, name=None, step=None):
        """Log lines after `?offset=` (a sequence number); poll with the returned `next_offset`."""
        found = self._step(name, step)
        try:
            offset = max(0, int(request.query_params.get("offset", 0)))
        except ValueError:
            return Response(
                {"detail": "offset must be a whole number", "errors": {"offset": ["not a number"]}},
                status=400,
            )
        lines = read_log(found.job.name, found.name, after=offset, limit=MAX_LOG_LINES)
        return Response(
            {
                "step": found.name,
                "status": found.status,
                "lines": lines,
                "next_offset": lines[-1]["seq"] if lines else offset,
                "complete": found.is_terminal and len(lines) < MAX_LOG_LINES,
            }
        )

    @extend_schema(operation_id="v1_jobs_steps_outputs_list")
    @action(detail=True, methods=["get"], url_path=r"steps/(?P<step>[A-Za-z0-9_]+)/outputs")
    def outputs(self, request, name=None, step=None):
        """The files of every output of a step."""
        found = self._step(name, step)
        listing = {}
        for output, info in found.outputs.items():
            root = Path(info["path"])
            base = root if root.is_dir() else root.parent
            files = (
                [root]
                if root.is_file()
                else sorted(p for p in root.rglob("*") if p.is_file())
                if root.exists()
                else []
            )
            listing[output] = {
                **info,
                "files": [{"path": p.relative_to(base).as_posix(), "size": p.stat().st_size} for p in files],
            }
        return Response(listing)

    @extend_schema(
        operation_id="v1_jobs_steps_outputs_download", responses={(200, "application/octet-stream"): bytes}
    )
    def download(self, request, name=None, step=None, output=None, path=None):
        """One file of an output; paths cannot leave the output folder."""
        found = self._step(name, step)
        info = found.outputs.get(output)
        if info is None:
            raise Http404(f"step {step} has no output {output!r}")
        root = Path(info["path"])
        base = (root if root.is_dir() else root.parent).resolve()
        target = (base / path).resolve()
        if base not in target.parents or not target.is_file():
            raise Http404("no such file in this output")
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        response = FileResponse(
            target.open("rb"), as_attachment=True, filename=target.name, content_type=content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
