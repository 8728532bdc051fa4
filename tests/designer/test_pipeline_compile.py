"""Valid pipeline job YAML compiles to the PipelineSpec the runner executes."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from pipelines.compiler import compile_pipeline
from pipelines.spec import DataBinding, LiteralBinding, PipelineOutput, PipelineSpec, StepOutputBinding
from studio.choices import ComputeState
from studio.models import Component, Compute, DataAsset, Environment
from studio.schemas.loading import DefinitionError, load_document
from studio.storage.layout import snapshot_exists, snapshot_path
from studio.storage.reading import snapshot_files
from studio.storage.snapshotting import snapshot_file, snapshot_folder

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("library")]

FILENAME = "pipeline.yml"
CSV = "a,b,label\n1,2,x\n3,4,y\n"


def compile_text(text: str, **options) -> PipelineSpec:
    """Parse the YAML and compile it the way every front door does."""
    document, index = load_document(textwrap.dedent(text), filename=FILENAME)
    return compile_pipeline(document, index=index, filename=FILENAME, **options)


def problems_of(text: str, **options) -> dict[str, str]:
    with pytest.raises(DefinitionError) as caught:
        compile_text(text, **options)
    return {problem.field: problem.message for problem in caught.value.problems}


def import_step(path: str = "azureml:iris:1", *, step: str = "", top: str = "") -> str:
    """A pipeline whose one step `load` imports a CSV from `path`; `step` and `top` add YAML."""
    text = (
        "jobs:\n"
        "  load:\n"
        "    component: azureml:import_csv:1\n"
        "    inputs:\n"
        "      source_file:\n"
        "        type: uri_file\n"
        f"        path: {path}\n"
    )
    if step:
        text += textwrap.indent(textwrap.dedent(step).strip("\n"), "    ") + "\n"
    if top:
        text += textwrap.dedent(top).strip("\n") + "\n"
    return text


CHAIN = """
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: Iris training
experiment_name: iris
description: import, split, train
tags: {team: ml, round: 3}
settings:
  default_compute: azureml:local
inputs:
  lr: 0.8
  trees:
    type: integer
    default: 50
  label: species
jobs:
  a:
    component: azureml:import_csv:1
    inputs:
      source_file:
        type: uri_file
        path: azureml:iris:1
  b:
    component: azureml:split_data:1
    inputs:
      dataset: ${{parent.jobs.a.outputs.dataset}}
      fraction: ${{parent.inputs.lr}}
      seed: 7
  c:
    component: azureml:train_model:1
    inputs:
      dataset: ${{ parent.jobs.b.outputs.first_dataset }}
      label_column: ${{parent.inputs.label}}
      n_estimators: ${{parent.inputs.trees}}
      algorithm: random_forest
"""


# --- bindings ------------------------------------------------------------------------------------


def test_a_three_step_chain_compiles_with_step_and_parameter_bindings():
    spec = compile_text(CHAIN)

    assert list(spec.steps) == ["a", "b", "c"]
    assert spec.display_name == "Iris training"
    assert spec.experiment_name == "iris"
    assert spec.description == "import, split, train"
    assert spec.tags == {"team": "ml", "round": "3"}
    assert spec.inputs["lr"] == LiteralBinding(value=0.8)
    assert spec.inputs["trees"] == LiteralBinding(value=50)

    b, c = spec.steps["b"], spec.steps["c"]
    assert b.inputs["dataset"] == StepOutputBinding(step="a", output="dataset")
    assert b.inputs["fraction"] == LiteralBinding(value=0.8)
    assert b.inputs["seed"] == LiteralBinding(value=7)
    assert c.inputs["dataset"] == StepOutputBinding(step="b", output="first_dataset")
    assert c.inputs["label_column"] == LiteralBinding(value="species")
    assert c.inputs["n_estimators"] == LiteralBinding(value=50)
    assert c.inputs["algorithm"] == LiteralBinding(value="random_forest")
    assert b.upstream() == {"a"} and c.upstream() == {"b"} and spec.steps["a"].upstream() == set()
    assert spec.order() == ["a", "b", "c"]


def test_a_pipeline_input_value_wins_over_its_default():
    spec = compile_text(
        CHAIN.replace("  trees:\n    type: integer\n", "  trees:\n    type: integer\n    value: 9\n")
    )
    assert spec.steps["c"].inputs["n_estimators"] == LiteralBinding(value=9)


def test_a_pipeline_data_input_is_passed_to_the_step_that_binds_it():
    spec = compile_text(
        """
        inputs:
          raw:
            type: uri_file
            path: azureml:iris:1
        jobs:
          load:
            component: azureml:import_csv:1
            inputs:
              source_file: ${{parent.inputs.raw}}
        """
    )
    iris = DataAsset.objects.get(name="iris", version="1")
    expected = DataBinding(type="uri_file", asset="iris:1", snapshot=iris.snapshot_digest)
    assert spec.inputs["raw"] == expected
    assert spec.steps["load"].inputs["source_file"] == expected


def test_unbound_optional_and_defaulted_inputs_are_left_to_the_component():
    spec = compile_text(import_step())
    assert set(spec.steps["load"].inputs) == {"source_file"}


# --- data inputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    ["azureml:iris:1", "azureml:iris@latest", "azureml://registries/azureml/data/iris/labels/latest"],
)
def test_a_registered_data_asset_is_pinned_by_name_version_and_snapshot(reference):
    spec = compile_text(import_step(reference))
    iris = DataAsset.objects.get(name="iris", version="1")
    binding = spec.steps["load"].inputs["source_file"]
    assert binding == DataBinding(type="uri_file", asset="iris:1", snapshot=iris.snapshot_digest)
    assert snapshot_exists(binding.snapshot)


def test_an_http_url_is_kept_as_a_url():
    spec = compile_text(import_step("https://example.org/data/iris.csv"))
    binding = spec.steps["load"].inputs["source_file"]
    assert binding == DataBinding(type="uri_file", url="https://example.org/data/iris.csv")
    assert binding.snapshot is None


def test_a_stored_snapshot_is_referenced_by_its_digest(tmp_path):
    source = tmp_path / "upload.csv"
    source.write_text(CSV)
    digest = snapshot_file(source).digest
    spec = compile_text(import_step(f"studio://snapshots/{digest}"))
    assert spec.steps["load"].inputs["source_file"] == DataBinding(type="uri_file", snapshot=digest)


def test_a_local_file_is_snapshotted_relative_to_base_dir(tmp_path):
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "train.csv").write_text(CSV)
    spec = compile_text(import_step("./data/train.csv"), base_dir=project)
    binding = spec.steps["load"].inputs["source_file"]
    assert binding.type == "uri_file" and binding.url is None
    assert binding.snapshot == snapshot_file(project / "data" / "train.csv").digest
    assert snapshot_files(binding.snapshot) == [("train.csv", len(CSV))]


def test_a_local_folder_is_snapshotted_for_a_folder_input(tmp_path):
    (tmp_path / "table").mkdir()
    (tmp_path / "table" / "data.csv").write_text(CSV)
    spec = compile_text(
        """
        jobs:
          split:
            component: azureml:split_data:1
            inputs:
              dataset:
                type: uri_folder
                path: table
        """,
        base_dir=tmp_path,
    )
    binding = spec.steps["split"].inputs["dataset"]
    assert binding.type == "uri_folder"
    assert binding.snapshot == snapshot_folder(tmp_path / "table").digest


def test_a_data_input_without_type_takes_the_type_of_its_port(tmp_path):
    (tmp_path / "table").mkdir()
    (tmp_path / "table" / "data.csv").write_text(CSV)
    spec = compile_text(
        """
        jobs:
          split:
            component: azureml:split_data:1
            inputs:
              dataset: {path: ./table}
          load:
            component: azureml:import_csv:1
            inputs:
              source_file: {path: azureml:iris:1}
        """,
        base_dir=tmp_path,
    )
    assert spec.steps["split"].inputs["dataset"].type == "uri_folder"
    assert spec.steps["load"].inputs["source_file"].type == "uri_file"


def test_a_server_path_under_studio_data_roots_is_snapshotted(settings, tmp_path):
    root = tmp_path / "shared"
    (root / "iris").mkdir(parents=True)
    (root / "iris" / "iris.csv").write_text(CSV)
    settings.STUDIO_DATA_ROOTS = [str(tmp_path / "elsewhere"), str(root)]
    spec = compile_text(import_step(str(root / "iris" / "iris.csv")))
    binding = spec.steps["load"].inputs["source_file"]
    assert binding.snapshot == snapshot_file(root / "iris" / "iris.csv").digest


@pytest.mark.parametrize("roots", ["outside", "unset"])
def test_a_server_path_outside_studio_data_roots_is_refused(settings, tmp_path, roots):
    root = tmp_path / "shared"
    root.mkdir()
    secret = tmp_path / "secret.csv"
    secret.write_text(CSV)
    settings.STUDIO_DATA_ROOTS = [str(root)] if roots == "outside" else []
    for path in (secret, root / ".." / "secret.csv"):
        problems = problems_of(import_step(str(path)))
        message = problems["jobs.load.inputs.source_file.path"]
        assert "STUDIO_DATA_ROOTS" in message
        assert ("not set" in message) == (roots == "unset")


def test_a_symlink_inside_a_data_root_cannot_reach_outside_it(settings, tmp_path):
    root = tmp_path / "shared"
    root.mkdir()
    (tmp_path / "secret.csv").write_text(CSV)
    (root / "link.csv").symlink_to(tmp_path / "secret.csv")
    settings.STUDIO_DATA_ROOTS = [str(root)]
    problems = problems_of(import_step(str(root / "link.csv")))
    assert "STUDIO_DATA_ROOTS" in problems["jobs.load.inputs.source_file.path"]


# --- computes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["azureml:docker", "docker", "  azureml:docker "])
def test_settings_default_compute_names_a_compute(text):
    spec = compile_text(import_step(top=f"settings:\n  default_compute: '{text}'"))
    assert spec.settings.default_compute == "docker"
    assert spec.steps["load"].compute == "docker"


def test_a_top_level_compute_is_the_default_compute():
    spec = compile_text(import_step(top="compute: azureml:local"))
    assert spec.settings.default_compute == "local"
    assert spec.steps["load"].compute == "local"


def test_compute_aliases_map_azure_cluster_names(settings):
    settings.STUDIO_COMPUTE_ALIASES = {"cpu-cluster": "local", "gpu-cluster": "docker"}
    spec = compile_text(
        """
        settings:
          default_compute: azureml:cpu-cluster
        jobs:
          load:
            component: azureml:import_csv:1
            inputs:
              source_file: {type: uri_file, path: azureml:iris:1}
          split:
            component: azureml:split_data:1
            compute: azureml:gpu-cluster
            inputs:
              dataset: ${{parent.jobs.load.outputs.dataset}}
        """
    )
    assert spec.settings.default_compute == "local"
    assert spec.steps["load"].compute == "local"
    assert spec.steps["split"].compute == "docker"


def test_a_step_compute_overrides_the_default():
    spec = compile_text(
        """
        settings:
          default_compute: azureml:docker
        jobs:
          load:
            component: azureml:import_csv:1
            compute: azureml:local
            inputs:
              source_file: {type: uri_file, path: azureml:iris:1}
          split:
            component: azureml:split_data:1
            inputs:
              dataset: ${{parent.jobs.load.outputs.dataset}}
        """
    )
    assert spec.steps["load"].compute == "local"
    assert spec.steps["split"].compute == "docker"


def test_without_a_compute_steps_run_on_docker_when_it_is_online():
    spec = compile_text(import_step())
    assert spec.settings.default_compute == "docker"
    assert spec.steps["load"].compute == "docker"


@pytest.mark.parametrize("state", [ComputeState.OFFLINE, ComputeState.UNKNOWN, ComputeState.DRAINING])
def test_without_a_compute_steps_run_locally_when_docker_is_not_online(computes, state):
    computes["docker"].state = state
    computes["docker"].save()
    spec = compile_text(import_step())
    assert spec.settings.default_compute == "local"
    assert spec.steps["load"].compute == "local"


def test_without_a_compute_steps_run_locally_when_there_is_no_docker(computes):
    computes["docker"].delete()
    assert compile_text(import_step()).steps["load"].compute == "local"


def test_without_any_compute_the_step_says_so():
    Compute.objects.all().delete()
    problems = problems_of(import_step())
    assert "default_compute" in problems["jobs.load.compute"]


# --- components ----------------------------------------------------------------------------------


def test_an_inline_component_without_code_is_registered_and_pinned():
    spec = compile_text(
        """
        jobs:
          hello:
            component:
              command: echo ${{inputs.greeting}} > ${{outputs.out}}/greeting.txt
              environment: azureml:python-3.11@latest
              inputs:
                greeting: {type: string, default: hello}
              outputs:
                out: {type: uri_folder}
            inputs:
              greeting: hi
        """
    )
    pin = spec.steps["hello"].component
    component = Component.objects.get(pk=pin.id)
    assert component.name == pin.name == "anonymous_component"
    assert (pin.version, pin.content_hash) == (component.version, component.content_hash)
    assert pin.spec["code"] is None
    assert pin.environment.startswith("python-3.11:")
    assert spec.steps["hello"].inputs["greeting"] == LiteralBinding(value="hi")


def test_a_local_component_file_is_registered_anonymously_relative_to_base_dir(tmp_path):
    folder = tmp_path / "components" / "shout"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "shout.py").write_text("import sys\nprint(sys.argv[1].upper())\n")
    (folder / "component.yml").write_text(
        textwrap.dedent(
            """\
            $schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
            type: command
            name: shout
            version: "3"
            inputs:
              text: {type: string}
              dataset: {type: uri_folder}
            outputs:
              out: {type: uri_folder}
            code: ./src
            environment: azureml:python-3.11@latest
            command: python shout.py ${{inputs.text}} ${{inputs.dataset}} ${{outputs.out}}
            """
        )
    )
    spec = compile_text(
        """
        jobs:
          load:
            component: azureml:import_csv:1
            inputs:
              source_file: {type: uri_file, path: azureml:iris:1}
          shout:
            component: ./components/shout/component.yml
            inputs:
              text: hello
              dataset: ${{parent.jobs.load.outputs.dataset}}
        """,
        base_dir=tmp_path,
    )
    # A component a job references by file is the job's own: anonymous, versioned by its content,
    # its declared name shown; the named version shout:3 is not registered.
    assert not Component.objects.filter(name="shout").exists()
    pin = spec.steps["shout"].component
    component = Component.objects.get(pk=pin.id)
    assert (pin.name, pin.version, pin.content_hash) == (
        "anonymous_component",
        component.content_hash[:16],
        component.content_hash,
    )
    assert component.display_name == "shout" and component.tags["anonymous"] == "true"
    assert pin.spec["code"] == component.code_digest == snapshot_folder(folder / "src").digest

    again = compile_text(
        "jobs:\n  shout:\n    component: file:./components/shout/component.yml\n"
        "    inputs: {text: hi, dataset: {type: uri_folder, path: azureml:iris:1}}\n",
        base_dir=tmp_path,
    )
    assert again.steps["shout"].component.id == component.pk  # `file:` names the same file


def test_the_spec_pins_component_and_environment_versions():
    spec = compile_text(CHAIN)
    for name, component_name in (("a", "import_csv"), ("b", "split_data"), ("c", "train_model")):
        pin = spec.steps[name].component
        component = Component.objects.get(name=component_name, version="1")
        environment = Environment.objects.get(pk=component.environment_id)
        assert pin.id == component.pk
        assert (pin.name, pin.version) == (component_name, "1")
        assert pin.content_hash == component.content_hash and len(pin.content_hash) == 64
        assert pin.spec == component.spec
        assert pin.environment_id == environment.pk
        assert pin.environment == f"{environment.name}:{environment.version}"
        assert pin.environment_hash == environment.content_hash and len(pin.environment_hash) == 64


def test_latest_component_references_pin_the_exact_version():
    spec = compile_text(import_step().replace("azureml:import_csv:1", "azureml:import_csv@latest"))
    assert spec.steps["load"].component.version == "1"


# --- step settings -------------------------------------------------------------------------------


def test_limits_and_retry_settings_land_in_the_step():
    spec = compile_text(
        import_step(
            step="""
            display_name: Load iris
            limits:
              timeout: 600
            retry_settings:
              max_retries: 3
              retry_on_failure: true
            force_rerun: true
            """
        )
    )
    step = spec.steps["load"]
    assert step.limits.timeout == 600
    assert step.retry_settings.max_retries == 3
    assert step.retry_settings.retry_on_failure is True
    assert step.force_rerun is True
    assert step.display_name == "Load iris"


def test_steps_default_to_no_timeout_and_no_retries():
    step = compile_text(import_step()).steps["load"]
    assert (step.limits.timeout, step.retry_settings.max_retries) == (None, 0)
    assert (step.retry_settings.retry_on_failure, step.force_rerun) == (False, False)


@pytest.mark.parametrize("value", [True, False])
def test_pipeline_settings_force_rerun_and_continue_on_step_failure(value):
    flag = str(value).lower()
    spec = compile_text(
        import_step(top=f"settings:\n  force_rerun: {flag}\n  continue_on_step_failure: {flag}")
    )
    assert spec.settings.force_rerun is value
    assert spec.settings.continue_on_step_failure is value


def test_pipeline_settings_default_to_off():
    spec = compile_text(import_step())
    assert spec.settings.force_rerun is False
    assert spec.settings.continue_on_step_failure is False


# --- pipeline outputs ----------------------------------------------------------------------------


def test_pipeline_outputs_are_bound_to_step_outputs():
    spec = compile_text(
        CHAIN.replace(
            "type: pipeline\n", "type: pipeline\noutputs:\n  model: {type: uri_folder}\n  test_rows:\n"
        ).replace(
            "      seed: 7\n",
            "      seed: 7\n    outputs:\n      second_dataset: ${{parent.outputs.test_rows}}\n",
        )
        + "    outputs:\n      model: ${{parent.outputs.model}}\n"
    )
    assert spec.outputs == {
        "model": PipelineOutput(type="uri_folder", step="c", output="model"),
        "test_rows": PipelineOutput(type="uri_folder", step="b", output="second_dataset"),
    }
    assert spec.steps["c"].outputs == {"model": "model"}
    assert spec.steps["b"].outputs == {"second_dataset": "test_rows"}


def test_a_step_output_definition_without_binding_feeds_no_pipeline_output():
    spec = compile_text(import_step(step="outputs:\n  dataset: {type: uri_folder}"))
    assert spec.steps["load"].outputs == {"dataset": None}
    assert spec.outputs == {}


# --- order and serialisation ---------------------------------------------------------------------

DIAMOND = """
jobs:
  z_load:
    component: azureml:import_csv:1
    inputs:
      source_file: {type: uri_file, path: azureml:iris:1}
  m_split:
    component: azureml:split_data:1
    inputs:
      dataset: ${{parent.jobs.z_load.outputs.dataset}}
  b_train:
    component: azureml:train_model:1
    inputs:
      dataset: ${{parent.jobs.m_split.outputs.first_dataset}}
      label_column: species
  a_score:
    component: azureml:score_model:1
    inputs:
      model: ${{parent.jobs.b_train.outputs.model}}
      dataset: ${{parent.jobs.m_split.outputs.second_dataset}}
  c_evaluate:
    component: azureml:evaluate_model:2
    inputs:
      scored_dataset: ${{parent.jobs.a_score.outputs.scored_dataset}}
      label_column: species
  y_columns:
    component: azureml:select_columns:1
    inputs:
      dataset: ${{parent.jobs.z_load.outputs.dataset}}
      columns: species
      mode: exclude
"""


def test_order_is_topological():
    spec = compile_text(DIAMOND)
    order = spec.order()
    assert sorted(order) == sorted(spec.steps)
    for name, step in spec.steps.items():
        for upstream in step.upstream():
            assert order.index(upstream) < order.index(name), (upstream, name, order)
    assert order == ["z_load", "m_split", "y_columns", "b_train", "a_score", "c_evaluate"]


def test_the_spec_is_json_and_round_trips():
    spec = compile_text(
        DIAMOND.replace("jobs:\n", "outputs:\n  metrics: {type: uri_folder}\njobs:\n", 1)
        + "    limits: {timeout: 60}\n    retry_settings: {max_retries: 2, retry_on_failure: true}\n"
        + "    outputs:\n      result_dataset: ${{parent.outputs.metrics}}\n"
    )
    data = spec.model_dump(mode="json")
    text = json.dumps(data)
    again = PipelineSpec.model_validate(json.loads(text))
    assert again == spec
    assert again.model_dump(mode="json") == data
    assert again.order() == spec.order()
    assert again.steps["y_columns"].limits.timeout == 60
    assert again.outputs["metrics"] == PipelineOutput(
        type="uri_folder", step="y_columns", output="result_dataset"
    )
    assert isinstance(again.steps["a_score"].inputs["model"], StepOutputBinding)
    assert isinstance(again.steps["z_load"].inputs["source_file"], DataBinding)
    assert isinstance(again.steps["y_columns"].inputs["columns"], LiteralBinding)


def test_the_spec_is_frozen():
    spec = compile_text(import_step())
    with pytest.raises(ValidationError, match="frozen"):
        spec.steps["load"].compute = "elsewhere"


def test_compiling_twice_gives_the_same_spec(tmp_path):
    (tmp_path / "train.csv").write_text(CSV)
    first = compile_text(import_step("train.csv"), base_dir=tmp_path)
    second = compile_text(import_step("train.csv"), base_dir=tmp_path)
    assert first == second
    assert Path(snapshot_path(first.steps["load"].inputs["source_file"].snapshot)).is_dir()
