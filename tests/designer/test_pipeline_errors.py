"""Malformed pipeline job YAML is refused with every problem named by field path and line.

Each case is a whole document (line 1 is its first line), the field path a problem must name,
and the line that problem must point at (None where the field has no line of its own).
"""

from __future__ import annotations

import json
import textwrap

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pipelines.compiler import compile_pipeline
from runner.models import PipelineJob
from studio.models import Compute
from studio.schemas.loading import DefinitionError, load_document
from tests.factories import seed_library

pytestmark = pytest.mark.django_db

FILENAME = "pipeline.yml"
JOBS_URL = "/api/v1/jobs/"

# Lines 1-5 of many cases: a `load` step importing iris; the case's own lines start at 6.
LOAD = """\
jobs:
  load:
    component: azureml:import_csv:1
    inputs:
      source_file: {type: uri_file, path: azureml:iris:1}
"""
# LOAD, then a `split` step reading its output (lines 6-9); more split inputs start at 10.
SPLIT = (
    LOAD
    + """\
  split:
    component: azureml:split_data:1
    inputs:
      dataset: ${{parent.jobs.load.outputs.dataset}}
"""
)
# LOAD, then a `train` step (lines 6-10); more train inputs start at 11.
TRAIN = (
    LOAD
    + """\
  train:
    component: azureml:train_model:1
    inputs:
      dataset: ${{parent.jobs.load.outputs.dataset}}
      label_column: species
"""
)
# A pipeline output `table` declared on lines 1-2, and the load step on lines 3-7.
WITH_OUTPUT = """\
outputs:
  table: {type: uri_folder}
jobs:
  load:
    component: azureml:import_csv:1
    inputs:
      source_file: {type: uri_file, path: azureml:iris:1}
"""


def yaml(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def case(id: str, text: str, field: str, line: int | None = None, *, marks=(), **overrides):
    """One malformed document; `overrides` are settings (and `base_dir=True` for a base folder)."""
    return pytest.param(text, field, line, overrides, id=id, marks=marks)


CASES = [
    # --- graph: cycles and bindings between steps ------------------------------------------------
    case(
        "cycle-two-steps",
        yaml("""
        jobs:
          a:
            component: azureml:split_data:1
            inputs:
              dataset: ${{parent.jobs.b.outputs.first_dataset}}
          b:
            component: azureml:split_data:1
            inputs:
              dataset: ${{parent.jobs.a.outputs.first_dataset}}
        """),
        "jobs.a",
        2,
    ),
    case(
        "cycle-three-steps",
        yaml("""
        jobs:
          a:
            component: azureml:split_data:1
            inputs:
              dataset: ${{parent.jobs.c.outputs.first_dataset}}
          b:
            component: azureml:split_data:1
            inputs:
              dataset: ${{parent.jobs.a.outputs.first_dataset}}
          c:
            component: azureml:split_data:1
            inputs:
              dataset: ${{parent.jobs.b.outputs.first_dataset}}
        """),
        "jobs.a",
        2,
    ),
    case(
        "self-binding",
        yaml("""
        jobs:
          a:
            component: azureml:split_data:1
            inputs:
              dataset: ${{parent.jobs.a.outputs.first_dataset}}
        """),
        "jobs.a.inputs.dataset",
        5,
    ),
    case(
        "unknown-step-in-binding",
        SPLIT.replace("jobs.load.outputs", "jobs.nope.outputs"),
        "jobs.split.inputs.dataset",
        9,
    ),
    case(
        "unknown-output-of-known-step",
        SPLIT.replace("outputs.dataset}}", "outputs.data}}"),
        "jobs.split.inputs.dataset",
        9,
    ),
    case("unknown-input-port", SPLIT + "      bogus: 1\n", "jobs.split.inputs.bogus", 10),
    case(
        "unknown-output-port",
        SPLIT + "    outputs:\n      nope: {type: uri_folder}\n",
        "jobs.split.outputs.nope",
        11,
    ),
    case(
        "missing-required-data-input",
        LOAD + "  split:\n    component: azureml:split_data:1\n    inputs:\n      fraction: 0.5\n",
        "jobs.split.inputs.dataset",
        8,
    ),
    case(
        "missing-required-parameter",
        TRAIN.replace("      label_column: species\n", ""),
        "jobs.train.inputs.label_column",
        8,
    ),
    case(
        "required-input-bound-to-null",
        TRAIN.replace("label_column: species", "label_column: null"),
        "jobs.train.inputs.label_column",
        10,
    ),
    case(
        "required-input-bound-to-empty-pipeline-input",
        "inputs:\n  label: {type: string}\n"
        + TRAIN.replace("label_column: species", "label_column: ${{parent.inputs.label}}"),
        "jobs.train.inputs.label_column",
        12,
    ),
    # --- literal values against port types -------------------------------------------------------
    case("string-to-integer", TRAIN + "      n_estimators: many\n", "jobs.train.inputs.n_estimators", 11),
    case("quoted-number-to-integer", TRAIN + '      seed: "10"\n', "jobs.train.inputs.seed", 11),
    case("bool-to-number", SPLIT + "      fraction: true\n", "jobs.split.inputs.fraction", 10),
    case("bool-to-integer", SPLIT + "      seed: false\n", "jobs.split.inputs.seed", 10),
    case("number-to-boolean", LOAD + "      has_header: 1\n", "jobs.load.inputs.has_header", 6),
    case("string-to-boolean", LOAD + '      has_header: "true"\n', "jobs.load.inputs.has_header", 6),
    case(
        "number-to-string",
        TRAIN.replace("label_column: species", "label_column: 4"),
        "jobs.train.inputs.label_column",
        10,
    ),
    case("list-value", TRAIN + "      algorithm: [random_forest]\n", "jobs.train.inputs.algorithm", 11),
    case("below-min-number", SPLIT + "      fraction: 0.001\n", "jobs.split.inputs.fraction", 10),
    case("below-min-integer", SPLIT + "      seed: -1\n", "jobs.split.inputs.seed", 10),
    case("above-max-integer", TRAIN + "      n_estimators: 5001\n", "jobs.train.inputs.n_estimators", 11),
    case("above-max-number", SPLIT + "      fraction: 1\n", "jobs.split.inputs.fraction", 10),
    case("not-in-enum", TRAIN + "      algorithm: svm\n", "jobs.train.inputs.algorithm", 11),
    case(
        "not-in-enum-other-component",
        LOAD
        + "  pick:\n    component: azureml:select_columns:1\n    inputs:\n"
        + "      dataset: ${{parent.jobs.load.outputs.dataset}}\n      columns: species\n      mode: keep\n",
        "jobs.pick.inputs.mode",
        11,
    ),
    case("integer-1.5", SPLIT + "      seed: 1.5\n", "jobs.split.inputs.seed", 10),
    case("integer-infinity", TRAIN + "      n_estimators: .inf\n", "jobs.train.inputs.n_estimators", 11),
    case(
        "nan-to-number",
        SPLIT + "      fraction: .nan\n",
        "jobs.split.inputs.fraction",
        10,
    ),
    case(
        "pipeline-parameter-wrong-type",
        "inputs:\n  trees: lots\n"
        + TRAIN.replace("label_column: species", "n_estimators: ${{parent.inputs.trees}}"),
        "jobs.train.inputs.n_estimators",
        12,
    ),
    # --- data against parameters -----------------------------------------------------------------
    case(
        "data-to-parameter-port",
        TRAIN.replace("label_column: species", "label_column: {type: uri_file, path: azureml:iris:1}"),
        "jobs.train.inputs.label_column",
        10,
    ),
    case(
        "pipeline-data-to-parameter-port",
        "inputs:\n  raw: {type: uri_file, path: azureml:iris:1}\n"
        + TRAIN.replace("label_column: species", "label_column: ${{parent.inputs.raw}}"),
        "jobs.train.inputs.label_column",
        12,
    ),
    case(
        "step-output-to-parameter-port",
        TRAIN.replace("label_column: species", "label_column: ${{parent.jobs.load.outputs.dataset}}"),
        "jobs.train.inputs.label_column",
        10,
    ),
    case(
        "parameter-to-data-port",
        SPLIT.replace("${{parent.jobs.load.outputs.dataset}}", "iris_table"),
        "jobs.split.inputs.dataset",
        9,
    ),
    case(
        "pipeline-parameter-to-data-port",
        "inputs:\n  table: iris\n" + SPLIT.replace("jobs.load.outputs.dataset", "inputs.table"),
        "jobs.split.inputs.dataset",
        11,
    ),
    case(
        "uri-folder-output-to-uri-file-input",
        LOAD
        + "  again:\n    component: azureml:import_csv:1\n    inputs:\n"
        + "      source_file: ${{parent.jobs.load.outputs.dataset}}\n",
        "jobs.again.inputs.source_file",
        9,
    ),
    case(
        "uri-folder-data-to-uri-file-input",
        LOAD.replace(
            "type: uri_file, path: azureml:iris:1", "type: uri_folder, path: https://example.org/x/"
        ),
        "jobs.load.inputs.source_file",
        5,
    ),
    # --- computes --------------------------------------------------------------------------------
    case(
        "unknown-default-compute",
        "settings:\n  default_compute: azureml:gpu-cluster\n" + LOAD,
        "settings.default_compute",
        2,
    ),
    case("unknown-top-level-compute", "compute: azureml:nowhere\n" + LOAD, "compute", 1),
    case("unknown-step-compute", LOAD + "    compute: azureml:nowhere\n", "jobs.load.compute", 6),
    case("compute-not-a-name", LOAD + "    compute: 5\n", "jobs.load.compute", 6),
    case(
        "unknown-compute-after-alias",
        "settings:\n  default_compute: azureml:cpu-cluster\n" + LOAD,
        "settings.default_compute",
        2,
        STUDIO_COMPUTE_ALIASES={"cpu-cluster": "kubernetes"},
    ),
    case(
        "unknown-step-compute-after-alias",
        LOAD + "    compute: azureml:gpu-cluster\n",
        "jobs.load.compute",
        6,
        STUDIO_COMPUTE_ALIASES={"gpu-cluster": "gpu-box"},
    ),
    # --- the document's shape --------------------------------------------------------------------
    case("command-job-with-jobs", "type: command\n" + LOAD, "jobs", 2),
    case("type-sweep-at-top-level", "type: sweep\n" + LOAD, "type", 1),
    case("sweep-job", LOAD + "    type: sweep\n", "jobs.load.type", 6),
    case("unknown-top-level-field", "priority: 5\n" + LOAD, "priority", 1),
    case("unknown-step-field", LOAD + "    priority: 5\n", "jobs.load.priority", 6),
    case("on-init", "on_init: load\n" + LOAD, "on_init", 1),
    case(
        "step-resources-multi-node",
        LOAD + "    resources: {instance_count: 2}\n",
        "jobs.load.resources.instance_count",
        6,
    ),
    case("step-resources-unknown", LOAD + "    resources: {cores: 2}\n", "jobs.load.resources.cores", 6),
    case("step-distribution", LOAD + "    distribution: {type: pytorch}\n", "jobs.load.distribution", 6),
    case(
        "step-environment-variable-name",
        LOAD + "    environment_variables: {1A: b}\n",
        "jobs.load.environment_variables.1A",
        6,
    ),
    case(
        "step-environment-variable-of-studio",
        LOAD + "    environment_variables: {STUDIO_JOB: b}\n",
        "jobs.load.environment_variables.STUDIO_JOB",
        6,
    ),
    case("missing-jobs", "display_name: nothing to do\n", "jobs", 1),
    case("empty-jobs", "jobs: {}\n", "jobs", 1),
    case("jobs-a-list", "jobs:\n  - load\n", "jobs", 1),
    case("job-a-list", "jobs:\n  load: [azureml:import_csv:1]\n", "jobs.load", 2),
    case("job-null", "jobs:\n  load:\n", "jobs.load", 2),
    case("invalid-job-name", LOAD.replace("  load:", "  my-step:"), "jobs.my-step", 2),
    case("job-name-starting-with-a-digit", LOAD.replace("  load:", "  1st:"), "jobs.1st", 2),
    case("settings-not-a-mapping", "settings: fast\n" + LOAD, "settings", 1),
    case(
        "continue-on-step-failure-a-string",
        'settings:\n  continue_on_step_failure: "yes"\n' + LOAD,
        "settings.continue_on_step_failure",
        2,
    ),
    case("force-rerun-a-string", "settings:\n  force_rerun: always\n" + LOAD, "settings.force_rerun", 2),
    case("pipeline-inputs-a-list", "inputs: [lr]\n" + LOAD, "inputs", 1),
    case("pipeline-input-a-list", "inputs:\n  lr: [0.1, 0.2]\n" + LOAD, "inputs.lr", 2),
    case(
        "pipeline-input-unknown-field", "inputs:\n  lr: {value: 0.1, unit: x}\n" + LOAD, "inputs.lr.unit", 2
    ),
    case(
        "pipeline-input-a-list-default",
        "inputs:\n  lr: {type: number, default: [0.1, 0.2]}\n" + LOAD,
        "inputs.lr",
        2,
    ),
    case(
        "pipeline-input-a-binding",
        "inputs:\n  label: ${{parent.inputs.other}}\n  other: species\n" + TRAIN,
        "inputs.label",
        2,
    ),
    case(
        "pipeline-input-declared-integer-given-text",
        "inputs:\n  trees: {type: integer, default: lots}\n" + LOAD,
        "inputs.trees",
        2,
    ),
    case(
        "pipeline-input-declared-boolean-given-number",
        "inputs:\n  shuffle: {type: boolean, value: 1}\n" + LOAD,
        "inputs.shuffle",
        2,
    ),
    case(
        "pipeline-input-unknown-type",
        "inputs:\n  lr:\n    type: float\n    default: 0.1\n" + LOAD,
        "inputs.lr.type",
        3,
    ),
    case(
        "pipeline-input-optional-a-string",
        "inputs:\n  lr:\n    type: number\n    optional: maybe\n" + LOAD,
        "inputs.lr.optional",
        4,
    ),
    case("pipeline-outputs-a-list", "outputs: [table]\n" + LOAD, "outputs", 1),
    case(
        "step-inputs-a-list",
        "jobs:\n  load:\n    component: azureml:import_csv:1\n    inputs: [a]\n",
        "jobs.load.inputs",
        4,
    ),
    case("step-outputs-a-list", LOAD + "    outputs: [dataset]\n", "jobs.load.outputs", 6),
    # --- components ------------------------------------------------------------------------------
    case("missing-component", "jobs:\n  load:\n    inputs: {separator: ','}\n", "jobs.load.component", 2),
    case("unknown-component", LOAD.replace("import_csv:1", "import_xlsx:1"), "jobs.load.component", 3),
    case("unknown-component-version", LOAD.replace("import_csv:1", "import_csv:9"), "jobs.load.component", 3),
    case("component-without-version", LOAD.replace("import_csv:1", "import_csv"), "jobs.load.component", 3),
    case(
        "component-unsupported-label",
        LOAD.replace("import_csv:1", "import_csv@prod"),
        "jobs.load.component",
        3,
    ),
    case(
        "component-reference-to-an-environment",
        LOAD.replace(
            "azureml:import_csv:1", "azureml://registries/azureml/environments/python-3.11/versions/1"
        ),
        "jobs.load.component",
        3,
    ),
    case("component-a-number", LOAD.replace("azureml:import_csv:1", "5"), "jobs.load.component", 3),
    case(
        "local-component-without-base-dir",
        LOAD.replace("azureml:import_csv:1", "./components/import/component.yml"),
        "jobs.load.component",
        3,
    ),
    case(
        "missing-local-component",
        LOAD.replace("azureml:import_csv:1", "./components/missing.yml"),
        "jobs.load.component",
        3,
        base_dir=True,
    ),
    case(
        "inline-component-without-command",
        yaml("""
        jobs:
          hello:
            component:
              environment: azureml:python-3.11@latest
        """),
        "jobs.hello.component.command",
        3,
    ),
    case(
        "inline-component-bad-port-type",
        yaml("""
        jobs:
          hello:
            component:
              command: echo ${{inputs.n}}
              environment: azureml:python-3.11@latest
              inputs:
                n: {type: int}
        """),
        "jobs.hello.component.inputs.n.type",
        7,
    ),
    # --- pipeline outputs ------------------------------------------------------------------------
    case(
        "pipeline-output-bound-twice",
        WITH_OUTPUT
        + "    outputs:\n      dataset: ${{parent.outputs.table}}\n"
        + "  again:\n    component: azureml:import_csv:1\n    inputs:\n"
        + "      source_file: {type: uri_file, path: azureml:iris:1}\n"
        + "    outputs:\n      dataset: ${{parent.outputs.table}}\n",
        "jobs.again.outputs.dataset",
        15,
    ),
    case("pipeline-output-never-bound", WITH_OUTPUT, "outputs.table", 2),
    case(
        "binding-to-undeclared-pipeline-output",
        WITH_OUTPUT + "    outputs:\n      dataset: ${{parent.outputs.tabel}}\n",
        "jobs.load.outputs.dataset",
        9,
    ),
    case(
        "step-output-bound-to-a-step",
        WITH_OUTPUT + "    outputs:\n      dataset: ${{parent.jobs.load.outputs.dataset}}\n",
        "jobs.load.outputs.dataset",
        9,
    ),
    case("step-output-a-number", LOAD + "    outputs:\n      dataset: 5\n", "jobs.load.outputs.dataset", 7),
    # --- binding text ----------------------------------------------------------------------------
    case(
        "undeclared-pipeline-input",
        LOAD + "      separator: ${{parent.inputs.nope}}\n",
        "jobs.load.inputs.separator",
        6,
    ),
    case(
        "binding-without-outputs",
        SPLIT.replace("jobs.load.outputs.dataset", "jobs.load.dataset"),
        "jobs.split.inputs.dataset",
        9,
    ),
    case(
        "binding-without-parent",
        SPLIT.replace("parent.jobs.load.outputs.dataset", "inputs.x"),
        "jobs.split.inputs.dataset",
        9,
    ),
    case(
        "binding-typo-input-for-inputs",
        "inputs:\n  label: species\n"
        + TRAIN.replace("label_column: species", "label_column: ${{parent.input.label}}"),
        "jobs.train.inputs.label_column",
        12,
    ),
    case(
        "binding-missing-brace",
        TRAIN.replace("label_column: species", "label_column: ${{parent.inputs.label}"),
        "jobs.train.inputs.label_column",
        10,
    ),
    case(
        "binding-inside-text",
        TRAIN.replace("label_column: species", "label_column: col_${{parent.inputs.label}}"),
        "jobs.train.inputs.label_column",
        10,
    ),
    # --- data inputs -----------------------------------------------------------------------------
    case(
        "data-without-path",
        LOAD.replace("{type: uri_file, path: azureml:iris:1}", "{type: uri_file}"),
        "jobs.load.inputs.source_file.path",
        5,
    ),
    case(
        "data-with-empty-path",
        LOAD.replace("path: azureml:iris:1", "path: ''"),
        "jobs.load.inputs.source_file.path",
        5,
    ),
    case(
        "data-type-string",
        LOAD.replace("type: uri_file,", "type: string,"),
        "jobs.load.inputs.source_file.type",
        5,
    ),
    case(
        "data-mode-rw-mount",
        LOAD.replace("path: azureml:iris:1}", "path: azureml:iris:1, mode: rw_mount}"),
        "jobs.load.inputs.source_file.mode",
        5,
    ),
    case(
        "data-unknown-field",
        LOAD.replace("path: azureml:iris:1}", "path: azureml:iris:1, datastore: blob}"),
        "jobs.load.inputs.source_file.datastore",
        5,
    ),
    case(
        "data-on-a-datastore",
        LOAD.replace("azureml:iris:1", "azureml://datastores/workspaceblobstore/paths/iris.csv"),
        "jobs.load.inputs.source_file.path",
        5,
    ),
    case(
        "data-in-cloud-storage",
        LOAD.replace("azureml:iris:1", "wasbs://data@account.blob.core.windows.net/iris.csv"),
        "jobs.load.inputs.source_file.path",
        5,
    ),
    case("unknown-data-asset", LOAD.replace("iris:1", "irises:1"), "jobs.load.inputs.source_file.path", 5),
    case("unknown-data-version", LOAD.replace("iris:1", "iris:7"), "jobs.load.inputs.source_file.path", 5),
    case(
        "data-asset-without-version", LOAD.replace("iris:1", "iris"), "jobs.load.inputs.source_file.path", 5
    ),
    case(
        "unknown-snapshot",
        LOAD.replace("azureml:iris:1", "studio://snapshots/" + "0" * 64),
        "jobs.load.inputs.source_file.path",
        5,
    ),
    case(
        "server-path-with-data-roots-unset",
        LOAD.replace("azureml:iris:1", "/srv/data/iris.csv"),
        "jobs.load.inputs.source_file.path",
        5,
        STUDIO_DATA_ROOTS=[],
    ),
    case(
        "server-path-outside-data-roots",
        LOAD.replace("azureml:iris:1", "/etc/passwd"),
        "jobs.load.inputs.source_file.path",
        5,
        STUDIO_DATA_ROOTS=["/srv/data"],
    ),
    case(
        "local-path-without-base-dir",
        LOAD.replace("azureml:iris:1", "./data/iris.csv"),
        "jobs.load.inputs.source_file.path",
        5,
    ),
    case(
        "missing-local-path",
        LOAD.replace("azureml:iris:1", "./data/missing.csv"),
        "jobs.load.inputs.source_file.path",
        5,
        base_dir=True,
    ),
    case(
        "pipeline-data-input-without-base-dir",
        "inputs:\n  raw: {type: uri_file, path: ./iris.csv}\n" + LOAD,
        "inputs.raw.path",
        2,
    ),
    # --- limits and retries ----------------------------------------------------------------------
    case("timeout-negative", LOAD + "    limits:\n      timeout: -1\n", "jobs.load.limits.timeout", 7),
    case("timeout-zero", LOAD + "    limits:\n      timeout: 0\n", "jobs.load.limits.timeout", 7),
    case("timeout-a-string", LOAD + '    limits:\n      timeout: "10"\n', "jobs.load.limits.timeout", 7),
    case("timeout-a-fraction", LOAD + "    limits:\n      timeout: 1.5\n", "jobs.load.limits.timeout", 7),
    case("timeout-a-boolean", LOAD + "    limits:\n      timeout: true\n", "jobs.load.limits.timeout", 7),
    case(
        "unknown-limit",
        LOAD + "    limits:\n      timout: 60\n",
        "jobs.load.limits.timout",
        7,
    ),
    case(
        "limits-not-a-mapping",
        LOAD + "    limits: 60\n",
        "jobs.load.limits",
        6,
    ),
    case(
        "max-retries-too-many",
        LOAD + "    retry_settings:\n      max_retries: 99\n",
        "jobs.load.retry_settings.max_retries",
        7,
    ),
    case(
        "max-retries-negative",
        LOAD + "    retry_settings:\n      max_retries: -1\n",
        "jobs.load.retry_settings.max_retries",
        7,
    ),
    case(
        "max-retries-a-string",
        LOAD + '    retry_settings:\n      max_retries: "3"\n',
        "jobs.load.retry_settings.max_retries",
        7,
    ),
    case(
        "unknown-retry-setting",
        LOAD + "    retry_settings:\n      backoff: 2\n",
        "jobs.load.retry_settings.backoff",
        7,
    ),
    case(
        "retry-settings-not-a-mapping",
        LOAD + "    retry_settings: 3\n",
        "jobs.load.retry_settings",
        6,
    ),
    case(
        "retry-on-failure-a-string",
        LOAD + '    retry_settings:\n      retry_on_failure: "no"\n',
        "jobs.load.retry_settings.retry_on_failure",
        7,
    ),
    case(
        "step-force-rerun-a-string",
        LOAD + '    force_rerun: "no"\n',
        "jobs.load.force_rerun",
        6,
    ),
    # --- the YAML itself -------------------------------------------------------------------------
    case(
        "duplicate-key",
        LOAD + "    inputs:\n      separator: ';'\n",
        "jobs.load.inputs",
        6,
    ),
]


@pytest.fixture(autouse=True)
def artifacts_root(settings, tmp_path):
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    settings.STUDIO_COMPUTE_ALIASES = {}
    settings.STUDIO_DATA_ROOTS = []


@pytest.fixture(autouse=True)
def library(artifacts_root, computes):
    """Registered under tmp_path: a test looks there for files a refused pipeline must not store."""
    seed_library()


def apply(overrides: dict, settings, tmp_path) -> dict:
    """Set the case's settings; the compile options it needs."""
    options = {}
    for key, value in overrides.items():
        if key == "base_dir":
            options["base_dir"] = tmp_path
        else:
            setattr(settings, key, value)
    return options


def compile_text(text: str, **options):
    document, index = load_document(text, filename=FILENAME)
    return compile_pipeline(document, index=index, filename=FILENAME, **options)


def refused(text: str, **options) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        compile_text(text, **options)
    return caught.value


def by_field(error: DefinitionError) -> dict[str, list]:
    found: dict[str, list] = {}
    for problem in error.problems:
        found.setdefault(problem.field, []).append(problem)
    return found


def test_the_building_blocks_compile(settings, tmp_path):
    """Every case breaks one of these valid documents; they compile as they are."""
    for text in (LOAD, SPLIT, TRAIN):
        compile_text(text)


def test_there_are_enough_cases():
    assert len(CASES) >= 50
    assert len({param.id for param in CASES}) == len(CASES)


@pytest.mark.parametrize(("text", "field", "line", "overrides"), CASES)
def test_a_malformed_pipeline_names_the_field_and_line(text, field, line, overrides, settings, tmp_path):
    error = refused(text, **apply(overrides, settings, tmp_path))
    problems = by_field(error)
    assert field in problems, f"{field} not among {sorted(problems)}"
    for problem in problems[field]:
        assert problem.file == FILENAME
        assert problem.message
        assert problem.line == line, f"{problem} is not on line {line}"
    assert f"{FILENAME}:{line}: {field}: " in str(error)


# --- messages that say what is wrong --------------------------------------------------------------


def test_a_cycle_names_every_step_in_it():
    text = next(param.values[0] for param in CASES if param.id == "cycle-three-steps")
    message = by_field(refused(text))["jobs.a"][0].message
    assert "cycle" in message
    for step in ("a", "b", "c"):
        assert step in message.split("cycle")[1]


def test_a_cycle_is_not_confused_with_a_diamond():
    compile_text(
        LOAD
        + "  left:\n    component: azureml:select_columns:1\n    inputs:\n"
        + "      dataset: ${{parent.jobs.load.outputs.dataset}}\n      columns: species\n"
        + "  right:\n    component: azureml:split_data:1\n    inputs:\n"
        + "      dataset: ${{parent.jobs.load.outputs.dataset}}\n"
        + "  score:\n    component: azureml:score_model:1\n    inputs:\n"
        + "      model: ${{parent.jobs.left.outputs.result_dataset}}\n"
        + "      dataset: ${{parent.jobs.right.outputs.first_dataset}}\n"
    )


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        (TRAIN + "      n_estimators: 5001\n", "jobs.train.inputs.n_estimators", ["5001", "5000"]),
        (SPLIT + "      fraction: 0.001\n", "jobs.split.inputs.fraction", ["0.001", "0.01"]),
        (TRAIN + "      algorithm: svm\n", "jobs.train.inputs.algorithm", ["svm", "random_forest"]),
        (SPLIT + "      bogus: 1\n", "jobs.split.inputs.bogus", ["split_data", "bogus"]),
        (SPLIT.replace("outputs.dataset}}", "outputs.data}}"), "jobs.split.inputs.dataset", ["load", "data"]),
        (LOAD.replace("import_csv:1", "import_csv:9"), "jobs.load.component", ["import_csv:9", "1"]),
        (LOAD + "    compute: azureml:nowhere\n", "jobs.load.compute", ["nowhere", "local", "docker"]),
        (
            LOAD.replace("azureml:iris:1", "/srv/iris.csv"),
            "jobs.load.inputs.source_file.path",
            ["STUDIO_DATA_ROOTS"],
        ),
    ],
)
def test_messages_say_what_is_wrong(text, field, words):
    message = " ".join(problem.message for problem in by_field(refused(text))[field])
    for word in words:
        assert word in message


def test_unknown_compute_after_alias_names_the_aliased_compute(settings):
    settings.STUDIO_COMPUTE_ALIASES = {"cpu-cluster": "kubernetes"}
    error = refused("settings:\n  default_compute: azureml:cpu-cluster\n" + LOAD)
    assert "'kubernetes'" in by_field(error)["settings.default_compute"][0].message


def test_a_server_path_outside_the_roots_is_refused_even_when_it_exists(settings, tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "secret.csv").write_text("a\n1\n")
    settings.STUDIO_DATA_ROOTS = [str(tmp_path / "root")]
    for path in (tmp_path / "secret.csv", tmp_path / "root" / ".." / "secret.csv"):
        error = refused(LOAD.replace("azureml:iris:1", str(path)))
        assert "jobs.load.inputs.source_file.path" in by_field(error)
    assert not list((tmp_path / "artifacts").rglob("secret.csv")), "the refused file was stored"


# --- several problems at once ---------------------------------------------------------------------

MANY = yaml("""
priority: high
settings:
  default_compute: azureml:gpu-cluster
  continue_on_step_failure: "yes"
outputs:
  unused: {type: uri_folder}
jobs:
  load:
    component: azureml:import_csv:1
    inputs:
      source_file: {type: uri_file, path: azureml:irises:1}
      has_header: 1
  train:
    component: azureml:train_model:1
    compute: azureml:nowhere
    inputs:
      dataset: ${{parent.jobs.load.outputs.data}}
      n_estimators: 0
      algorithm: svm
      colour: blue
    limits:
      timeout: -5
    retry_settings:
      max_retries: 99
  orphan:
    inputs: {x: 1}
  my-step:
    component: azureml:split_data:1
""")

MANY_EXPECTED = {
    "priority": 1,
    "settings.default_compute": 3,
    "settings.continue_on_step_failure": 4,
    "outputs.unused": 6,
    "jobs.load.inputs.source_file.path": 11,
    "jobs.load.inputs.has_header": 12,
    "jobs.train.compute": 15,
    "jobs.train.inputs.dataset": 17,
    "jobs.train.inputs.n_estimators": 18,
    "jobs.train.inputs.algorithm": 19,
    "jobs.train.inputs.colour": 20,
    "jobs.train.inputs.label_column": 16,
    "jobs.train.limits.timeout": 22,
    "jobs.train.retry_settings.max_retries": 24,
    "jobs.orphan.component": 25,
    "jobs.my-step": 27,
}


def test_every_problem_of_a_document_is_reported():
    error = refused(MANY)
    lines = {problem.field: problem.line for problem in error.problems}
    missing = set(MANY_EXPECTED) - set(lines)
    assert not missing, f"not reported: {sorted(missing)}"
    assert {field: lines[field] for field in MANY_EXPECTED} == MANY_EXPECTED
    assert len(error.problems) >= len(MANY_EXPECTED)


def test_a_problem_in_one_step_does_not_hide_the_checks_of_the_others():
    error = refused(
        LOAD.replace("import_csv:1", "import_csv:9")
        + "  split:\n    component: azureml:split_data:1\n    inputs:\n"
        + "      dataset: ${{parent.jobs.load.outputs.dataset}}\n      fraction: 2\n"
    )
    assert {"jobs.load.component", "jobs.split.inputs.fraction"} <= set(by_field(error))


def test_a_refused_pipeline_changes_nothing_it_should_not():
    before = Compute.objects.count()
    refused(MANY)
    assert Compute.objects.count() == before
    assert PipelineJob.objects.count() == 0


# --- through the REST API -------------------------------------------------------------------------

API_CASES = [
    "cycle-two-steps",
    "self-binding",
    "unknown-step-in-binding",
    "unknown-input-port",
    "missing-required-data-input",
    "string-to-integer",
    "above-max-integer",
    "not-in-enum",
    "data-to-parameter-port",
    "uri-folder-output-to-uri-file-input",
    "unknown-default-compute",
    "unknown-compute-after-alias",
    "command-job-with-jobs",
    "unknown-top-level-field",
    "empty-jobs",
    "job-a-list",
    "invalid-job-name",
    "unknown-component",
    "component-without-version",
    "local-component-without-base-dir",
    "pipeline-output-bound-twice",
    "pipeline-output-never-bound",
    "undeclared-pipeline-input",
    "binding-without-outputs",
    "data-without-path",
    "data-on-a-datastore",
    "unknown-data-asset",
    "server-path-with-data-roots-unset",
    "local-path-without-base-dir",
    "timeout-a-string",
    "max-retries-too-many",
    "continue-on-step-failure-a-string",
    "pipeline-input-a-list-default",
]
API_PARAMS = [
    pytest.param(*param.values, id=param.id, marks=param.marks) for param in CASES if param.id in API_CASES
]


@pytest.fixture
def api(admin_client):
    admin_client.raise_request_exception = False
    return admin_client


def post_file(client, text: str, name: str = FILENAME):
    return client.post(JOBS_URL, {"file": SimpleUploadedFile(name, text.encode(), "application/yaml")})


def post_json(client, text: str):
    document, _ = load_document(text, filename=FILENAME)
    return client.post(JOBS_URL, data=json.dumps(document), content_type="application/json")


def test_every_api_case_is_a_case():
    assert len(API_PARAMS) == len(API_CASES) >= 10


@pytest.mark.parametrize(("text", "field", "line", "overrides"), API_PARAMS)
@pytest.mark.parametrize("transport", ["file", "json"])
def test_the_api_refuses_a_malformed_pipeline_with_400(
    api, transport, text, field, line, overrides, settings, tmp_path
):
    apply(overrides, settings, tmp_path)
    response = post_file(api, text) if transport == "file" else post_json(api, text)
    assert response.status_code == 400, response.content[:500]
    body = response.json()
    assert body["detail"]
    assert field in body["errors"], f"{field} not among {sorted(body['errors'])}"
    assert all(isinstance(message, str) and message for message in body["errors"][field])
    fields = {problem["field"] for problem in body["problems"]}
    assert field in fields
    if transport == "file":
        assert any(
            p["field"] == field and p["line"] == line and p["file"] == FILENAME for p in body["problems"]
        )
        assert any(f"({FILENAME}:{line})" in message for message in body["errors"][field])
    assert PipelineJob.objects.count() == 0


def test_the_api_reports_every_problem_of_a_document(api):
    response = post_file(api, MANY)
    assert response.status_code == 400
    body = response.json()
    assert set(MANY_EXPECTED) <= set(body["errors"])
    assert body["detail"].startswith(f"{len(body['problems'])} problems")
    assert {p["field"]: p["line"] for p in body["problems"] if p["field"] in MANY_EXPECTED} == MANY_EXPECTED
    assert PipelineJob.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b"jobs: [unclosed\n", "document"),
        (b"\xff\xfe not utf-8", "document"),
        (b"", "document"),
        (b"- a list\n- not a mapping\n", "document"),
        (b"jobs: !!python/object:os.system {}\n", "document"),
    ],
    ids=["yaml-syntax", "not-utf-8", "empty", "a-list", "python-tag"],
)
def test_the_api_refuses_a_file_that_is_not_a_pipeline(api, payload, field):
    response = api.post(JOBS_URL, {"file": SimpleUploadedFile(FILENAME, payload)})
    assert response.status_code == 400, response.content[:500]
    assert field in response.json()["errors"]
    assert PipelineJob.objects.count() == 0


def test_the_api_refuses_an_empty_request(api):
    response = api.post(JOBS_URL, data="{}", content_type="application/json")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    assert PipelineJob.objects.count() == 0


@pytest.mark.parametrize("transport", ["file", "json"])
def test_the_api_accepts_the_valid_building_block(api, transport):
    """The control: without the defect, the same request creates the job."""
    response = post_file(api, TRAIN) if transport == "file" else post_json(api, TRAIN)
    assert response.status_code == 201, response.content[:500]
    assert PipelineJob.objects.count() == 1
    assert set(response.json()["spec"]["steps"]) == {"load", "train"}


@pytest.mark.parametrize(
    "text",
    [
        "tags: [a, b]\n" + LOAD,
        "display_name: {a: 1}\n" + LOAD,
        "jobs:\n  1: {component: azureml:import_csv:1}\n",
        "jobs:\n  load: {component: {}}\n",
        LOAD + "      1: 5\n",
        LOAD + "    outputs: {1: '${{parent.outputs.z}}'}\n",
        "outputs: {1: {}}\n" + LOAD,
        pytest.param(
            "inputs:\n  1: 5\n" + LOAD,
        ),
        pytest.param(
            "inputs:\n  lr: {value: {a: 1}}\n" + LOAD,
        ),
    ],
)
def test_the_api_never_answers_500(api, text):
    response = post_file(api, text)
    assert response.status_code in (201, 400), response.content[:500]
    if response.status_code == 400:
        assert response.json()["errors"]
        assert PipelineJob.objects.count() == 0
