"""JSON shapes of endpoints, versions, keys, invocations and runs.

Runs answer in the PascalCase of Azure ML's published-pipeline REST API (`Id`, `Status`, `Url`,
`StatusUrl`), so clients written for it feel at home; management data is snake_case like the rest
of Studio's API.
"""

from __future__ import annotations

from typing import Any

from endpoints.models import EndpointInvocation, EndpointKey, EndpointVersion, PipelineEndpoint


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _username(user) -> str | None:
    return user.username if user else None


def run_url(endpoint: PipelineEndpoint, job, request) -> str:
    return request.build_absolute_uri(f"/api/v1/endpoints/{endpoint.name}/runs/{job.name}")


def version_data(version: EndpointVersion, *, spec: bool = False) -> dict[str, Any]:
    steps = version.spec.get("steps", {})
    data = {
        "number": version.number,
        "description": version.description,
        "source": version.source,
        "source_ref": version.source_ref,
        "created_by": _username(version.created_by),
        "created_at": _when(version.created_at),
        "parameters": version.parameters,
        "steps": [
            {
                "name": name,
                "display_name": step.get("display_name") or name,
                "component": f"{step['component']['name']}:{step['component']['version']}",
                "compute": step.get("compute"),
            }
            for name, step in steps.items()
        ],
    }
    if spec:
        data["spec"] = version.spec
    return data


def key_data(key: EndpointKey) -> dict[str, Any]:
    return {
        "id": key.pk,
        "name": key.name,
        "prefix": key.prefix,
        "created_by": _username(key.created_by),
        "created_at": _when(key.created_at),
        "last_used_at": _when(key.last_used_at),
        "revoked_at": _when(key.revoked_at),
        "active": key.is_active,
    }


def endpoint_data(endpoint: PipelineEndpoint, request, *, detail: bool = False) -> dict[str, Any]:
    """An endpoint as the API shows it (from `endpoints.queries.endpoints_with_activity`)."""
    data = {
        "name": endpoint.name,
        "description": endpoint.description,
        "status": endpoint.status,
        "default_version": endpoint.default_version,
        "created_by": _username(endpoint.created_by),
        "updated_by": _username(endpoint.updated_by),
        "created_at": _when(endpoint.created_at),
        "updated_at": _when(endpoint.updated_at),
        "url": request.build_absolute_uri(endpoint.get_absolute_url()),
        "invoke_url": request.build_absolute_uri(f"/api/v1/endpoints/{endpoint.name}/runs"),
        "openapi_url": request.build_absolute_uri(f"/api/v1/endpoints/{endpoint.name}/openapi.json"),
        "runs_today": getattr(endpoint, "runs_today", None),
        "last_run": {
            "id": endpoint.last_job,
            "status": endpoint.last_job_status,
            "created_at": _when(endpoint.last_run_at),
        }
        if endpoint.last_job
        else None,
    }
    if detail:
        versions = endpoint.versions.select_related("created_by")
        data["versions"] = [version_data(version) for version in versions]
        data["keys"] = [key_data(key) for key in endpoint.keys.select_related("created_by")]
    return data


def invocation_data(row: EndpointInvocation, request) -> dict[str, Any]:
    return {
        "id": row.pk,
        "created_at": _when(row.created_at),
        "status_code": row.status_code,
        "version": row.version.number if row.version else None,
        "key": {"id": row.key.pk, "name": row.key.name, "prefix": row.key.prefix} if row.key else None,
        "user": _username(row.user),
        "parameters": row.parameters,
        "inputs": row.inputs,
        "problems": row.problems,
        "job": {"id": row.job.name, "status": row.job.status, "url": row.job.get_absolute_url()}
        if row.job
        else None,
    }


def run_created(job, endpoint: PipelineEndpoint, request) -> dict[str, Any]:
    return {
        "Id": job.name,
        "Status": job.status,
        "Url": request.build_absolute_uri(job.get_absolute_url()),
        "StatusUrl": run_url(endpoint, job, request),
    }


def run_status(invocation: EndpointInvocation, endpoint: PipelineEndpoint, request) -> dict[str, Any]:
    job = invocation.job
    return {
        **run_created(job, endpoint, request),
        "StatusReason": job.status_reason,
        "Version": invocation.version.number if invocation.version else None,
        "ExperimentName": job.experiment_name,
        "Parameters": invocation.parameters,
        "CreatedAt": _when(job.created_at),
        "StartedAt": _when(job.started_at),
        "FinishedAt": _when(job.finished_at),
        "Steps": [
            {
                "Name": step.name,
                "DisplayName": step.display_name,
                "Status": step.status,
                "Reused": step.reused_from_id is not None,
                "StartedAt": _when(step.started_at),
                "FinishedAt": _when(step.finished_at),
            }
            for step in job.steps.all()  # prefetched in order (`endpoints.queries.runs_listed`)
        ],
    }
