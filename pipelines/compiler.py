"""Compiling an Azure ML v2 pipeline job YAML (`type: pipeline`) to a PipelineSpec.

Bindings understood: `${{parent.inputs.x}}`, `${{parent.jobs.s.outputs.y}}` and
`${{parent.outputs.z}}`; literal inputs; data inputs as `{type, path}` where the path is a
registered data asset (`azureml:NAME:VERSION`, `azureml:NAME@latest`), a stored snapshot
(`studio://snapshots/…`, which is what `studio job create` turns local paths into), an http(s)
URL, a server path under STUDIO_DATA_ROOTS, or — when compiling from disk — a local path.

Compiling has two phases. `resolve_pipeline` checks everything and writes nothing: components
defined inline or in local files become entries of a RegistrationPlan (unsaved versions) instead
of rows. `Resolution.materialize()` writes the plan and pins the spec in one transaction; a caller
that can still refuse the job (a taken name) checks that in between, so a refused job leaves no
component or environment behind. `compile_pipeline` does both at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from pipelines.document import MAX_RETRIES
from pipelines.spec import PipelineSpec, literal_problem
from pipelines.validation import build_spec, check_steps
from studio.choices import ComputeState
from studio.models import Component, Compute, DataAsset
from studio.references import ReferenceError, parse_reference, resolve, resolve_compute
from studio.registry import LocalAttachments, register_file
from studio.registry.components import register_component
from studio.registry.plan import RegistrationPlan
from studio.schemas.common import SNAPSHOT_REFERENCE
from studio.schemas.loading import DefinitionError, LineIndex, Problem, format_path

BINDING = re.compile(r"^\$\{\{\s*parent\.(?P<body>[A-Za-z0-9_.]+)\s*\}\}$")
PIPELINE_FIELDS = {
    "$schema", "type", "name", "display_name", "experiment_name", "description", "tags", "settings",
    "inputs", "outputs", "jobs", "compute",
}  # fmt: skip
SETTINGS_FIELDS = {"default_compute", "continue_on_step_failure", "force_rerun"}
STEP_FIELDS = {
    "type", "component", "compute", "inputs", "outputs", "display_name", "description", "tags", "limits",
    "retry_settings", "force_rerun",
}  # fmt: skip
UNSUPPORTED = {
    "default_datastore": "datastores do not exist in Studio; outputs live in its artifact store",
    "on_init": "on_init jobs are not supported",
    "on_finalize": "on_finalize jobs are not supported",
    "environment_variables": "set environment variables on the environment instead",
    "resources": "resources belong to the component",
    "distribution": "distributed steps are not supported",
    "identity": "identities are not supported; steps run as an unprivileged user",
}
DATA_TYPES = ("uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model")


class Compiler:
    """Collects every problem of one pipeline document instead of stopping at the first."""

    def __init__(
        self,
        *,
        index: LineIndex,
        filename: str,
        base_dir: Path | None,
        user,
        allow_unset_parameters: bool = False,
    ) -> None:
        self.allow_unset_parameters = allow_unset_parameters
        self.index = index
        self.filename = filename
        self.base_dir = base_dir
        self.user = user
        self.problems: list[Problem] = []
        self.plan = RegistrationPlan()  # what materializing writes; resolving writes nothing
        # What a reference resolved to, so that the steps naming one component or compute
        # (10,000 of them, it may be) cost one query together.
        self._resolved: dict[tuple[str, str], Any] = {}

    def problem(self, path: tuple, message: str) -> None:
        """Record a problem at a field path."""
        self.problems.append(Problem(self.filename, format_path(path), message, self.index.line_of(path)))

    def once(self, kind: str, reference: str, lookup):
        """`lookup()` the first time this compile meets `reference`, then what it returned."""
        found = self._resolved.get((kind, reference))
        if found is None:
            found = self._resolved[(kind, reference)] = lookup()
        return found

    # --- pieces ------------------------------------------------------------------------------

    def compute(self, value: Any, path: tuple) -> str | None:
        """The Studio compute a YAML compute name means."""
        if not isinstance(value, str):
            self.problem(path, f"expected a compute name such as azureml:docker, got {value!r}")
            return None
        try:
            return self.once("compute", value, lambda: resolve_compute(value)).name
        except ReferenceError as error:
            self.problem(path, str(error))
            return None

    def default_compute(self) -> str | None:
        """`docker` when it is online, else `local`: what a newcomer's pipeline should run on."""
        docker = Compute.objects.filter(name="docker", state=ComputeState.ONLINE).first()
        if docker is not None:
            return docker.name
        return "local" if Compute.objects.filter(name="local").exists() else None

    def data(self, value: dict, path: tuple, *, expected_type: str | None = None) -> dict | None:
        """A `{type, path}` data input as a DataBinding."""
        unknown = set(value) - {"type", "path", "mode", "description"}
        for key in sorted(unknown):
            self.problem((*path, key), "is not a field of a data input")
        kind = value.get("type", expected_type or "uri_folder")
        if kind not in DATA_TYPES:
            self.problem((*path, "type"), f"data inputs are {', '.join(DATA_TYPES)}, not {kind!r}")
            return None
        if value.get("mode") not in (None, "ro_mount", "download", "direct"):
            self.problem((*path, "mode"), f"input mode {value['mode']!r} is not supported")
        location = value.get("path")
        if not isinstance(location, str) or not location.strip():
            self.problem((*path, "path"), "a data input needs a path")
            return None
        return self.data_location(location.strip(), kind, (*path, "path"))

    def data_location(self, location: str, kind: str, path: tuple) -> dict | None:
        """Resolve where data comes from to a snapshot or URL."""
        from studio.storage.layout import snapshot_exists

        snapshot = SNAPSHOT_REFERENCE.match(location)
        if snapshot:
            if not snapshot_exists(snapshot["digest"]):
                self.problem(path, "no stored data has this digest")
                return None
            return {"kind": "data", "type": kind, "snapshot": snapshot["digest"]}
        if location.startswith(("http://", "https://")):
            return {"kind": "data", "type": kind, "url": location}
        if location.startswith("azureml:") and not location.startswith("azureml://datastores"):
            try:
                asset = self.once(
                    "data", location, lambda: resolve(DataAsset, parse_reference(location, kind="data"))
                )
            except ReferenceError as error:
                self.problem(path, str(error))
                return None
            if kind == "uri_file" and asset.data_type != "uri_file":
                self.problem(path, f"{asset} is a {asset.data_type}; this input needs a uri_file")
                return None
            binding = {"kind": "data", "type": kind, "asset": f"{asset.name}:{asset.version}"}
            if asset.url:
                return {**binding, "url": asset.url}
            return {**binding, "snapshot": asset.snapshot_digest}
        if "://" in location:
            self.problem(path, "cloud datastores are not reachable from Studio; use a data asset or a URL")
            return None
        return self.local_data(location, kind, path)

    def local_data(self, location: str, kind: str, path: tuple) -> dict | None:
        """A server path under STUDIO_DATA_ROOTS, or a local path when compiling from disk."""
        from studio.storage.layout import StorageError
        from studio.storage.snapshotting import snapshot_file, snapshot_folder

        candidate = Path(location)
        if candidate.is_absolute():
            roots = [Path(root).resolve() for root in settings.STUDIO_DATA_ROOTS]
            resolved = candidate.resolve()
            if not any(resolved == root or root in resolved.parents for root in roots):
                self.problem(
                    path,
                    "server paths must lie under STUDIO_DATA_ROOTS"
                    + (f" ({', '.join(map(str, roots))})" if roots else ", which is not set"),
                )
                return None
        elif self.base_dir is not None:
            resolved = (self.base_dir / candidate).resolve()
        else:
            self.problem(path, f"{location!r} is a local path: `studio job create` uploads it with the job")
            return None
        if not resolved.exists():
            self.problem(path, f"{location!r} does not exist")
            return None
        try:
            if kind == "uri_file":
                if not resolved.is_file():
                    self.problem(path, f"{location!r} is a folder; this input needs a file")
                    return None
                snapshot = snapshot_file(resolved)
            else:
                if not resolved.is_dir():
                    self.problem(path, f"{location!r} is a file; this input needs a folder")
                    return None
                snapshot = snapshot_folder(resolved)
        except StorageError as error:
            self.problem(path, str(error))
            return None
        return {"kind": "data", "type": kind, "snapshot": snapshot.digest}

    def inline_component(self, value: dict, path: tuple) -> Component | None:
        """Register an inline component; its problems are named under the step's `component`."""
        attachments = LocalAttachments(self.base_dir or Path("/nonexistent"), filename=self.filename)
        document = {"name": "anonymous_component", **value}
        prefix = len(path)
        nested = LineIndex(
            {key[prefix:]: line for key, line in self.index.lines.items() if key[:prefix] == path}
        )
        try:
            component, _ = register_component(
                document,
                index=nested,
                filename=self.filename,
                attachments=attachments,
                user=self.user,
                plan=self.plan,
            )
        except DefinitionError as error:
            for problem in error.problems:
                field = format_path(path) + (f".{problem.field}" if problem.field else "")
                line = problem.line or self.index.line_of(path)
                self.problems.append(Problem(problem.file, field, problem.message, line))
            return None
        return component

    def flag(self, value: Any, path: tuple) -> bool:
        """A true/false setting; anything else is a problem (and false)."""
        if value is None:
            return False
        if not isinstance(value, bool):
            self.problem(path, f"expected true or false, got {value!r}")
            return False
        return value

    def component(self, value: Any, path: tuple) -> Component | None:
        """The component a step runs: a reference, a local file, or an inline definition."""
        try:
            if isinstance(value, dict):
                return self.inline_component(value, path)
            if not isinstance(value, str):
                self.problem(path, "expected a component reference, a local YAML file or an inline component")
                return None
            if value.endswith((".yml", ".yaml")) and not value.startswith("azureml:"):
                if self.base_dir is None:
                    self.problem(path, f"{value!r} is a local file: `studio job create` registers it first")
                    return None
                file = (self.base_dir / value).resolve()
                if not file.is_file():
                    self.problem(path, f"{value!r} does not exist")
                    return None
                return self.once(
                    "file",
                    str(file),
                    lambda: register_file(file, kind="component", user=self.user, plan=self.plan)[0],
                )
            return self.once(
                "component", value, lambda: resolve(Component, parse_reference(value, kind="components"))
            )
        except ReferenceError as error:
            self.problem(path, str(error))
        except DefinitionError as error:
            for problem in error.problems:
                self.problems.append(problem)
        return None


PARAMETER_TYPES = ("string", "integer", "number", "boolean")


def _declaration(c: Compiler, value: dict, path: tuple, literal: Any) -> dict | None:
    """The declared type, description and optional flag of a literal pipeline input, checked
    against its value; None (with problems reported) when they do not fit."""
    declared = value.get("type")
    if declared is not None and declared not in PARAMETER_TYPES:
        hint = " (data inputs need a path)" if declared in DATA_TYPES else ""
        c.problem((*path, "type"), f"{declared!r} is not one of {', '.join(PARAMETER_TYPES)}{hint}")
        return None
    if declared is not None and literal is not None:
        problem = literal_problem({"type": declared}, literal)
        if problem:
            c.problem(path, f"the declared type {declared} does not fit the value: {problem}")
            return None
    description = value.get("description", "")
    if not isinstance(description, str):
        c.problem((*path, "description"), "must be text")
        description = ""
    optional = value.get("optional", False)
    if not isinstance(optional, bool):
        c.problem((*path, "optional"), f"expected true or false, got {optional!r}")
        optional = False
    return {"type": declared, "description": description, "optional": optional}


def _binding_target(text: str) -> tuple[str, ...] | None:
    match = BINDING.match(text.strip()) if isinstance(text, str) else None
    return tuple(match["body"].split(".")) if match else None


@dataclass
class Resolution:
    """A checked pipeline: the registrations it needs (`plan`) and how to pin its spec once
    they are written. Nothing has been written yet."""

    plan: RegistrationPlan
    _build: Any

    def materialize(self) -> PipelineSpec:
        """Write the planned registrations and return the pinned spec, in one transaction (the
        caller's, when it holds one: submit the job in the same one)."""
        with transaction.atomic():
            self.plan.apply()
            return self._build()


def compile_pipeline(
    document: dict[str, Any],
    *,
    index: LineIndex,
    filename: str,
    base_dir: Path | None = None,
    user=None,
    allow_unset_parameters: bool = False,
) -> PipelineSpec:
    """Resolve and materialize at once: the PipelineSpec, or DefinitionError listing every problem."""
    return resolve_pipeline(
        document,
        index=index,
        filename=filename,
        base_dir=base_dir,
        user=user,
        allow_unset_parameters=allow_unset_parameters,
    ).materialize()


def resolve_pipeline(
    document: dict[str, Any],
    *,
    index: LineIndex,
    filename: str,
    base_dir: Path | None = None,
    user=None,
    allow_unset_parameters: bool = False,
) -> Resolution:
    """Validate a pipeline job document and resolve every reference, writing nothing;
    DefinitionError lists every problem.

    `allow_unset_parameters` (publishing an endpoint) lets a pipeline input without a value feed a
    required port: it becomes a required parameter every invocation sets."""
    c = Compiler(
        index=index,
        filename=filename,
        base_dir=base_dir,
        user=user,
        allow_unset_parameters=allow_unset_parameters,
    )
    most = settings.STUDIO_MAX_STEPS_PER_JOB
    jobs = document.get("jobs")
    if isinstance(jobs, dict) and len(jobs) > most:  # before anything is looked up: a bounded cost
        c.problem(
            ("jobs",),
            f"a pipeline job has at most {most} steps (STUDIO_MAX_STEPS_PER_JOB); this one has {len(jobs)}",
        )
        raise DefinitionError(c.problems)
    if document.get("type", "pipeline") != "pipeline":
        c.problem(
            ("type",), f"Studio runs pipeline jobs; type {document.get('type')!r} is not supported here"
        )
    for key in document:
        if key in UNSUPPORTED:
            c.problem((key,), UNSUPPORTED[key])
        elif key not in PIPELINE_FIELDS:
            c.problem((key,), "is not a field of a pipeline job, or one Studio does not support")

    settings_doc = document.get("settings") or {}
    if not isinstance(settings_doc, dict):
        c.problem(("settings",), "must be a mapping")
        settings_doc = {}
    for key in settings_doc:
        if key in UNSUPPORTED:
            c.problem(("settings", key), UNSUPPORTED[key])
        elif key not in SETTINGS_FIELDS:
            c.problem(("settings", key), "is not a pipeline setting Studio knows")
    for flag in ("continue_on_step_failure", "force_rerun"):
        if flag in settings_doc and not isinstance(settings_doc[flag], bool):
            c.problem(("settings", flag), f"expected true or false, got {settings_doc[flag]!r}")
    default_compute = None
    compute_text = settings_doc.get("default_compute", document.get("compute"))
    if compute_text is not None:
        default_compute = c.compute(
            compute_text,
            ("settings", "default_compute") if "default_compute" in settings_doc else ("compute",),
        )
    else:
        default_compute = c.default_compute()

    pipeline_inputs: dict[str, dict] = {}
    declarations: dict[str, dict] = {}
    raw_inputs = document.get("inputs") or {}
    if not isinstance(raw_inputs, dict):
        c.problem(("inputs",), "must be a mapping of input names to values")
        raw_inputs = {}
    for name, value in raw_inputs.items():
        path = ("inputs", name)
        if not isinstance(name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            c.problem(path, f"{name!r} is not a valid input name: letters, digits and '_'")
            continue
        if isinstance(value, str) and "${{" in value:
            c.problem(path, "a pipeline input is a value or {type, path}; bindings belong to job inputs")
            continue
        if isinstance(value, dict) and "path" in value:
            binding = c.data(value, path)
            if binding is not None and isinstance(value.get("description"), str):
                declarations[name] = {"type": binding["type"], "description": value["description"]}
        elif isinstance(value, dict):
            unknown = set(value) - {"type", "default", "value", "description", "optional"}
            for key in sorted(unknown):
                c.problem((*path, key), "is not a field of a pipeline input")
            literal = value.get("value", value.get("default"))
            if not isinstance(literal, (str, int, float, bool)) and literal is not None:
                c.problem(path, f"expected a single value, got {type(literal).__name__}")
                continue
            declaration = _declaration(c, value, path, literal)
            if declaration is None:
                continue
            declarations[name] = declaration
            binding = {"kind": "literal", "value": literal}
        elif isinstance(value, (str, int, float, bool)) or value is None:
            binding = {"kind": "literal", "value": value}
        else:
            c.problem(path, f"expected a value or {{type, path}}, got {type(value).__name__}")
            binding = None
        if binding is not None:
            pipeline_inputs[name] = binding

    raw_outputs = document.get("outputs") or {}
    if not isinstance(raw_outputs, dict):
        c.problem(("outputs",), "must be a mapping")
        raw_outputs = {}

    jobs = document.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        c.problem(("jobs",), "a pipeline needs at least one job under `jobs:`")
        jobs = {}

    steps: dict[str, dict] = {}
    for step_name, step in jobs.items():
        path = ("jobs", step_name)
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$", str(step_name)):
            c.problem(path, f"{step_name!r} is not a valid job name: letters, digits and '_'")
            continue
        if not isinstance(step, dict):
            c.problem(path, "must be a mapping")
            continue
        if step.get("type", "command") != "command":
            c.problem((*path, "type"), f"only command jobs are supported, not {step.get('type')!r}")
        for key in step:
            if key in UNSUPPORTED:
                c.problem((*path, key), UNSUPPORTED[key])
            elif key not in STEP_FIELDS:
                c.problem(
                    (*path, key), "is not a field of a pipeline job step, or one Studio does not support"
                )
        if "component" not in step:
            c.problem((*path, "component"), "is required")
            continue
        component = c.component(step["component"], (*path, "component"))
        compute = c.compute(step["compute"], (*path, "compute")) if "compute" in step else default_compute
        if compute is None and "compute" not in step:
            c.problem((*path, "compute"), "no compute: set settings.default_compute or this job's compute")
        inputs: dict[str, Any] = {}
        input_sources: dict[str, str] = {}
        raw_step_inputs = step.get("inputs") or {}
        if not isinstance(raw_step_inputs, dict):
            c.problem((*path, "inputs"), "must be a mapping")
            raw_step_inputs = {}
        ports = component.spec.get("inputs", {}) if component else {}
        for port, value in raw_step_inputs.items():
            port_path = (*path, "inputs", port)
            target = _binding_target(value) if isinstance(value, str) else None
            if target is not None:
                if len(target) == 2 and target[0] == "inputs":
                    if target[1] not in pipeline_inputs and target[1] not in raw_inputs:
                        c.problem(
                            port_path, f"binds parent.inputs.{target[1]}, which the pipeline does not declare"
                        )
                    elif target[1] in pipeline_inputs:
                        inputs[port] = dict(pipeline_inputs[target[1]])
                        input_sources[port] = target[1]
                elif len(target) == 4 and target[0] == "jobs" and target[2] == "outputs":
                    inputs[port] = {"kind": "step_output", "step": target[1], "output": target[3]}
                else:
                    c.problem(
                        port_path,
                        f"{value!r} is not ${{{{parent.inputs.X}}}} or ${{{{parent.jobs.S.outputs.Y}}}}",
                    )
            elif isinstance(value, str) and "${{" in value:
                c.problem(port_path, f"{value!r} is not a binding Studio understands")
            elif isinstance(value, dict):
                expected = ports.get(port, {}).get("type")
                binding = c.data(value, port_path, expected_type=expected if expected in DATA_TYPES else None)
                if binding is not None:
                    inputs[port] = binding
            elif isinstance(value, (str, int, float, bool)) or value is None:
                inputs[port] = {"kind": "literal", "value": value}
            else:
                c.problem(
                    port_path, f"expected a value, a binding or {{type, path}}, got {type(value).__name__}"
                )
        outputs: dict[str, str | None] = {}
        raw_step_outputs = step.get("outputs") or {}
        if not isinstance(raw_step_outputs, dict):
            c.problem((*path, "outputs"), "must be a mapping")
            raw_step_outputs = {}
        for port, value in raw_step_outputs.items():
            port_path = (*path, "outputs", port)
            target = _binding_target(value) if isinstance(value, str) else None
            if target is not None:
                if len(target) == 2 and target[0] == "outputs":
                    outputs[port] = target[1]
                else:
                    c.problem(port_path, f"{value!r} is not ${{{{parent.outputs.Z}}}}")
            elif isinstance(value, dict) or value is None:
                outputs[port] = None
            else:
                c.problem(
                    port_path, f"expected ${{{{parent.outputs.Z}}}} or an output definition, got {value!r}"
                )
        limits = step.get("limits") or {}
        retry = step.get("retry_settings") or {}
        if not isinstance(limits, dict):
            c.problem((*path, "limits"), "must be a mapping such as {timeout: 3600}")
            limits = {}
        if not isinstance(retry, dict):
            c.problem((*path, "retry_settings"), "must be a mapping such as {max_retries: 2}")
            retry = {}
        for key in sorted(set(limits) - {"timeout"}):
            c.problem((*path, "limits", key), "is not a limit Studio knows (only timeout)")
        timeout = limits.get("timeout") if isinstance(limits, dict) else None
        if timeout is not None and (
            not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0
        ):
            c.problem((*path, "limits", "timeout"), f"expected a whole number of seconds, got {timeout!r}")
            timeout = None
        max_retries = retry.get("max_retries", 0) if isinstance(retry, dict) else 0
        if (
            not isinstance(max_retries, int)
            or isinstance(max_retries, bool)
            or not 0 <= max_retries <= MAX_RETRIES
        ):
            c.problem(
                (*path, "retry_settings", "max_retries"), f"expected a whole number from 0 to {MAX_RETRIES}"
            )
            max_retries = 0
        retry_path = (*path, "retry_settings", "retry_on_failure")
        retry_on_failure = c.flag(retry.get("retry_on_failure"), retry_path)
        if isinstance(retry, dict):
            for key in set(retry) - {"max_retries", "retry_on_failure", "timeout"}:
                c.problem((*path, "retry_settings", key), "is not a retry setting Studio knows")
        steps[step_name] = {
            "name": step_name,
            "display_name": str(step.get("display_name") or ""),
            "component": component,
            "compute": compute,
            "inputs": inputs,
            "input_sources": input_sources,
            "outputs": outputs,
            "limits": {"timeout": timeout},
            "retry_settings": {"max_retries": max_retries, "retry_on_failure": retry_on_failure},
            "force_rerun": c.flag(step.get("force_rerun"), (*path, "force_rerun")),
        }

    header = {
        "display_name": str(document.get("display_name") or document.get("name") or ""),
        "experiment_name": str(document.get("experiment_name") or "Default"),
        "description": str(document.get("description") or ""),
        "tags": {str(k): str(v) for k, v in (document.get("tags") or {}).items()}
        if isinstance(document.get("tags"), dict)
        else {},
        "settings": {
            "default_compute": default_compute,
            "continue_on_step_failure": bool(settings_doc.get("continue_on_step_failure", False)),
            "force_rerun": bool(settings_doc.get("force_rerun", False)),
        },
        "input_declarations": declarations,
    }
    pipeline_outputs = {name: (value or {}) for name, value in raw_outputs.items()}
    outputs = check_steps(c, steps=steps, pipeline_outputs=pipeline_outputs)
    if c.problems:
        raise DefinitionError(c.problems)

    def build() -> PipelineSpec:
        spec = build_spec(c, steps=steps, header=header, pipeline_inputs=pipeline_inputs, outputs=outputs)
        if c.problems:
            raise DefinitionError(c.problems)
        return spec

    return Resolution(plan=c.plan, _build=build)
