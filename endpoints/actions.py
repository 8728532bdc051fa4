"""Business actions on endpoints: publish, set default, enable/disable, keys, invoke.

Shared by the REST API, the pages and the CLI (through the API). Every invocation that gets past
authentication is recorded, whatever its answer, and (unless refused by it) counts against the
endpoint's rate limit, which all its keys and users share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from endpoints.invocation import read_invocation, run_spec
from endpoints.models import (
    EndpointInvocation,
    EndpointKey,
    EndpointStatus,
    EndpointVersion,
    PipelineEndpoint,
)
from endpoints.parameters import build_parameters
from pipelines.rules import ENDPOINT_NAME
from pipelines.spec import PipelineSpec
from studio import audit, rate_limits
from studio.errors import StudioError
from studio.registry.versions import content_hash
from studio.roles import check_can_change, check_can_write
from studio.schemas.loading import DefinitionError, LineIndex, Problem, load_document

IDEMPOTENCY_WINDOW = timedelta(hours=24)
MAX_IDEMPOTENCY_KEY = 255


class EndpointError(StudioError):
    """Raised for a request the endpoint cannot take, with the HTTP status that says why."""


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def _check_owner(user, endpoint: PipelineEndpoint, doing: str) -> None:
    """Only the endpoint's owner or an Admin changes it (no user: Studio itself, allowed)."""
    if user is not None:
        check_can_change(user, endpoint, f"{doing} endpoint {endpoint.name}")


RESERVED_NAMES = {"publish"}  # page routes under /endpoints/


def check_name(name: Any) -> str:
    if name in RESERVED_NAMES:
        raise EndpointError(f"{name!r} is reserved; choose another name", field="name")
    if not isinstance(name, str) or not ENDPOINT_NAME.match(name):
        raise EndpointError(
            "an endpoint name is 1-100 lowercase letters, digits and '-', starting and ending with a "
            "letter or digit",
            field="name",
        )
    return name


# --- publish -------------------------------------------------------------------------------------


def publish(
    spec: PipelineSpec,
    *,
    name: str,
    description: str = "",
    make_default: bool = False,
    user=None,
    source: str,
    source_ref: str = "",
) -> EndpointVersion:
    """Publish `spec` as the next version of endpoint `name`, creating the endpoint when new (its
    first version is the default)."""
    check_may_publish(name, user)
    check_name(name)
    parameters = build_parameters(spec)
    for attempt in range(3):
        try:
            with transaction.atomic():
                endpoint, created = PipelineEndpoint.objects.select_for_update().get_or_create(
                    name=name,
                    defaults={
                        "description": description,
                        "created_by": _user(user),
                        "updated_by": _user(user),
                    },
                )
                if not created:
                    _check_owner(user, endpoint, "publish a new version of")
                number = (endpoint.versions.aggregate(top=Max("number"))["top"] or 0) + 1
                version = EndpointVersion.objects.create(
                    endpoint=endpoint,
                    number=number,
                    description=description,
                    spec=spec.model_dump(mode="json"),
                    parameters=parameters,
                    source=source,
                    source_ref=str(source_ref)[:255],
                    created_by=_user(user),
                )
                changes = {"updated_at": timezone.now(), "updated_by": _user(user)}
                if created or make_default or number == 1:
                    changes["default_version"] = number
                PipelineEndpoint.objects.filter(pk=endpoint.pk).update(**changes)
                audit.record(
                    user,
                    "endpoint.publish",
                    endpoint,
                    version=number,
                    default="default_version" in changes,
                    via=source,
                    source_ref=str(source_ref)[:255],
                )
                return version
        except IntegrityError:  # two publishes raced for the same number or name: try again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def check_may_publish(name: Any, user) -> None:
    """Refuse a Viewer, and anyone but its owner or an Admin a new version of an existing endpoint
    (before anything is compiled or registered; `publish` checks again under the lock)."""
    if user is None:
        return
    check_can_write(user, "publish an endpoint")
    existing = PipelineEndpoint.objects.filter(name=name).first() if isinstance(name, str) else None
    if existing is not None:
        _check_owner(user, existing, "publish a new version of")


def publish_draft(draft, **options) -> EndpointVersion:
    """Publish a designer draft (GraphError when it does not compile)."""
    check_may_publish(options.get("name"), options.get("user"))
    from pipelines.graph.compiling import compile_graph

    spec = compile_graph(
        draft.graph, user=options.get("user"), name=draft.name, description=draft.description
    )
    return publish(spec, source="draft", source_ref=str(draft.pk), **options)


def publish_job(job, **options) -> EndpointVersion:
    """Publish the frozen spec a job ran."""
    check_may_publish(options.get("name"), options.get("user"))
    return publish(PipelineSpec.model_validate(job.spec), source="job", source_ref=job.name, **options)


def publish_document(
    document: Any, *, filename: str, index: LineIndex | None = None, **options
) -> EndpointVersion:
    """Publish a pipeline job document (DefinitionError with every problem when it does not compile)."""
    from pipelines.compiler import resolve_pipeline

    check_may_publish(options.get("name"), options.get("user"))
    if not isinstance(document, dict):
        raise DefinitionError([Problem(filename, "", "a pipeline document is a mapping")])
    resolution = resolve_pipeline(
        document,
        index=index or LineIndex(),
        filename=filename,
        user=options.get("user"),
        allow_unset_parameters=True,
    )
    check_name(options.get("name"))  # before anything the document defines is registered
    with transaction.atomic():  # the version and what it registers, or neither
        return publish(resolution.materialize(), source="yaml", source_ref=filename, **options)


def publish_yaml(text: str | bytes, *, filename: str, **options) -> EndpointVersion:
    document, index = load_document(text, filename=filename)
    return publish_document(document, filename=filename, index=index, **options)


# --- manage --------------------------------------------------------------------------------------


def set_default(endpoint: PipelineEndpoint, number: Any, *, user=None) -> None:
    _check_owner(user, endpoint, "set the default version of")
    if not isinstance(number, int) or isinstance(number, bool):
        raise EndpointError("default_version must be a version number", field="default_version")
    if not endpoint.versions.filter(number=number).exists():
        raise EndpointError(f"{endpoint.name} has no version {number}", field="default_version", status=404)
    endpoint.default_version = number
    endpoint.updated_by = _user(user)
    endpoint.updated_at = timezone.now()
    endpoint.save(update_fields=["default_version", "updated_by", "updated_at"])
    audit.record(user, "endpoint.default", endpoint, version=number)


def set_status(endpoint: PipelineEndpoint, status: Any, *, user=None) -> None:
    _check_owner(user, endpoint, "enable or disable")
    if status not in EndpointStatus.values:
        raise EndpointError(f"status is {' or '.join(EndpointStatus.values)}", field="status")
    endpoint.status = status
    endpoint.updated_by = _user(user)
    endpoint.updated_at = timezone.now()
    endpoint.save(update_fields=["status", "updated_by", "updated_at"])
    audit.record(user, "endpoint.enable" if status == EndpointStatus.ACTIVE else "endpoint.disable", endpoint)


def create_key(endpoint: PipelineEndpoint, name: Any, *, user=None) -> tuple[EndpointKey, str]:
    _check_owner(user, endpoint, "create keys of")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise EndpointError("a key needs a name of 1-100 characters", field="name")
    with transaction.atomic():
        key, secret = EndpointKey.issue(endpoint, name.strip(), user=user)
        audit.record(user, "key.create", key)
    return key, secret


def revoke_key(key: EndpointKey, *, user=None) -> None:
    """Revoke a key (the caller checked who may); the audit log gets key.revoke."""
    with transaction.atomic():
        key.revoke()
        audit.record(user, "key.revoke", key)


# --- invoke --------------------------------------------------------------------------------------


@dataclass
class Caller:
    """Who invokes: an endpoint key or a signed-in user (token or session)."""

    key: EndpointKey | None = None
    user: Any = None

    @property
    def ident(self) -> str:
        return f"key:{self.key.pk}" if self.key else f"user:{self.user.pk}"

    def audit(self) -> dict:
        """Who the audit log names for what this caller does: the user, or the key."""
        if self.key is None:
            return {"user": _user(self.user)}
        return {
            "user": None,
            "actor_label": f"key {self.key.name} of endpoint {self.key.endpoint.name}",
            "audit_source": "key",
        }


@dataclass
class Outcome:
    """What an invocation led to: the job (new or the one an idempotency key names) and the status."""

    status: int
    job: Any = None
    invocation: EndpointInvocation | None = None
    error: DefinitionError | EndpointError | None = None
    retry_after: int = 0


def _record(endpoint, caller: Caller, status: int, **fields) -> EndpointInvocation:
    return EndpointInvocation.objects.create(
        endpoint=endpoint,
        key=caller.key,
        user=_user(caller.user),
        caller=caller.ident,
        status_code=status,
        **fields,
    )


def _rate_limited(endpoint: PipelineEndpoint) -> int:
    """Seconds to wait when the endpoint's invocations of the current window are used up, else 0
    (taking one of them). The budget is the endpoint's, whichever key or user calls: a new key
    gets no fresh one."""
    count, seconds = settings.STUDIO_ENDPOINT_RATE_LIMIT
    if count <= 0:
        return 0
    return rate_limits.take(f"endpoint:{endpoint.pk}", count, seconds).wait


def _replay(endpoint, caller: Caller, idempotency_key: str, request_hash: str) -> Outcome | None:
    earlier = (
        EndpointInvocation.objects.select_related("job")
        .filter(endpoint=endpoint, caller=caller.ident, idempotency_key=idempotency_key)
        .first()
    )
    if earlier is None:
        return None
    if earlier.request_hash != request_hash:
        return Outcome(
            422,
            error=EndpointError(
                "this Idempotency-Key was used in the last 24 hours with a different request; "
                "use a new key for a new run",
                status=422,
                field="Idempotency-Key",
            ),
        )
    return Outcome(200, job=earlier.job, invocation=earlier)


def _assignments(body: Any) -> dict:
    """The parameter values a refused body tried to set, when they are an object (for the record)."""
    if not isinstance(body, dict):
        return {}
    values = body.get("ParameterAssignments", body.get("parameters"))
    return values if isinstance(values, dict) else {}


def invoke(
    endpoint: PipelineEndpoint,
    body: Any,
    *,
    caller: Caller,
    version: str | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    """Run a version of `endpoint` with the body's values; the job is queued on commit."""
    from runner.actions import submit_pipeline

    wait = _rate_limited(endpoint)
    if wait:
        _record(endpoint, caller, 429)
        message = f"too many invocations of endpoint {endpoint.name}; try again in {wait} s"
        return Outcome(429, error=EndpointError(message, status=429), retry_after=wait)
    if not endpoint.is_active:
        _record(endpoint, caller, 409)
        return Outcome(
            409, error=EndpointError(f"endpoint {endpoint.name} is disabled; enable it to run it", status=409)
        )
    number = None
    if version not in (None, ""):
        if not str(version).isdigit():
            _record(endpoint, caller, 400)
            return Outcome(400, error=EndpointError("version must be a version number", field="version"))
        number = int(version)
    chosen = endpoint.version(number)
    if chosen is None:
        _record(endpoint, caller, 404)
        return Outcome(404, error=EndpointError(f"{endpoint.name} has no version {number}", status=404))
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
            _record(endpoint, caller, 400)
            message = f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} characters"
            return Outcome(400, error=EndpointError(message, field="Idempotency-Key"))
        # Keys older than the window are forgotten, so they may start a new run.
        EndpointInvocation.objects.filter(
            endpoint=endpoint,
            caller=caller.ident,
            idempotency_key=idempotency_key,
            created_at__lt=timezone.now() - IDEMPOTENCY_WINDOW,
        ).update(idempotency_key=None)
    request_hash = content_hash({"version": number, "body": body})
    if idempotency_key:
        replayed = _replay(endpoint, caller, idempotency_key, request_hash)
        if replayed:
            return replayed
    try:
        invocation = read_invocation(body, chosen.parameters, user=caller.user)
    except DefinitionError as error:
        _record(
            endpoint,
            caller,
            400,
            version=chosen,
            problems=[problem.as_dict() for problem in error.problems],
            parameters=_assignments(body),
        )
        return Outcome(400, error=error)
    spec = run_spec(chosen.spec, invocation)
    spec = spec.model_copy(
        update={"tags": {**spec.tags, "endpoint": endpoint.name, "endpoint_version": str(chosen.number)}}
    )
    try:
        with transaction.atomic():
            job = submit_pipeline(spec, source="endpoint", **caller.audit())
            record = _record(
                endpoint,
                caller,
                201,
                version=chosen,
                job=job,
                parameters=invocation.parameters,
                inputs=invocation.inputs,
                idempotency_key=idempotency_key or None,
                request_hash=request_hash,
            )
    except IntegrityError:  # the same Idempotency-Key raced in: answer with the run that won
        replayed = _replay(endpoint, caller, idempotency_key or "", request_hash) if idempotency_key else None
        if replayed is None:
            raise
        return replayed
    return Outcome(201, job=job, invocation=record)
