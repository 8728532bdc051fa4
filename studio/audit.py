"""The audit log: `record(actor, action, target, **detail)` is called once where each action
happens (submit, cancel, rerun, publish, default version, enable/disable, endpoint keys, users and
roles, computes, draft delete, asset archive). The entry keeps who (the user, and their name in
words so it outlives them; an endpoint key when a key did it), what (a short code such as
`job.submit`), the target (type and name), a small detail and where it came from: `web` (pages),
`api` (REST), `cli` (the `studio` command, which says so in its User-Agent), `key` (an endpoint
key) or `system` (Studio itself, e.g. a management command). Entries are kept for good.
"""

from __future__ import annotations

import contextvars
from typing import Any

from studio.models.audit import AuditEntry, AuditSource

ACTIONS = (
    "job.submit",
    "job.cancel",
    "job.rerun",
    "endpoint.publish",
    "endpoint.default",
    "endpoint.enable",
    "endpoint.disable",
    "key.create",
    "key.revoke",
    "user.create",
    "user.role",
    "user.update",
    "compute.create",
    "compute.update",
    "compute.drain",
    "compute.resume",
    "compute.delete",
    "draft.delete",
    "asset.archive",
    "asset.unarchive",
)

CLI_AGENT = "studio-cli"
MAX_DETAIL_TEXT = 200
MAX_DETAIL_ITEMS = 20

_source: contextvars.ContextVar[str] = contextvars.ContextVar(
    "studio_audit_source", default=AuditSource.SYSTEM
)

# What a target model is called in the log (by Django model name); others use their model name.
TARGET_TYPES = {
    "pipelinejob": "job",
    "pipelineendpoint": "endpoint",
    "endpointversion": "endpoint",
    "endpointkey": "key",
    "user": "user",
    "compute": "compute",
    "pipelinedraft": "draft",
    "dataasset": "data",
    "modelasset": "model",
}


def source_of(request) -> str:
    """Where a request comes from: the CLI, the REST API or the pages."""
    if request.headers.get("User-Agent", "").startswith(CLI_AGENT):
        return AuditSource.CLI
    if request.path.startswith("/api/"):
        return AuditSource.API
    return AuditSource.WEB


class AuditSourceMiddleware:
    """Remembers, for the request being answered, where it comes from (`source_of`)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = _source.set(source_of(request))
        try:
            return self.get_response(request)
        finally:
            _source.reset(token)


def describe(target: Any) -> tuple[str, str]:
    """A target's type and name: a model instance, or a (type, name) pair."""
    if isinstance(target, tuple):
        kind, name = target
        return str(kind), str(name)
    model_name = target._meta.model_name
    kind = TARGET_TYPES.get(model_name, model_name)
    if kind == "user":
        return kind, target.get_username()
    if kind == "key":
        return kind, f"{target.endpoint.name}/{target.name}"
    if kind == "endpoint" and model_name == "endpointversion":
        return kind, f"{target.endpoint.name}:{target.number}"
    if hasattr(target, "version") and isinstance(getattr(target, "version", None), str):
        return kind, f"{target.name}:{target.version}"
    return kind, str(getattr(target, "name", None) or target.pk)


def _small(value: Any, depth: int = 0) -> Any:
    """The detail kept small: short text, few items, nothing deep."""
    if isinstance(value, str):
        return value if len(value) <= MAX_DETAIL_TEXT else f"{value[: MAX_DETAIL_TEXT - 1]}…"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if depth >= 2:
        return _small(str(value), depth)
    if isinstance(value, dict):
        return {str(k)[:60]: _small(v, depth + 1) for k, v in list(value.items())[:MAX_DETAIL_ITEMS]}
    if isinstance(value, (list, tuple, set)):
        return [_small(v, depth + 1) for v in list(value)[:MAX_DETAIL_ITEMS]]
    return _small(str(value), depth)


def record(
    actor, action: str, target: Any, *, actor_label: str = "", source: str = "", **detail
) -> AuditEntry:
    """Write one entry: `actor` (a user, or None for an endpoint key or Studio itself, then named by
    `actor_label`) did `action` to `target`. `source` defaults to where the current request came from."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = actor_label or (user.get_username() if user is not None else "Studio")
    target_type, target_name = describe(target)
    return AuditEntry.objects.create(
        actor=user,
        actor_label=label[:200],
        action=action,
        target_type=target_type[:40],
        target_name=target_name[:255],
        detail=_small({k: v for k, v in detail.items() if v not in (None, "")}),
        source=source or _source.get(),
    )
