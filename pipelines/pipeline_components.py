"""Registering a pipeline component (`type: pipeline`): a pipeline of jobs with its own inputs and
outputs, usable as one step of another pipeline.

Its jobs are compiled as a job's would be (every binding checked, every component resolved), then
stored with each job's component pinned to the registered version it resolved to: components in
local files and steps written inline become anonymous components (as in a job), so the stored
definition needs no file of the author's machine. Using it as a step expands its jobs into the job
(pipelines/scopes.py). The registry, a layer below, reaches `register_pipeline_component` through
the hook `install()` sets (studio/registry/pipeline_components.py).
"""

from __future__ import annotations

import copy
from contextvars import ContextVar
from typing import Any

from django.db import transaction

from pipelines.compiler import Compiler
from pipelines.document import INLINE_STEP_FIELDS
from pipelines.scopes import MAX_DEPTH, Scope, ScopedReport, compile_jobs, resolve_group_outputs
from pipelines.validation import check_steps
from studio.models import Component
from studio.registry import pipeline_components as hook
from studio.registry.attachments import Attachments, LocalAttachments
from studio.registry.components import ANONYMOUS_COMPONENT
from studio.registry.components import _port as port_spec
from studio.registry.plan import RegistrationPlan
from studio.registry.versions import content_hash, register_version
from studio.schemas.common import raise_problems, validate_document
from studio.schemas.loading import DefinitionError, LineIndex
from studio.schemas.pipeline_component import (
    PipelineComponentDocument,
    pipeline_component_problems,
    pipeline_component_warnings,
)

# The pipeline component files being registered, outermost first: one that names itself (directly
# or through others) would otherwise be registered forever.
_REGISTERING: ContextVar[tuple[str, ...]] = ContextVar("registering_pipeline_components", default=())


def _pinned_jobs(jobs: dict[str, Any], chosen: dict[str, Any]) -> dict[str, Any]:
    """The jobs as written, each naming the component version it resolved to."""
    pinned: dict[str, Any] = {}
    for name, step in jobs.items():
        step = {key: value for key, value in copy.deepcopy(step).items() if key not in INLINE_STEP_FIELDS}
        component = chosen[name]
        step["component"] = f"azureml:{component.name}:{component.version}"
        step["type"] = "pipeline" if (component.spec or {}).get("type") == "pipeline" else "command"
        pinned[name] = step
    return pinned


def register_pipeline_component(
    document: dict[str, Any],
    *,
    index: LineIndex,
    filename: str,
    attachments: Attachments,
    user=None,
    plan: RegistrationPlan | None = None,
    anonymous: bool = False,
) -> tuple[Component, bool]:
    """Check a pipeline component and register it (and the anonymous components its jobs define);
    an identical definition returns the existing version. With a `plan`, nothing is written."""
    if filename in _REGISTERING.get() or len(_REGISTERING.get()) > MAX_DEPTH:
        raise DefinitionError.single(
            filename, "jobs", f"contains itself, or pipeline components nest more than {MAX_DEPTH} deep"
        )
    token = _REGISTERING.set((*_REGISTERING.get(), filename))
    try:
        return _register(
            document,
            index=index,
            filename=filename,
            attachments=attachments,
            user=user,
            plan=plan,
            anonymous=anonymous,
        )
    finally:
        _REGISTERING.reset(token)


def _register(document, *, index, filename, attachments, user, plan, anonymous) -> tuple[Component, bool]:
    component = validate_document(PipelineComponentDocument, document, index=index, filename=filename)
    raise_problems(pipeline_component_problems(component), index=index, filename=filename)
    base_dir = attachments.base_dir if isinstance(attachments, LocalAttachments) else None
    c = Compiler(index=index, filename=filename, base_dir=base_dir, user=user, allow_unset_parameters=True)
    c.registering = True
    if plan is not None:
        c.plan = plan
    inputs = {name: port_spec(port) for name, port in component.inputs.items()}
    outputs = {name: port_spec(port) for name, port in component.outputs.items()}
    scope = Scope(
        inputs={
            name: {"kind": "literal", "value": port["default"]}
            for name, port in inputs.items()
            if port.get("default") is not None
        },
        sources={name: name for name in inputs},  # bound when a job uses the component
        declared=set(inputs),
        declarations=inputs,
        outputs=outputs,
        feeds={name: None for name in outputs},
    )
    steps: dict[str, dict] = {}
    groups: dict[str, dict] = {}
    compile_jobs(c, component.jobs, scope, steps, groups)
    report = ScopedReport(c, steps)
    resolve_group_outputs(c, steps, groups, report)
    check_steps(report, steps=steps, pipeline_outputs={})
    for name in outputs:
        if name not in scope.output_sources:
            c.problem(("outputs", name), "no job output is bound to this pipeline output")
    if c.problems:
        raise DefinitionError(c.problems)
    chosen = {name: (steps.get(name) or groups.get(name))["component"] for name in component.jobs}
    name, display_name, tags = component.name, component.display_name, dict(component.tags)
    if anonymous:
        name, display_name = ANONYMOUS_COMPONENT, display_name or component.name
        tags = {**tags, "anonymous": "true"}
    spec = {
        "type": "pipeline",
        "name": name,
        "display_name": display_name or "",
        "description": component.description or "",
        "tags": tags,
        "is_deterministic": component.is_deterministic,
        "inputs": inputs,
        "outputs": outputs,
        "jobs": _pinned_jobs(component.jobs, chosen),
    }
    version = content_hash(spec)[:16] if anonymous else component.version
    fields = {"display_name": display_name or "", "environment": None, "code_digest": ""}
    options = {"name": name, "version": version, "spec": spec, "filename": filename, "fields": fields}
    if plan is not None:
        registered, created = register_version(Component, **options, user=user, plan=plan)
    else:
        with transaction.atomic():
            c.plan.apply()
            registered, created = register_version(Component, **options, user=user)
    for path, message in pipeline_component_warnings(component):  # its own tolerated fields
        c.warning(path, message)
    registered.registration_warnings = list(c.warnings)  # its jobs' and their components'
    if plan is not None:
        plan.warn(registered.registration_warnings)
    return registered, created


def install() -> None:
    """Let the registry register pipeline components with `register_pipeline_component`."""
    hook.install(register_pipeline_component)
