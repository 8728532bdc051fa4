"""REST views of a step's default artifacts (`runner.default_artifacts`): list, download a file.

A step reused from an earlier run shows the artifacts of the run it reused, as it shows its outputs.
"""

from __future__ import annotations

import mimetypes
from urllib.parse import quote

from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from runner.default_artifacts import artifact_file, artifacts_dir, listing
from runner.models import StepRun


def _source(name: str, step: str) -> tuple[StepRun, StepRun]:
    """The step, and the run whose artifacts it shows (itself, or the run it reused)."""
    found = StepRun.objects.select_related("job").defer("job__spec").filter(job__name=name, name=step).first()
    if found is None:
        raise Http404(f"job {name} has no step {step!r}")
    if found.reused_from_id is None:
        return found, found
    rows = StepRun.objects.select_related("job").defer("job__spec")
    original = rows.filter(pk=found.reused_from_id).first()
    return found, original or found


@extend_schema(operation_id="v1_jobs_steps_artifacts_list", responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def step_artifacts(request, name: str, step: str):
    """What the step wrote under `./outputs` and `./logs` of its working folder ("Outputs + logs").

    `{"step", "reused_from": "JOB/STEP" | null, "files": [{"path": "outputs/…" | "logs/…", "size",
    "download"}], "skipped": [{"path", "reason"}]}`: kept once an attempt ends, whatever its
    outcome; `skipped` names what was left out (symbolic links are never followed).
    """
    found, source = _source(name, step)
    body = listing(artifacts_dir(source.job.name, source.name))
    base = f"/api/v1/jobs/{found.job.name}/steps/{found.name}/artifacts/"
    for entry in body["files"]:
        entry["download"] = base + quote(entry["path"])
    reused = f"{source.job.name}/{source.name}" if source.pk != found.pk else None
    return Response({"step": found.name, "reused_from": reused, **body})


@extend_schema(
    operation_id="v1_jobs_steps_artifacts_download", responses={(200, "application/octet-stream"): bytes}
)
@api_view(["GET"])
def step_artifact_file(request, name: str, step: str, path: str):
    """One artifact file (`outputs/…` or `logs/…`, as the list names it); paths cannot leave them."""
    _found, source = _source(name, step)
    target = artifact_file(artifacts_dir(source.job.name, source.name), path)
    if target is None:
        raise Http404(f"step {step} has no artifact {path!r}")
    content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    response = FileResponse(
        target.open("rb"), as_attachment=True, filename=target.name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
