"""Studio's reading of the compatibility corpus must match Azure's (issue #13, the oracle test).

Nothing runs here (no Docker): every corpus job the manifest expects to run (`runs`, `warns`) is
compiled by Studio (`pipelines.compiler.resolve_pipeline`, its local paths relative to the file's
folder, after the manifest's setup: compute aliases, the `needs` files registered, files put on
datastores) and its PipelineSpec is compared with azure-ai-ml's reading (tests/compat/oracle.py):

- the same steps (a command job is Studio's one step `main`);
- per step input the same binding: a pipeline input, a sibling's output, a literal (the same
  value, of the same type) or data (the same type, from the same asset, URL or local file);
- the same output ports with the same types, and the same pipeline outputs fed;
- a component named by a local file or written inline is anonymous, as it is for Azure; a
  registered one is the version Azure names;
- the same command, environment image and conda file (a registered environment: the corpus file
  that registered it).

For `warns` files Studio's warnings (file, field) are exactly the manifest's.

What Studio cannot read the Azure way yet is not hidden: NOT_YET lists each such file with the #13
point that is missing, and the test asserts that it still falls short today (it does not compile,
or its warnings differ from the manifest's), so the table must shrink as the work lands: a file
that starts passing fails here until it is taken out of the table.

Every `refused` file (jobs, and the component and data asset the manifest refuses) must be refused
with a problem at the manifest's field.
"""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.compat.oracle import CORPUS, azure_reading, load, manifest

# azure-ai-ml's schemas use marshmallow 3 features that marshmallow 4 changes: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::marshmallow.warnings.Marshmallow4Warning")

FILES: dict[str, dict] = manifest()["files"]
SETUP: dict[str, Any] = manifest()["setup"]
EXPECTED_TO_RUN = sorted(rel for rel, e in FILES.items() if e["kind"] == "job" and e["expect"] != "refused")
REFUSED = sorted(rel for rel, e in FILES.items() if e["expect"] == "refused")

# Where Studio's reading falls short of Azure's today: corpus file -> (how, what is missing: the
# #13 point, or `bug:` where a landed part reads the file otherwise than Azure). `compile`: Studio
# refuses the file; `warnings`: it compiles, but its warnings are not the manifest's (a field Azure
# honours is warned as having no effect, or a warning is missing). Take a file out when its point
# lands: the test then compares it in full.
NOT_YET: dict[str, tuple[str, str]] = {}  # empty: Studio reads every corpus job as Azure does

COMPARED = [rel for rel in EXPECTED_TO_RUN if NOT_YET.get(rel, ("",))[0] != "compile"]
DATASTORE_URI = re.compile(r"^azureml://datastores/(?P<datastore>[^/]+)/paths/(?P<path>.*)$")
BINDING = re.compile(r"^\$\{\{\s*parent\.(?P<body>[A-Za-z0-9_.]+)\s*\}\}$")


# --- Studio's side ------------------------------------------------------------------------------


@pytest.fixture
def corpus_setup(library, computes, settings):
    """The manifest's setup: compute aliases (`needs` and datastore files: `_register_needs`)."""
    settings.STUDIO_COMPUTE_ALIASES = dict(SETUP["compute_aliases"])


def _register_needs(relative: str) -> None:
    from studio.registry import register_file

    for needed in FILES[relative].get("needs", []):
        register_file(CORPUS / needed)
    _put_datastore_files()


def _put_datastore_files() -> None:
    """The files the manifest puts on datastores, on those that exist here."""
    from studio.datastores import DatastoreError, datastore_folder

    for name, files in SETUP.get("datastore_files", {}).items():
        try:
            folder = datastore_folder(name)
        except DatastoreError:
            continue  # not registered by this file's needs
        for target, source in files.items():
            destination = folder / target
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(CORPUS / source, destination)


def _resolve(relative: str):
    from pipelines.compiler import resolve_pipeline
    from studio.schemas.loading import load_document

    path = CORPUS / relative
    document, index = load_document(path.read_bytes(), filename=relative)
    return resolve_pipeline(document, index=index, filename=relative, base_dir=path.parent)


def _warned(relative: str, warnings) -> list[tuple[str, str]]:
    """Studio's warnings as (corpus file, field), sorted."""
    found = []
    for warning in warnings:
        file = Path(warning.file)
        if file.is_absolute():
            file = file.resolve().relative_to(CORPUS.resolve())
        found.append((file.as_posix(), warning.field))
    return sorted(found)


def _expected_warnings(relative: str) -> list[tuple[str, str]]:
    expected = []
    for warned in FILES[relative].get("warns", []):
        file, _, field = warned.rpartition("#")
        expected.append((file or relative, field))
    return sorted(expected)


def _studio_binding(step, port: str) -> tuple:
    from pipelines.spec import DataBinding, LiteralBinding

    if port in step.input_sources:
        return ("parent", step.input_sources[port])
    binding = step.inputs[port]
    if isinstance(binding, LiteralBinding):
        return ("literal", binding.value)
    if isinstance(binding, DataBinding):
        return ("data", binding.type, binding)
    return ("output", binding.step, binding.output)


def _environment_of(pin) -> dict[str, Any]:
    from studio.models import Environment

    environment = Environment.objects.get(pk=pin.environment_id)
    return {
        "name": environment.name,
        "version": environment.version,
        "image": environment.spec.get("image"),
        "conda_file": environment.spec.get("conda"),
    }


# --- Azure's side -------------------------------------------------------------------------------


def _azure_binding(value: Any) -> tuple | None:
    if value is None:
        return None
    if isinstance(value, str):
        match = BINDING.match(value.strip())
        if match:
            parts = match["body"].split(".")
            if parts[0] == "inputs":
                return ("parent", parts[1])
            return ("output", parts[1], parts[3])
    if isinstance(value, dict) and "path" in value:
        return ("data", value.get("type", "uri_folder"), value["path"])
    return ("literal", value)


@functools.cache
def _azure_job(relative: str) -> Any:
    return load(relative, "job")


def _azure_declared_outputs(relative: str, step: str | None) -> dict[str, str]:
    """The output types a step's component declares (a command job: its own), by Azure."""
    job = _azure_job(relative)
    if step is None:
        outputs = job.outputs or {}
    else:
        component = job.jobs[step].component
        outputs = {} if isinstance(component, str) else (component.outputs or {})
    return {port: getattr(output, "type", None) or "uri_folder" for port, output in outputs.items()}


def _default_datastore(relative: str) -> str:
    """The datastore `${{default_datastore}}` names for Azure: the job's setting, else workspaceblobstore."""
    settings = getattr(_azure_job(relative), "settings", None)
    named = getattr(settings, "default_datastore", None) if settings is not None else None
    return str(named).removeprefix("azureml:") if named else "workspaceblobstore"


def _reference(text: str, kind: str) -> tuple[str, str | None]:
    """(name, version or None for latest) of an asset reference as azure-ai-ml leaves it."""
    from studio.references import REGISTRY_FORM

    match = REGISTRY_FORM.match(text)
    if match:
        assert match["kind"] == kind, text
        return match["name"], match["version"]
    text = text.removeprefix("azureml:")
    if "@" in text:
        return text.split("@")[0], None
    name, _, version = text.partition(":")
    return name, version or None


def _latest(model, name: str) -> str:
    return model.objects.latest_of(name).version


def _registered_environment(relative: str, name: str) -> dict[str, Any]:
    """Azure's reading of the corpus environment file (one of the job's needs) named `name`."""
    for needed in FILES[relative].get("needs", []):
        if FILES[needed]["kind"] != "environment":
            continue
        environment = load(needed, "environment")
        if environment.name == name:
            return {"image": environment.image, "conda_file": environment.conda_file}
    raise AssertionError(f"no corpus environment named {name} among {relative}'s needs")


# --- comparing ----------------------------------------------------------------------------------


class Differences(list):
    def check(self, where: str, studio: Any, azure: Any) -> None:
        if studio != azure or type(studio) is not type(azure):
            self.append(f"{where}: Studio reads {studio!r}, Azure {azure!r}")


def _compare_data(diff: Differences, where: str, binding, kind: str, path: str, base: Path) -> None:
    from studio.datastores import datastore_folder
    from studio.models import DataAsset, ModelAsset
    from studio.storage.snapshotting import snapshot_file, snapshot_folder

    diff.check(f"{where} type", binding.type, kind)
    if path.startswith(("http://", "https://")):
        diff.check(f"{where} url", binding.url, path)
    elif DATASTORE_URI.match(path):  # the files on the datastore's server folder, stored
        match = DATASTORE_URI.match(path)
        local = datastore_folder(match["datastore"]) / match["path"]
        snapshot = snapshot_file(local) if local.is_file() else snapshot_folder(local)
        diff.check(f"{where} snapshot of {path}", binding.snapshot, snapshot.digest)
    elif path.startswith("azureml://registries/") or (
        re.match(r"^(azureml:)?[A-Za-z0-9][A-Za-z0-9_.-]*(:[^:@/]+|@[^:@/]+)$", path)
        and not Path(base / path).exists()
    ):  # a registered data asset or model
        is_model = kind in ("custom_model", "mlflow_model")
        name, version = _reference(path, "models" if is_model else "data")
        version = version or _latest(ModelAsset if is_model else DataAsset, name)
        diff.check(f"{where} asset", binding.asset, f"{name}:{version}")
    else:
        local = base / path
        snapshot = snapshot_file(local) if local.is_file() else snapshot_folder(local)
        diff.check(f"{where} snapshot of {path}", binding.snapshot, snapshot.digest)


def _compare_inputs(
    diff: Differences, where: str, studio: dict[str, tuple], azure: dict[str, Any], base: Path
) -> None:
    for port in sorted(set(studio) | set(azure)):
        expected = _azure_binding(azure.get(port))
        got = studio.get(port)
        if got is not None and got[0] == "literal" and got[1] is None:
            got = None  # an input given no value is unset, as Azure reads it
        at = f"{where}.inputs.{port}"
        if expected is None or got is None:
            diff.check(at, got, expected)
        elif expected[0] == "data" and got[0] == "data":
            _compare_data(diff, at, got[2], expected[1], expected[2], base)
        else:
            diff.check(at, got, expected)


def _compare_environment(diff: Differences, where: str, relative: str, pin, azure: Any) -> None:
    from studio.models import Environment

    studio = _environment_of(pin)
    if isinstance(azure, str):
        name, version = _reference(azure, "environments")
        diff.check(f"{where}.environment", studio["name"], name)
        diff.check(f"{where}.environment version", studio["version"], version or _latest(Environment, name))
        azure = _registered_environment(relative, name)
    diff.check(f"{where}.environment.image", studio["image"], azure["image"])
    diff.check(f"{where}.environment.conda_file", studio["conda_file"], azure["conda_file"])


def _compare_step(
    diff: Differences, relative: str, name: str, step, azure: dict, declared: dict, pipeline_outputs: dict
) -> None:
    from studio.models import Component
    from studio.registry.components import ANONYMOUS_COMPONENT

    base = (CORPUS / relative).parent
    where = f"jobs.{name}"
    pin = step.component
    # inputs and their bindings
    studio_inputs = {port: _studio_binding(step, port) for port in step.inputs}
    _compare_inputs(diff, where, studio_inputs, azure["inputs"], base)
    # outputs: ports, types, what they feed
    studio_outputs = {
        port: spec.get("type", "uri_folder") for port, spec in pin.spec.get("outputs", {}).items()
    }
    if isinstance(azure.get("component"), str):  # Azure reads a registered one's ports from the workspace
        studio_outputs = {port: kind for port, kind in studio_outputs.items() if port in azure["outputs"]}
    azure_outputs = {}
    for port, value in azure["outputs"].items():
        kind = value.get("type") if isinstance(value, dict) else None
        azure_outputs[port] = kind or declared.get(port, "uri_folder")
        feeds = BINDING.match(value) if isinstance(value, str) else None
        fed = feeds["body"].split(".")[1] if feeds else None
        diff.check(f"{where}.outputs.{port} feeds", step.outputs.get(port), fed)
        # where the output is also written, and the asset it becomes: its own definition's, or
        # those of the pipeline output it feeds
        definition = value if isinstance(value, dict) else pipeline_outputs.get(fed) or {}
        destination = definition.get("path")
        if destination is not None:
            destination = destination.replace("${{default_datastore}}", _default_datastore(relative))
        diff.check(f"{where}.outputs.{port}.path", step.output_destinations.get(port), destination)
        asset = None
        if definition.get("name") is not None:
            version = definition.get("version")
            asset = {"name": definition["name"], "version": None if version is None else str(version)}
        diff.check(f"{where}.outputs.{port} name, version", step.output_assets.get(port), asset)
    diff.check(f"{where}.outputs", studio_outputs, azure_outputs)
    # the component: anonymous when Azure reads it so, else the version Azure names
    component = azure.get("component")
    if isinstance(component, str):
        reference, version = _reference(component, "components")
        diff.check(f"{where}.component", pin.name, reference)
        diff.check(f"{where}.component version", pin.version, version or _latest(Component, reference))
    elif component is not None:
        anonymous = component["name"] == "azureml_anonymous"
        diff.check(f"{where}.component is anonymous", pin.name == ANONYMOUS_COMPONENT, anonymous)
    if "command" in azure:
        diff.check(f"{where}.command", pin.spec.get("command"), azure["command"])
    if "environment" in azure:
        _compare_environment(diff, where, relative, pin, azure["environment"])


# --- pipeline components: Studio runs their steps flat, named <group>.<step>; Azure nests them ---


def _level(spec, group: str) -> dict[str, Any]:
    """The steps and groups directly inside `group` ("" for the job), by their own names."""
    prefix = f"{group}." if group else ""
    found: dict[str, Any] = {}
    for name, step in spec.steps.items():
        if step.group == group:
            found[name.removeprefix(prefix)] = step
    for name, held in spec.groups.items():
        if held.parent == group:
            found[name.removeprefix(prefix)] = held
    return found


def _seen_from(spec, group: str, step: str, output: str) -> tuple:
    """A binding to a step's output as a job of `group` names it: the step, or the group holding it."""
    prefix = f"{group}." if group else ""
    for name, held in spec.groups.items():
        if held.parent == group and step.startswith(f"{name}."):
            outputs = [
                port
                for port, source in held.outputs.items()
                if (source.step, source.output) == (step, output)
            ]
            return ("output", name.removeprefix(prefix), outputs[0] if outputs else f"?{output}")
    return ("output", step.removeprefix(prefix), output)


def _group_binding(spec, group: str, holder, port: str, parents: dict[str, Any]) -> tuple:
    from pipelines.spec import DataBinding, LiteralBinding

    binding = holder.inputs.get(port)
    if not group and port in holder.input_sources:
        return ("parent", holder.input_sources[port])
    if group:  # Azure names the pipeline component's own input: find which one gave this value
        for name, value in parents.items():
            if binding is not None and value == binding:
                return ("parent", name)
    if binding is None:
        return None
    if isinstance(binding, LiteralBinding):
        return ("literal", binding.value)
    if isinstance(binding, DataBinding):
        return ("data", binding.type, binding)
    return _seen_from(spec, group, binding.step, binding.output)


def _compare_level(diff: Differences, relative: str, spec, group: str, azure_jobs: dict, where: str) -> None:
    from pipelines.spec import GroupSpec

    level = _level(spec, group)
    diff.check(f"{where}steps", sorted(level), sorted(azure_jobs))
    parents = dict(spec.groups[group].inputs) if group else {}
    base = (CORPUS / relative).parent
    for name, held in level.items():
        azure = azure_jobs.get(name)
        if azure is None:
            continue
        at = f"{where}jobs.{name}"
        studio_inputs = {port: _group_binding(spec, group, held, port, parents) for port in held.inputs}
        studio_inputs = {port: value for port, value in studio_inputs.items() if value is not None}
        if isinstance(held, GroupSpec) or group:
            _compare_inputs(diff, at, studio_inputs, azure["inputs"], base)
        if isinstance(held, GroupSpec):
            for port, value in azure["outputs"].items():
                feeds = BINDING.match(value) if isinstance(value, str) else None
                source = held.outputs.get(port)
                fed = spec.steps[source.step].outputs.get(source.output) if source else None
                if not group:
                    diff.check(
                        f"{at}.outputs.{port} feeds", fed, feeds["body"].split(".")[1] if feeds else None
                    )
            if "jobs" in azure:  # a registered one's jobs are in the workspace, not in the file
                inner = f"{group}.{name}" if group else name
                _compare_level(diff, relative, spec, inner, azure["jobs"], f"{at}.")
        elif group:  # a step inside a pipeline component: what it runs
            component = azure.get("component")
            if isinstance(component, str):
                reference, version = _reference(component, "components")
                diff.check(f"{at}.component", held.component.name, reference)
            if "command" in azure and azure["command"] is not None:
                diff.check(f"{at}.command", held.component.spec.get("command"), azure["command"])


def _visible(spec, step):
    """A top-level step whose bindings name the groups it reads from, as the job's YAML does."""
    from pipelines.spec import StepOutputBinding

    inputs = {}
    for port, binding in step.inputs.items():
        if isinstance(binding, StepOutputBinding):
            _, name, output = _seen_from(spec, "", binding.step, binding.output)
            binding = StepOutputBinding(step=name, output=output)
        inputs[port] = binding
    return step.model_copy(update={"inputs": inputs})


def compare(relative: str, spec) -> list[str]:
    """Every difference between Studio's spec of a corpus job and Azure's reading of it."""
    azure = azure_reading(relative)
    diff = Differences()
    base = (CORPUS / relative).parent
    if azure["type"] == "pipeline" and spec.groups:
        _compare_level(diff, relative, spec, "", azure["jobs"], "")
        for name, step in spec.steps.items():
            if not step.group and name in azure["jobs"]:
                declared = _azure_declared_outputs(relative, name)
                _compare_step(
                    diff,
                    relative,
                    name,
                    _visible(spec, step),
                    azure["jobs"][name],
                    declared,
                    azure["outputs"],
                )
    elif azure["type"] == "pipeline":
        diff.check("steps", list(spec.steps), list(azure["jobs"]))
        studio_inputs = {}
        for name, binding in spec.inputs.items():
            if binding.kind == "literal":
                studio_inputs[name] = ("literal", binding.value)
            else:
                studio_inputs[name] = ("data", binding.type, binding)
        _compare_inputs(diff, "", studio_inputs, azure["inputs"], base)
        outputs = {name: output.type for name, output in spec.outputs.items()}
        azure_outputs = {
            name: (value or {}).get("type", "uri_folder") if isinstance(value, dict | None) else value
            for name, value in azure["outputs"].items()
        }
        diff.check("outputs", outputs, azure_outputs)
        for name, step in spec.steps.items():
            if name in azure["jobs"]:
                declared = _azure_declared_outputs(relative, name)
                _compare_step(diff, relative, name, step, azure["jobs"][name], declared, azure["outputs"])
    else:
        diff.check("steps", list(spec.steps), ["main"])
        step = spec.steps.get("main")
        if step is not None:
            as_step = {**azure, "component": {"name": "azureml_anonymous"}}
            declared = _azure_declared_outputs(relative, None)
            _compare_step(diff, relative, "main", step, as_step, declared, {})
    return diff


# --- the tests ----------------------------------------------------------------------------------


def test_the_not_yet_table_names_corpus_jobs_expected_to_run():
    assert sorted(set(NOT_YET) - set(EXPECTED_TO_RUN)) == []
    assert all(how in ("compile", "warnings") for how, _ in NOT_YET.values())


@pytest.mark.parametrize("relative", COMPARED)
def test_studio_reads_the_job_as_azure_does(relative, corpus_setup):
    from studio.schemas.loading import DefinitionError

    _register_needs(relative)
    try:
        resolution = _resolve(relative)
    except DefinitionError as error:
        pytest.fail(f"Studio does not compile {relative}:\n{error}")
    spec = resolution.materialize()
    differences = compare(relative, spec)
    assert differences == [], "\n".join(differences)
    warned = _warned(relative, resolution.warnings)
    expected = _expected_warnings(relative)
    if relative in NOT_YET:
        assert warned != expected, (
            f"{relative} now warns exactly as the manifest says: take it out of NOT_YET "
            f"({NOT_YET[relative][1]})"
        )
    else:
        assert warned == expected


@pytest.mark.parametrize("relative", sorted(rel for rel, (how, _) in NOT_YET.items() if how == "compile"))
def test_studio_does_not_compile_it_yet(relative, corpus_setup):
    """The table is true today: each file it says Studio refuses is refused. When one compiles,
    take it out of NOT_YET, and test_studio_reads_the_job_as_azure_does compares it."""
    from studio.schemas.loading import DefinitionError

    with pytest.raises(DefinitionError):
        _register_needs(relative)  # a need may be what Studio cannot register yet
        _resolve(relative)


@pytest.mark.parametrize("relative", REFUSED)
def test_a_refused_file_is_refused_at_its_field(relative, corpus_setup):
    from studio.registry import register_file
    from studio.schemas.loading import DefinitionError

    entry = FILES[relative]
    _register_needs(relative)
    with pytest.raises(DefinitionError) as refused:
        if entry["kind"] == "job":
            _resolve(relative)
        else:
            register_file(CORPUS / relative, kind=entry["kind"])
    fields = [problem.field for problem in refused.value.problems]
    assert entry["field"] in fields, f"refused at {fields}, not at {entry['field']}"
