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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from pipelines.command_jobs import command_job_as_pipeline, is_command_job
from pipelines.document import DataReference
from pipelines.parsing import output_asset, parse_header, parse_pipeline_input
from pipelines.scopes import Scope, ScopedReport, compile_jobs, resolve_group_outputs
from pipelines.spec import PipelineSpec
from pipelines.validation import build_spec, check_steps
from studio.choices import ComputeState
from studio.datastores import datastore_folder, datastore_uri_path, default_datastore
from studio.errors import StudioError
from studio.models import Component, Compute, DataAsset
from studio.net import url_problem
from studio.references import ReferenceError, parse_reference, resolve, resolve_compute, resolve_model
from studio.registry import LocalAttachments, register_file
from studio.registry.components import ANONYMOUS_COMPONENT, register_component
from studio.registry.plan import RegistrationPlan
from studio.schemas.common import SNAPSHOT_REFERENCE
from studio.schemas.loading import DefinitionError, LineIndex, Problem, format_path, load_document

MODEL_TYPES = ("mlflow_model", "custom_model")


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
        self.warnings: list[Problem] = []
        self.rewrite = lambda path: path  # a command job's step fields are the job's own
        self._component_files: dict[Path, Any] = {}  # local component file -> (document, lines)
        self.registering = False  # compiling a pipeline component's own jobs to register it
        self.default_datastore = default_datastore()  # or settings.default_datastore, once read
        self.plan = RegistrationPlan()  # what materializing writes; resolving writes nothing
        # What a reference resolved to, so that the steps naming one component or compute
        # (10,000 of them, it may be) cost one query together.
        self._resolved: dict[tuple[str, str], Any] = {}

    def problem(self, path: tuple, message: str) -> None:
        """Record a problem at a field path."""
        path = self.rewrite(path)
        self.problems.append(Problem(self.filename, format_path(path), message, self.index.line_of(path)))

    def warning(self, path: tuple, message: str) -> None:
        """Record a field that is accepted but has no effect here."""
        path = self.rewrite(path)
        self.warnings.append(Problem(self.filename, format_path(path), message, self.index.line_of(path)))

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

    def data(self, data: DataReference, path: tuple, *, expected_type: str | None = None) -> dict | None:
        """A data input (its type from the document, else the port's, else uri_folder) as a DataBinding."""
        return self.data_location(data.path, data.type or expected_type or "uri_folder", (*path, "path"))

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
            problem = url_problem(location)
            if problem is not None:
                self.problem(path, problem)
                return None
            return {"kind": "data", "type": kind, "url": location}
        if kind in MODEL_TYPES and location.startswith("azureml:") and "://datastores" not in location:
            try:
                model = self.once("model", location, lambda: resolve_model(location, expected_type=kind))
            except ReferenceError as error:
                self.problem(path, str(error))
                return None
            return {
                "kind": "data",
                "type": kind,
                "asset": f"{model.name}:{model.version}",
                "snapshot": model.snapshot_digest,
            }
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
                problem = url_problem(asset.url)
                if problem is not None:
                    self.problem(path, f"{asset} is read from {asset.url}: {problem}")
                    return None
                return {**binding, "url": asset.url}
            return {**binding, "snapshot": asset.snapshot_digest}
        if location.startswith("azureml://datastores/"):
            target = self.datastore_path(location, path, reading=True)
            return None if target is None else self.snapshot(target, location, kind, path)
        if "://" in location:
            self.problem(
                path,
                "cloud storage is not reachable from Studio; use a datastore path, a data asset or a URL",
            )
            return None
        return self.local_data(location, kind, path)

    def datastore_path(self, uri: str, path: tuple, *, reading: bool) -> Path | None:
        """The server path of `azureml://datastores/<name>/paths/<p>`, after `${{default_datastore}}`;
        an input's path cannot name the job (`${{name}}`): it does not exist yet when inputs are read."""
        expanded = uri.replace("${{default_datastore}}", self.default_datastore)
        if reading and "${{" in expanded:
            self.problem(path, "an input's datastore path can use ${{default_datastore}} only")
            return None
        probe = expanded.replace("${{name}}", "job").replace("${{output_name}}", "output")
        if "${{" in probe:
            self.problem(
                path, "a datastore path can use ${{default_datastore}}, ${{name}} and ${{output_name}}"
            )
            return None
        try:
            _, target = datastore_uri_path(probe)
        except StudioError as error:
            self.problem(path, str(error))
            return None
        return target

    def component_file(self, file: Path) -> tuple[Any, LineIndex]:
        """A local component file's document and lines, read once however many steps name it."""
        if file not in self._component_files:
            try:
                self._component_files[file] = load_document(file.read_bytes(), filename=str(file))
            except (OSError, DefinitionError) as error:
                self._component_files[file] = error
        found = self._component_files[file]
        if isinstance(found, Exception):
            raise found
        return found

    def output_destinations(self, step, pipeline_outputs: dict[str, dict]) -> dict[str, str]:
        return output_destinations(self, step, pipeline_outputs)

    def output_assets(self, step, pipeline_outputs: dict[str, dict]) -> dict[str, dict]:
        return output_assets(self, step, pipeline_outputs)

    def set_default_datastore(self, value: Any, path: tuple) -> None:
        """settings.default_datastore: what `${{default_datastore}}` names in this job's paths."""
        name = value.strip().removeprefix("azureml:") if isinstance(value, str) else None
        if not name:
            self.problem(path, f"expected a datastore name such as azureml:workspaceblobstore, got {value!r}")
            return
        try:
            datastore_folder(name)
        except StudioError as error:
            self.problem(path, str(error))
            return
        self.default_datastore = name

    def local_data(self, location: str, kind: str, path: tuple) -> dict | None:
        """A server path under STUDIO_DATA_ROOTS, or a local path when compiling from disk."""

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
        return self.snapshot(resolved, location, kind, path)

    def snapshot(self, resolved: Path, location: str, kind: str, path: tuple) -> dict | None:
        """A server file or folder as a stored snapshot (the data a step reads, frozen now)."""
        from studio.storage.layout import StorageError
        from studio.storage.snapshotting import snapshot_file, snapshot_folder

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

    def inline_component(
        self, value: dict, path: tuple, *, name: str = ANONYMOUS_COMPONENT
    ) -> Component | None:
        """Register a component defined inline, anonymously; its problems are named under `path`
        (the step's `component`, or the step itself when the step is written inline)."""
        attachments = LocalAttachments(self.base_dir or Path("/nonexistent"), filename=self.filename)
        document = {"name": name, **value}
        path = self.rewrite(path)
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
                anonymous=True,
            )
        except DefinitionError as error:
            for problem in error.problems:
                field = ".".join(part for part in (format_path(path), problem.field) if part)
                line = problem.line or self.index.line_of(path)
                self.problems.append(Problem(problem.file, field, problem.message, line))
            return None
        for warning in getattr(component, "registration_warnings", []):
            if warning.file == self.filename:  # a field of this step: named under it
                field = ".".join(part for part in (format_path(path), warning.field) if part)
                warning = Problem(warning.file, field, warning.message, warning.line)
            self.add_warning(warning)
        return component

    def add_warning(self, warning: Problem) -> None:
        """Keep a warning found while registering what the job defines, once."""
        if warning not in self.warnings:
            self.warnings.append(warning)

    def component(self, value: Any, path: tuple) -> Component | None:
        """The component a step runs: a reference, a local file, or an inline definition."""
        try:
            if isinstance(value, dict):
                return self.inline_component(value, path)
            if not isinstance(value, str):
                self.problem(path, "expected a component reference, a local YAML file or an inline component")
                return None
            value = value.strip().removeprefix("file:")
            if value.endswith((".yml", ".yaml")) and not value.startswith("azureml:"):
                if self.base_dir is None:
                    self.problem(path, f"{value!r} is a local file: `studio job create` registers it first")
                    return None
                file = (self.base_dir / value).resolve()
                if not file.is_file():
                    self.problem(path, f"{value!r} does not exist")
                    return None
                component = self.once(
                    "file",
                    str(file),
                    lambda: register_file(
                        file, kind="component", user=self.user, plan=self.plan, anonymous=True
                    )[0],
                )
                for warning in getattr(component, "registration_warnings", []):
                    self.add_warning(warning)
                return component
            return self.once(
                "component", value, lambda: resolve(Component, parse_reference(value, kind="components"))
            )
        except ReferenceError as error:
            self.problem(path, str(error))
        except DefinitionError as error:
            for problem in error.problems:
                self.problems.append(problem)
        return None


def output_destinations(c: Compiler, step, pipeline_outputs: dict[str, dict]) -> dict[str, str]:
    """Where a step's outputs are also written: their own `path`, or the `path` of the pipeline
    output they feed; each a datastore URI, `${{default_datastore}}` filled in now, `${{name}}` and
    `${{output_name}}` when the step ends."""
    destinations: dict[str, str] = {}
    for port, feeds in step.outputs.items():
        uri, where = step.output_paths.get(port), ("jobs", step.name, "outputs", port, "path")
        declared = pipeline_outputs.get(feeds) if feeds else None
        if uri is None and isinstance(declared, dict) and isinstance(declared.get("path"), str):
            uri, where = declared["path"].strip(), ("outputs", feeds, "path")
            if not uri.startswith("azureml://datastores/"):
                c.problem(
                    where, "an output's path is a datastore path: azureml://datastores/<name>/paths/<path>"
                )
                continue
        if uri is None or c.datastore_path(uri, where, reading=False) is None:
            continue
        destinations[port] = uri.replace("${{default_datastore}}", c.default_datastore)
    return destinations


def output_assets(c: Compiler, step, pipeline_outputs: dict[str, dict]) -> dict[str, dict]:
    """The asset each output of a step becomes: its own `name`/`version`, or those of the pipeline
    output it feeds."""
    assets = dict(step.output_assets)
    for port, feeds in step.outputs.items():
        declared = pipeline_outputs.get(feeds) if feeds else None
        if port not in assets and isinstance(declared, dict) and "name" in declared:
            asset = output_asset(declared, ("outputs", feeds), c.problem)
            if asset is not None:
                assets[port] = asset
    return assets


@dataclass
class Resolution:
    """A checked pipeline: the registrations it needs (`plan`) and how to pin its spec once
    they are written. Nothing has been written yet."""

    plan: RegistrationPlan
    _build: Any
    warnings: list[Problem] = field(default_factory=list)  # accepted fields that have no effect here
    step_names: list[str] = field(default_factory=list)

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
    if is_command_job(document):
        document, c.rewrite = command_job_as_pipeline(document, c.problem)
    most = settings.STUDIO_MAX_STEPS_PER_JOB
    jobs = document.get("jobs")
    if isinstance(jobs, dict) and len(jobs) > most:  # before anything is looked up: a bounded cost
        c.problem(
            ("jobs",),
            f"a pipeline job has at most {most} steps (STUDIO_MAX_STEPS_PER_JOB); this one has {len(jobs)}",
        )
        raise DefinitionError(c.problems)
    header = parse_header(document, c.problem, c.warning)
    if header.settings.default_datastore is not None:
        c.set_default_datastore(header.settings.default_datastore, ("settings", "default_datastore"))
    if header.settings.default_compute is not None:
        default_compute = c.compute(header.settings.default_compute, header.settings.default_compute_path)
    else:
        default_compute = c.default_compute()

    pipeline_inputs: dict[str, dict] = {}
    declarations: dict[str, dict] = {}
    raw_inputs = document.get("inputs") or {}
    if not isinstance(raw_inputs, dict):
        c.problem(("inputs",), "must be a mapping of input names to values")
        raw_inputs = {}
    for name, value in raw_inputs.items():
        parsed = parse_pipeline_input(name, value, c.problem)
        if parsed is None:
            continue
        if isinstance(parsed.value, DataReference):
            binding = c.data(parsed.value, ("inputs", name))
            if binding is not None and parsed.value.description is not None:
                declarations[name] = {"type": binding["type"], "description": parsed.value.description}
        else:
            binding = {"kind": "literal", "value": parsed.value.value}
            if parsed.declaration is not None:
                declarations[name] = {
                    "type": parsed.declaration.type,
                    "description": parsed.declaration.description,
                    "optional": parsed.declaration.optional,
                }
        if binding is not None:
            pipeline_inputs[name] = binding

    jobs = document.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        c.problem(("jobs",), "a pipeline needs at least one job under `jobs:`")
        jobs = {}

    steps: dict[str, dict] = {}
    groups: dict[str, dict] = {}
    top = Scope(
        inputs=pipeline_inputs,
        sources={name: name for name in pipeline_inputs},
        declared=set(raw_inputs),
        declarations=declarations,
        outputs=header.outputs,
        default_compute=default_compute,
    )
    compile_jobs(c, jobs, top, steps, groups)
    report = ScopedReport(c, steps)
    resolve_group_outputs(c, steps, groups, report)

    header_fields = {
        "display_name": header.display_name,
        "experiment_name": header.experiment_name,
        "description": header.description,
        "tags": header.tags,
        "settings": {
            "default_compute": default_compute,
            "continue_on_step_failure": header.settings.continue_on_step_failure,
            "force_rerun": header.settings.force_rerun,
        },
        "input_declarations": declarations,
        "warnings": [warning.as_dict() for warning in c.warnings],
    }
    pipeline_outputs = header.outputs
    outputs = check_steps(report, steps=steps, pipeline_outputs=pipeline_outputs)
    if c.problems:
        raise DefinitionError(c.problems)

    def build() -> PipelineSpec:
        spec = build_spec(
            c,
            steps=steps,
            groups=groups,
            header=header_fields,
            pipeline_inputs=pipeline_inputs,
            outputs=outputs,
        )
        if c.problems:
            raise DefinitionError(c.problems)
        return spec

    return Resolution(plan=c.plan, _build=build, warnings=c.warnings, step_names=list(steps))
