"""REST views of pipeline jobs: submit, list, inspect, logs, outputs, cancel, rerun."""

from __future__ import annotations

import json
import mimetypes
import os
import re
import stat
from pathlib import Path

import django_filters
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from pipelines.compiler import resolve_pipeline
from runner.actions import request_cancel, rerun, submit_pipeline
from runner.api.metrics import with_metric_column
from runner.choices import JOB_ACTIVE
from runner.events.reading import events_after
from runner.job_rows import job_rows, row_queryset
from runner.logs import last_seq, log_path, read_log
from runner.models import PipelineJob, StepRun
from runner.reuse_explain import explain
from studio.api.parsers import StudioJSONParser
from studio.api.serializers import ErrorSerializer
from studio.roles import check_can_change
from studio.schemas.loading import DefinitionError, LineIndex, load_document

MAX_LOG_LINES = 5000
MAX_EVENTS = 1000
# Output previews: how much of a file the job page is sent.
PREVIEW_TEXT_BYTES = 64 * 1024  # CSV, TSV and text: the head of the file
PREVIEW_JSON_BYTES = 1024 * 1024  # JSON: whole (to pretty-print it), else its head as text
PREVIEW_IMAGE_BYTES = 20 * 1024 * 1024  # images: shown from the download URL up to this size
IMAGE_SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


def read_job_document(request) -> tuple[dict, LineIndex, str] | Response:
    """The job document a request sends (JSON, or the multipart part `file`) with its line index
    and file name, or the 400 that says how to send one."""
    upload = request.FILES.get("file")
    if upload is not None:
        document, index = load_document(upload.read(), filename=upload.name)
        return document, index, upload.name
    if isinstance(request.data, dict) and request.data:
        document = dict(request.data)
        document.pop("name", None) if "jobs" not in document else None
        return document, LineIndex(), "request body"
    return Response(
        {
            "detail": "send the job as JSON or as the multipart part `file`",
            "errors": {"file": ["is required"]},
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


class StepRunSerializer(serializers.ModelSerializer):
    """A step of a job with everything that explains its state."""

    compute = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    environment = serializers.StringRelatedField(allow_null=True)
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

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    steps = StepRunSerializer(many=True, read_only=True)
    id = serializers.CharField(source="name", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = PipelineJob
        fields = [
            "id", "name", "display_name", "experiment_name", "description", "tags", "status", "status_reason",
            "source", "created_by", "priority", "created_at", "started_at", "finished_at", "url", "steps",
            "spec",
        ]  # fmt: skip
        read_only_fields = fields

    def get_url(self, job: PipelineJob) -> str:
        return job.get_absolute_url()


class JobMetricSerializer(serializers.Serializer):
    """The newest value of the metric a list asked for (`?metric=NAME`), and the step that logged it."""

    name = serializers.CharField()
    value = serializers.FloatField()
    step = serializers.CharField()


class JobRowSerializer(serializers.Serializer):
    """A job as a list row (`runner.job_rows`): no spec, its steps counted by status."""

    id = serializers.CharField()
    name = serializers.CharField()
    display_name = serializers.CharField(allow_blank=True)
    experiment_name = serializers.CharField(allow_blank=True)
    status = serializers.CharField()
    status_reason = serializers.CharField(allow_blank=True)
    created_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration = serializers.FloatField(
        allow_null=True, help_text="Seconds run (so far); null before it started"
    )
    computes = serializers.ListField(child=serializers.CharField())
    steps = serializers.IntegerField()
    step_statuses = serializers.DictField(child=serializers.IntegerField())
    url = serializers.CharField()
    metric = JobMetricSerializer(
        allow_null=True, required=False, help_text="With `?metric=NAME`: its newest value, or null"
    )


class JobListRowSerializer(JobRowSerializer):
    """A row of `/api/v1/jobs/`: the row, its description, tags and source."""

    description = serializers.CharField(allow_blank=True)
    tags = serializers.DictField()
    source = serializers.CharField()


class JobSubmittedSerializer(JobListRowSerializer):
    """A job just submitted: its row and the spec it stored."""

    spec = serializers.DictField()


class JobSummariesSerializer(serializers.Serializer):
    """A page of job rows for pages that poll."""

    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = JobRowSerializer(many=True)
    active = serializers.IntegerField(help_text="How many jobs of the page have not ended")
    now = serializers.DateTimeField()


class JobEventsSerializer(serializers.Serializer):
    """Stored live events after a sequence number."""

    events = serializers.ListField(child=serializers.DictField(), help_text="The websocket's frames")
    last_seq = serializers.IntegerField()
    more = serializers.BooleanField()


class StepLogsSerializer(serializers.Serializer):
    """Log lines of a step after an offset."""

    step = serializers.CharField()
    status = serializers.CharField()
    lines = serializers.ListField(child=serializers.DictField(), help_text="{seq, t, stream, text}")
    next_offset = serializers.IntegerField()
    complete = serializers.BooleanField()


class StepRunRefSerializer(serializers.Serializer):
    """A step of a job."""

    job = serializers.CharField()
    step = serializers.CharField()


class StepReuseSerializer(serializers.Serializer):
    """A step's reuse key and why it was reused or ran (`runner.reuse_explain`)."""

    step = serializers.CharField()
    key = serializers.CharField(allow_blank=True)
    parts = serializers.DictField()
    note = serializers.CharField(allow_blank=True)
    reused = serializers.BooleanField()
    reused_from = StepRunRefSerializer(allow_null=True)
    compared_with = serializers.DictField(allow_null=True)
    changes = serializers.ListField(child=serializers.JSONField())
    summary = serializers.CharField(allow_blank=True)


class OutputPreviewSerializer(serializers.Serializer):
    """What the job page shows of one output file."""

    output = serializers.CharField()
    path = serializers.CharField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    download = serializers.CharField()
    kind = serializers.ChoiceField(choices=["csv", "tsv", "json", "image", "text", "binary"])
    text = serializers.CharField(allow_null=True, allow_blank=True)
    truncated = serializers.BooleanField()


class JobFilter(django_filters.FilterSet):
    """Filters of the job list."""

    status = django_filters.CharFilter(
        method="filter_status", label="A status, or several separated by commas"
    )
    experiment_name = django_filters.CharFilter(field_name="experiment_name")
    created_by = django_filters.CharFilter(field_name="created_by__username")
    search = django_filters.CharFilter(
        method="filter_search", label="Name, display name, experiment or description contains"
    )

    class Meta:
        model = PipelineJob
        fields = ["status", "experiment_name", "created_by", "search"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(status__in=[part.strip() for part in value.split(",") if part.strip()])

    def filter_search(self, queryset, name, value):
        return search_jobs(queryset, value)


def search_jobs(queryset, text: str):
    """Jobs whose name, display name, experiment or description contains every word of `text`."""
    for word in text.split()[:10]:
        queryset = queryset.filter(
            Q(name__icontains=word)
            | Q(display_name__icontains=word)
            | Q(experiment_name__icontains=word)
            | Q(description__icontains=word)
        )
    return queryset


def job_row(job: PipelineJob) -> dict:
    """The job as `/api/v1/jobs/` lists it, read again (its steps counted, not loaded)."""
    return job_rows(row_queryset().filter(pk=job.pk), detail=True)[0]


def job_priority(request) -> int | Response:
    """`?priority=N` of a submit: a whole number from -100 to 100 (0 when absent), or a 400."""
    from runner.fairness import MAX_PRIORITY, MIN_PRIORITY

    text = request.query_params.get("priority")
    if text is None or text == "":
        return 0
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not MIN_PRIORITY <= value <= MAX_PRIORITY:
        problem = f"a whole number from {MIN_PRIORITY} to {MAX_PRIORITY}, got {text!r}"
        return Response(
            {"detail": f"priority: {problem}", "errors": {"priority": [problem]}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return value


def submitted(job: PipelineJob) -> Response:
    """201 for a job just submitted: its row and the spec it stored. Not its steps (a job may have
    10,000; `GET /api/v1/jobs/<name>/` has them), so answering costs the same at any size."""
    return Response({**job_row(job), "spec": job.spec}, status=status.HTTP_201_CREATED)


JOB_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """Pipeline jobs, by name."""

    serializer_class = PipelineJobSerializer
    lookup_field = "name"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filterset_class = JobFilter
    parser_classes = [StudioJSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return PipelineJob.objects.select_related("created_by").prefetch_related(
            "steps__compute", "steps__environment", "steps__reused_from__job"
        )

    @extend_schema(
        operation_id="v1_jobs_list",
        parameters=[OpenApiParameter("metric", str, description="Add each job's newest value")],
        responses={200: JobListRowSerializer(many=True)},
    )
    def list(self, request, *args, **kwargs):
        """Jobs, newest first, as rows: no spec and no steps (`steps` counts them, by status in
        `step_statuses`); `GET /api/v1/jobs/<name>/` has the whole job."""
        page = self.paginate_queryset(self.filter_queryset(row_queryset()))
        rows = job_rows(page if page is not None else self.filter_queryset(row_queryset()), detail=True)
        response = self.get_paginated_response(rows) if page is not None else Response(rows)
        return with_metric_column(request, response)

    @extend_schema(
        description="Submit a pipeline job: JSON (the pipeline document) or multipart `file` (the YAML); "
        "`?priority=N` (-100 to 100, default 0): queued steps of higher-priority jobs start first. "
        "Local paths must already be uploaded (`studio job create` does this). 201 with the job's row "
        "(as the list shows it) and its `spec`; a pipeline of more than STUDIO_MAX_STEPS_PER_JOB steps "
        "is refused with 400.",
        parameters=[
            OpenApiParameter(
                "priority",
                {"type": "integer", "minimum": -100, "maximum": 100, "default": 0},
                description="-100 to 100 (default 0): queued steps of higher-priority jobs start first, "
                "then in submission order; anything else is a 400 naming priority",
            )
        ],
        responses={201: JobSubmittedSerializer},
    )
    def create(self, request):
        read = read_job_document(request)
        if isinstance(read, Response):
            return read
        document, index, filename = read
        # A DefinitionError (here or in materialize) rises to the exception handler: 400 with its problems.
        resolution = resolve_pipeline(document, index=index, filename=filename, user=request.user)
        name = request.query_params.get("name") or None
        if name is None and document.get("name") is not None:  # Azure ML's `name:`: the job's name
            name = str(document["name"])
            if not JOB_NAME.match(name):
                raise DefinitionError.single(
                    filename,
                    "name",
                    "a job name is 1-100 letters, digits, '-' and '_'",
                    index.line_of(("name",)),
                )
            if PipelineJob.objects.filter(name=name).exists():
                return Response(
                    {
                        "detail": f"a job named {name!r} exists already: job names are unique, so change "
                        "or remove `name:` in the job's YAML (Azure ML refuses it too)",
                        "errors": {"name": ["is taken"]},
                    },
                    status=status.HTTP_409_CONFLICT,
                )
        if name and not JOB_NAME.match(name):
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
        priority = job_priority(request)
        if isinstance(priority, Response):
            return priority
        with transaction.atomic():  # the job and what it registers, or neither
            job = submit_pipeline(resolution.materialize(), user=request.user, name=name, priority=priority)
        return submitted(job)

    @extend_schema(
        description="Check a job document as `create` would, without running it (nothing is registered "
        "or submitted): 200 with its steps and `warnings` (fields Azure ML accepts that have no effect "
        "here), or 400 with every problem.",
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["post"])
    def validate(self, request):
        read = read_job_document(request)
        if isinstance(read, Response):
            return read
        document, index, filename = read
        resolution = resolve_pipeline(document, index=index, filename=filename, user=request.user)
        return Response(
            {
                "valid": True,
                "steps": resolution.step_names,
                "registers": resolution.plan.describe(),
                "warnings": [warning.as_dict() for warning in resolution.warnings],
            }
        )

    @extend_schema(request=None, responses={202: JobListRowSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, name=None):
        """Stop the job: steps that have not started are canceled, running ones get SIGTERM, then
        SIGKILL; nothing new starts. 202 with the job's row (its steps counted by status)."""
        job = get_object_or_404(row_queryset(), name=name)
        check_can_change(request.user, job, f"cancel job {job.name}")
        if not request_cancel(job, user=request.user):
            job.refresh_from_db(fields=["status"])  # it ended since it was loaded: say how
            return Response(
                {"detail": f"{job.name} already ended ({job.status})", "errors": {}},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(job_row(job), status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: JobSubmittedSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def rerun(self, request, name=None):
        """Submit the same frozen spec again; unchanged steps are reused. `{"parameters": {name:
        value}}` changes pipeline parameters first (400 naming each refused one)."""
        from runner.rerun_parameters import ParameterProblems, rerun_with_parameters

        job = get_object_or_404(PipelineJob, name=name)
        changes = request.data.get("parameters") if isinstance(request.data, dict) else None
        if not changes:
            return submitted(rerun(job, user=request.user))
        try:
            return submitted(rerun_with_parameters(job, changes, user=request.user))
        except ParameterProblems as problems:
            errors = {field: [message] for field, message in problems.problems.items()}
            return Response({"detail": str(problems), "errors": errors}, status=status.HTTP_400_BAD_REQUEST)

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Events with a greater seq (default 0: all)"),
            OpenApiParameter("limit", int, description=f"At most this many (default and most: {MAX_EVENTS})"),
        ],
        responses={200: JobEventsSerializer},
    )
    @action(detail=True, methods=["get"])
    def events(self, request, name=None):
        """Stored live events after `?after=` (the websocket's frames), oldest first.

        `last_seq` is what to pass as `after` next time; `more` says the limit cut the list.
        """
        job = get_object_or_404(PipelineJob.objects.only("pk", "name", "event_seq"), name=name)  # polled
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

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str),
            OpenApiParameter("experiment_name", str),
            OpenApiParameter("created_by", str),
            OpenApiParameter(
                "search", str, description="Words the name, display name, experiment or description contain"
            ),
            OpenApiParameter("metric", str, description="Add each job's newest value of this metric"),
        ],
        responses={200: JobSummariesSerializer},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def summaries(self, request):
        """The job list's rows (no spec, no step details), newest first, for pages that poll.

        `?page=` and `?page_size=` (at most 200) page it; `active` counts the jobs of the page
        that have not ended, so a client knows whether to keep polling quickly.
        """
        queryset = self.filter_queryset(row_queryset())
        try:
            page = max(1, int(request.query_params.get("page", 1)))
            size = min(max(1, int(request.query_params.get("page_size", 50))), 200)
        except ValueError:
            return Response(
                {"detail": "page and page_size must be whole numbers", "errors": {"page": ["not a number"]}},
                status=400,
            )
        count = queryset.count()
        now = timezone.now()
        rows = job_rows(queryset[(page - 1) * size : page * size], now)
        body = Response(
            {
                "count": count,
                "page": page,
                "pages": max(1, -(-count // size)),
                "results": rows,
                "active": sum(1 for row in rows if row["status"] in JOB_ACTIVE),
                "now": now.isoformat(),
            }
        )
        return with_metric_column(request, body)

    def _step(self, name: str, step: str) -> StepRun:
        # Not the job's spec: a log or output is polled every few seconds, and a big job's is 10 MB.
        found = (
            StepRun.objects.select_related("job").defer("job__spec").filter(job__name=name, name=step).first()
        )
        if found is None:
            raise Http404(f"job {name} has no step {step!r}")
        return found

    @extend_schema(responses={200: StepReuseSerializer})
    @action(detail=True, methods=["get"], url_path=r"steps/(?P<step>[A-Za-z0-9_.]+)/reuse")
    def reuse(self, request, name=None, step=None):
        """The step's reuse key and parts, and why it was reused or ran: which part changed since
        the nearest earlier run of the same component (`runner.reuse_explain`)."""
        found = self._step(name, step)
        found = StepRun.objects.select_related("job", "reused_from__job").get(pk=found.pk)
        return Response({"step": found.name, **explain(found)})

    @extend_schema(responses={(200, "text/plain"): str})
    @action(detail=True, methods=["get"], url_path=r"steps/(?P<step>[A-Za-z0-9_.]+)/logs/download")
    def download_log(self, request, name=None, step=None):
        """The step's whole log as a text file (every attempt, Studio's own notes included)."""
        found = self._step(name, step)
        path = log_path(found.job.name, found.name)

        def lines():
            if not path.exists():
                return
            with path.open(encoding="utf-8", errors="replace") as handle:
                for raw in handle:
                    try:
                        entry = json.loads(raw)
                    except ValueError:
                        continue
                    yield str(entry.get("line", "")) + "\n"

        response = StreamingHttpResponse(lines(), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{found.job.name}-{found.name}.log"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def _output_file(self, found: StepRun, output: str, path: str) -> Path:
        """A file of one output of a step; 404 for anything outside the output's folder, and for a
        symbolic link anywhere on the way (inside or out: links are not part of an output)."""
        info = found.outputs.get(output)
        if not isinstance(info, dict) or not info.get("path"):
            raise Http404(f"step {found.name} has no output {output!r}")
        root = Path(info["path"])
        base = (root if root.is_dir() else root.parent).resolve()
        parts = path.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise Http404("no such file in this output")
        target = base.joinpath(*parts)
        if target.resolve() != target or not _is_real_file(target):  # no link on the way
            raise Http404("no such file in this output")
        if not root.is_dir() and target != root.resolve():
            raise Http404("no such file in this output")
        return target

    @extend_schema(
        parameters=[
            OpenApiParameter("output", str, required=True, description="The output's name"),
            OpenApiParameter(
                "path", str, required=True, description="A file of it, as the outputs list names it"
            ),
        ],
        responses={200: OutputPreviewSerializer},
    )
    @action(detail=True, methods=["get"], url_path=r"steps/(?P<step>[A-Za-z0-9_.]+)/preview")
    def preview(self, request, name=None, step=None):
        """What the job page shows of one output file: `kind` (csv, tsv, json, image, text or
        binary), and for text kinds the head of the file (`truncated` when there is more)."""
        found = self._step(name, step)
        output = request.query_params.get("output", "")
        relative = request.query_params.get("path", "")
        if not output or not relative:
            return Response(
                {"detail": "say which file: ?output=NAME&path=FILE", "errors": {"path": ["is required"]}},
                status=400,
            )
        target = self._output_file(found, output, relative)
        size = target.stat().st_size
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        download = f"/api/v1/jobs/{found.job.name}/steps/{found.name}/outputs/{output}/{relative}"
        body = {
            "output": output,
            "path": relative,
            "name": target.name,
            "size": size,
            "content_type": content_type,
            "download": download,
            "kind": "binary",
            "text": None,
            "truncated": False,
        }
        suffix = target.suffix.lower()
        with _open_real(target) as handle:
            head = handle.read(PREVIEW_JSON_BYTES if suffix == ".json" else PREVIEW_TEXT_BYTES)
        for image_type, signatures in IMAGE_SIGNATURES.items():
            if any(head.startswith(signature) for signature in signatures):
                if size <= PREVIEW_IMAGE_BYTES:
                    body.update(kind="image", content_type=image_type)
                return Response(body)
        text = _decode_head(head, complete=len(head) >= size)
        if text is None:
            return Response(body)
        truncated = len(head) < size
        kind = "text"
        if suffix == ".json" and not truncated:
            kind = "json"
        elif suffix in (".csv", ".tsv"):
            kind = suffix[1:]
        body.update(kind=kind, text=text, truncated=truncated)
        return Response(body)

    @extend_schema(
        parameters=[OpenApiParameter("offset", int, description="Lines after this sequence number")],
        responses={200: StepLogsSerializer},
    )
    @action(detail=True, methods=["get"], url_path=r"steps/(?P<step>[A-Za-z0-9_.]+)/logs")
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

    @extend_schema(
        operation_id="v1_jobs_steps_outputs_list",
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT, description="{output: {path, ..., files: [{path, size}]}}"
            )
        },
    )
    @action(detail=True, methods=["get"], url_path=r"steps/(?P<step>[A-Za-z0-9_.]+)/outputs")
    def outputs(self, request, name=None, step=None):
        """The files of every output of a step."""
        found = self._step(name, step)
        listing = {}
        for output, info in found.outputs.items():
            root = Path(info["path"])
            base = root if root.is_dir() else root.parent
            files = _real_files(root)
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
        target = self._output_file(self._step(name, step), output, path)
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        response = FileResponse(
            _open_real(target), as_attachment=True, filename=target.name, content_type=content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _is_real_file(path: Path) -> bool:
    """A regular file, not a symbolic link (nor anything else)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _real_files(root: Path) -> list[Path]:
    """The regular files of an output, in path order; links (and what is under a linked
    folder) are left out, as the output's hash leaves them out."""
    if root.is_symlink():
        return []
    if _is_real_file(root):
        return [root]
    found = []
    for folder, _, files in os.walk(root):  # never enters a linked folder
        found.extend(Path(folder) / name for name in files if _is_real_file(Path(folder) / name))
    return sorted(found)


def _open_real(path: Path):
    """`path` opened for reading, refusing a link that replaced it since it was checked."""
    return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")


def _decode_head(head: bytes, *, complete: bool) -> str | None:
    """The text of a file's first bytes, or None when they are not UTF-8 text (binary data)."""
    if b"\x00" in head:
        return None
    for cut in range(0 if complete else 4):  # a character cut at the end of the head
        try:
            return head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError:
        return None
