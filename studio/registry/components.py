"""Registering and exporting command components."""

from __future__ import annotations

from typing import Any

import yaml

from studio.errors import Problem
from studio.models import Component, Environment
from studio.references import ReferenceError, parse_reference, resolve
from studio.registry.attachments import Attachments
from studio.registry.environments import register_inline_environment
from studio.registry.plan import RegistrationPlan
from studio.registry.versions import content_hash, register_version
from studio.schemas.common import SNAPSHOT_REFERENCE, raise_problems, validate_document
from studio.schemas.component import (
    CommandComponentDocument,
    component_problems,
    component_warnings,
    kept_resources,
    pre_check,
)
from studio.schemas.loading import LineIndex, format_path
from studio.storage.layout import snapshot_exists

COMPONENT_SCHEMA = "https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json"
# Components a job defines (inline, or in a local file it references) are anonymous, as in Azure
# ML: one name for all of them, the version is the content's hash, and the name the definition
# declares is only shown (display name). They never touch named versions.
ANONYMOUS_COMPONENT = "anonymous_component"


def _port(port) -> dict[str, Any]:
    data = port.model_dump(exclude_none=True)
    if not data.get("optional"):
        data.pop("optional", None)
    return data


def _environment(
    component: CommandComponentDocument,
    *,
    index: LineIndex,
    filename: str,
    attachments: Attachments,
    user,
    plan: RegistrationPlan | None,
    warnings: list[Problem],
) -> Environment:
    if isinstance(component.environment, dict):
        return register_inline_environment(
            component.environment,
            index=index,
            filename=filename,
            attachments=attachments,
            user=user,
            plan=plan,
            warnings=warnings,
        )
    try:
        return resolve(Environment, parse_reference(component.environment, kind="environments"))
    except ReferenceError as error:
        raise_problems([(("environment",), str(error))], index=index, filename=filename)


def _code_digest(code: str | None, *, index: LineIndex, filename: str, attachments: Attachments) -> str:
    if code is None:
        return ""
    reference = SNAPSHOT_REFERENCE.match(code)
    if reference:
        if not snapshot_exists(reference["digest"]):
            raise_problems(
                [(("code",), "no stored code snapshot has this digest")], index=index, filename=filename
            )
        return reference["digest"]
    return attachments.folder("code", code).digest


def register_component(
    document: dict[str, Any],
    *,
    index: LineIndex,
    filename: str,
    attachments: Attachments,
    user=None,
    plan: RegistrationPlan | None = None,
    anonymous: bool = False,
) -> tuple[Component, bool]:
    """Register a command component; an identical definition returns the existing version. With a
    `plan`, nothing is written (see studio.registry.plan). `anonymous`: as a job's own component
    (ANONYMOUS_COMPONENT, versioned by content, its declared name shown as its display name).
    The fields that have no effect here (its own, its inline environment's, its conda file's) are on
    `component.registration_warnings`, and on the plan's `warnings`."""
    raise_problems(pre_check(document), index=index, filename=filename)
    component = validate_document(CommandComponentDocument, document, index=index, filename=filename)
    raise_problems(component_problems(component), index=index, filename=filename)
    warnings = [
        Problem(filename, format_path(path), message, index.line_of(path))
        for path, message in component_warnings(component)
    ]
    environment = _environment(
        component,
        index=index,
        filename=filename,
        attachments=attachments,
        user=user,
        plan=plan,
        warnings=warnings,
    )
    code_digest = _code_digest(component.code, index=index, filename=filename, attachments=attachments)
    name, version, display_name, tags = (
        component.name,
        component.version,
        component.display_name,
        component.tags,
    )
    if anonymous:
        name, display_name = ANONYMOUS_COMPONENT, display_name or component.name
        tags = {**tags, "anonymous": "true"}
    spec = {
        "name": name,
        "display_name": display_name or "",
        "description": component.description or "",
        "tags": dict(tags),
        "is_deterministic": component.is_deterministic,
        "inputs": {name: _port(port) for name, port in component.inputs.items()},
        "outputs": {name: _port(port) for name, port in component.outputs.items()},
        "command": component.command,
        "code": code_digest or None,
        "environment": f"{environment.name}:{environment.version}",
        "resources": kept_resources(component.resources),
    }
    if anonymous:
        version = content_hash(spec)[:16]
    registered, created = register_version(
        Component,
        name=name,
        version=version,
        spec=spec,
        filename=filename,
        fields={
            "display_name": display_name or "",
            "environment": environment,
            "code_digest": code_digest,
        },
        user=user,
        plan=plan,
    )
    registered.registration_warnings = warnings
    if plan is not None:
        plan.warn(warnings)
    return registered, created


def export_component(component: Component) -> str:
    """The component as YAML that registers back to the same content hash."""
    spec = component.spec
    document: dict[str, Any] = {
        "$schema": COMPONENT_SCHEMA,
        "type": "command",
        "name": spec["name"],
        "version": component.version,
    }
    for key in ("display_name", "description"):
        if spec.get(key):
            document[key] = spec[key]
    if spec.get("tags"):
        document["tags"] = spec["tags"]
    document["is_deterministic"] = spec["is_deterministic"]
    if spec.get("inputs"):
        document["inputs"] = spec["inputs"]
    if spec.get("outputs"):
        document["outputs"] = spec["outputs"]
    if spec.get("code"):
        document["code"] = f"studio://snapshots/{spec['code']}"
    document["environment"] = f"azureml:{spec['environment']}"
    if spec.get("resources"):
        document["resources"] = spec["resources"]
    document["command"] = spec["command"]
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
