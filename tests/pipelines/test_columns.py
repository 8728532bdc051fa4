"""Schema propagation and the check of column parameters (pipelines/columns.py), on the built-in
library: a data asset's columns are read from its stored file, each built-in component's
columns.yml says how its outputs' columns follow, and Validate/submit refuse a column that is not
there, on its node and port, before anything runs."""

from __future__ import annotations

import textwrap

import pytest

from pipelines.columns import (
    NO_RULES,
    Known,
    OutputColumns,
    component_rules,
    library_rules,
    output_columns,
    parse_rules,
)
from pipelines.compiler import compile_pipeline
from studio.data_columns import Column, NotTabular, read_columns, snapshot_table
from studio.models import Component, DataAsset
from studio.registry import register_file
from studio.schemas.loading import DefinitionError, load_document
from tests.designer.graphs import component, data_node, edge

IRIS = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]


def compile_text(text: str):
    document, index = load_document(textwrap.dedent(text), filename="pipeline.yml")
    return compile_pipeline(document, index=index, filename="pipeline.yml")


def problems_of(text: str) -> dict[str, str]:
    with pytest.raises(DefinitionError) as caught:
        compile_text(text)
    return {problem.field: problem.message for problem in caught.value.problems}


def pipeline(*jobs: str) -> str:
    return "settings:\n  default_compute: azureml:local\njobs:\n" + "".join(
        textwrap.indent(textwrap.dedent(job).strip("\n"), "  ") + "\n" for job in jobs
    )


SPLIT_IRIS = """
split:
  component: azureml:split_data:1
  inputs:
    dataset: {{type: uri_file, path: "azureml:iris:1"}}
    stratify_column: {column}
"""


# --- reading columns -----------------------------------------------------------------------------


def test_columns_and_their_kinds_are_read_from_the_header_and_first_rows():
    head = b"id,score,ok,name\n1,0.5,true,a\n2,,false,b\n3,1e3,TRUE,\n"
    assert read_columns(head, delimiter=",") == (
        Column("id", "numeric"),
        Column("score", "numeric"),
        Column("ok", "boolean"),
        Column("name", "string"),
    )
    assert [c.name for c in read_columns(b"1\t2\n", delimiter="\t", header=False)] == ["Column1", "Column2"]
    with pytest.raises(NotTabular):
        read_columns(b"", delimiter=",")


@pytest.mark.django_db
def test_a_csv_file_a_folder_and_an_mltable_have_columns(library, tmp_path):
    iris = DataAsset.objects.get(name="iris", version="1")
    assert [c.name for c in snapshot_table(iris.snapshot_digest, "uri_file").columns] == IRIS

    table = tmp_path / "table"
    (table / "parts").mkdir(parents=True)
    (table / "parts" / "rows.tsv").write_text("a\tb\n1\tx\n")
    (table / "MLTable").write_text(
        'paths:\n  - pattern: ./parts/*.tsv\ntransformations:\n  - read_delimited:\n      delimiter: "\\t"\n'
    )
    (tmp_path / "table.yml").write_text("name: rows\nversion: '1'\ntype: mltable\npath: ./table\n")
    asset, _ = register_file(tmp_path / "table.yml", kind="data")
    found = snapshot_table(asset.snapshot_digest, "mltable")
    assert found.columns == (Column("a", "numeric"), Column("b", "string"))
    assert found.source == "parts/rows.tsv"

    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "a.txt").write_text("not a table")
    (tmp_path / "loose.yml").write_text("name: loose\nversion: '1'\ntype: uri_folder\npath: ./loose\n")
    loose, _ = register_file(tmp_path / "loose.yml", kind="data")
    with pytest.raises(NotTabular, match="no data.csv"):
        snapshot_table(loose.snapshot_digest, "uri_folder")


# --- declarations --------------------------------------------------------------------------------


def test_every_built_in_declaration_names_ports_of_its_component():
    rules = library_rules()  # parse_rules checks each against its component.yml
    assert set(rules) >= {
        "split_data:1", "select_columns:1", "clean_missing_data:1", "normalize_data:1",
        "train_model:1", "score_model:1", "evaluate_model:2", "import_csv:1",
    }  # fmt: skip
    assert rules["split_data:1"][1].parameters["stratify_column"].of == "dataset"


def test_a_declaration_that_names_no_such_port_is_refused():
    spec = {"inputs": {"dataset": {"type": "uri_folder"}, "n": {"type": "integer"}}, "outputs": {}}
    with pytest.raises(ValueError, match="'n' is not a string parameter"):
        parse_rules({"parameters": {"n": {"of": "dataset"}}}, spec)
    with pytest.raises(ValueError, match="no output 'out'"):
        parse_rules({"outputs": {"out": {"keep": "dataset"}}}, spec)


def test_declarations_apply_only_to_the_ports_they_were_written_for():
    spec, rules = library_rules()["split_data:1"]
    assert component_rules("split_data", "1", spec) is rules
    changed = {**spec, "inputs": {**spec["inputs"], "extra": {"type": "string"}}}
    assert component_rules("split_data", "1", changed) is NO_RULES
    assert component_rules("split_data", "2", spec) is NO_RULES


def test_outputs_keep_add_remove_and_select_columns():
    source = Known(tuple(Column(n, "numeric") for n in ("a", "b", "c")))
    values = {"cols": "c, a", "mode": "include"}
    select = OutputColumns(keep="in", select="cols", mode="mode")
    assert output_columns(select, source, values.get).names == ["c", "a"]
    values["mode"] = "exclude"
    assert output_columns(select, source, values.get).names == ["b"]
    more = OutputColumns(keep="in", add=("score",), remove=("b",), more=("p_*",))
    known = output_columns(more, source, values.get)
    assert known.names == ["a", "c", "score"] and known.has("p_x") and not known.has("b")
    assert output_columns(OutputColumns(keep="in", when={"mode": "include"}), source, values.get) is None
    assert output_columns(select, None, values.get) is None


# --- Validate and submit -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_csv_data_asset_feeds_split_data_directly_and_a_known_column_compiles(library, computes):
    spec = compile_text(pipeline(SPLIT_IRIS.format(column="species")))
    binding = spec.steps["split"].inputs["dataset"]
    assert (binding.type, binding.asset) == ("uri_file", "iris:1")


@pytest.mark.django_db
def test_an_unknown_column_is_refused_at_its_port_with_the_columns_and_a_suggestion(library, computes):
    problems = problems_of(pipeline(SPLIT_IRIS.format(column="spieces")))
    assert problems == {
        "jobs.split.inputs.stratify_column": "'spieces' is not a column of dataset (its columns: "
        "sepal_length, sepal_width, petal_length, petal_width, species); did you mean 'species'?"
    }


CHAIN = [
    """
    load:
      component: azureml:import_csv:1
      inputs:
        source_file: {type: uri_file, path: "azureml:iris:1"}
    """,
    """
    pick:
      component: azureml:select_columns:1
      inputs:
        dataset: ${{parent.jobs.load.outputs.dataset}}
        columns: "%(columns)s"
        mode: %(mode)s
    """,
    """
    split:
      component: azureml:split_data:1
      inputs:
        dataset: ${{parent.jobs.pick.outputs.result_dataset}}
    """,
    """
    train:
      component: azureml:train_model:1
      inputs:
        dataset: ${{parent.jobs.split.outputs.first_dataset}}
        label_column: %(label)s
    """,
    """
    score:
      component: azureml:score_model:1
      inputs:
        model: ${{parent.jobs.train.outputs.model}}
        dataset: ${{parent.jobs.split.outputs.second_dataset}}
    """,
    """
    evaluate:
      component: azureml:evaluate_model:2
      inputs:
        scored_dataset: ${{parent.jobs.score.outputs.scored_dataset}}
        label_column: %(evaluate)s
    """,
]


def chain(**values) -> str:
    values = {"columns": "petal_length,petal_width,species", "mode": "include", "label": "species"} | values
    values.setdefault("evaluate", values["label"])
    return pipeline(*(job % values for job in CHAIN))


@pytest.mark.django_db
def test_columns_propagate_through_import_select_split_and_score(library, computes):
    compile_text(chain())
    compile_text(chain(evaluate="scored_probability_setosa"))  # written by Score Model for classifiers
    compile_text(chain(mode="exclude", columns="sepal_width", label="sepal_length"))

    # Select Columns dropped sepal_length: Train Model's table does not have it
    assert problems_of(chain(label="sepal_length", evaluate="species")) == {
        "jobs.train.inputs.label_column": "'sepal_length' is not a column of dataset "
        "(its columns: petal_length, petal_width, species); did you mean 'petal_length'?"
    }
    excluded = problems_of(chain(mode="exclude", columns="species, sepal_width", label="species"))
    assert list(excluded) == ["jobs.train.inputs.label_column", "jobs.evaluate.inputs.label_column"]
    assert "did you mean" not in excluded["jobs.train.inputs.label_column"]
    assert problems_of(chain(columns="petal_length,spcies,colour")) == {
        "jobs.pick.inputs.columns": "'spcies', 'colour' are not columns of dataset (its columns: "
        "sepal_length, sepal_width, petal_length, petal_width, species)"
    }


@pytest.mark.django_db
def test_unknown_columns_are_not_checked(library, computes):
    # Import CSV without a header names its columns column_1..n; its output is then unknown.
    compile_text(
        chain(label="column_5").replace('azureml:iris:1"}', 'azureml:iris:1"}\n      has_header: false')
    )
    # and a script step's output is unknown too: anything goes downstream of it
    script = """
    script:
      component: azureml:execute_python_script:1
      inputs:
        dataset: {type: uri_file, path: "azureml:iris:1"}
    """
    split = """
    split:
      component: azureml:split_data:1
      inputs:
        dataset: ${{parent.jobs.script.outputs.result_dataset}}
        stratify_column: anything
    """
    compile_text(pipeline(script, split))


@pytest.mark.django_db
def test_the_designer_validate_marks_the_wrong_column_on_its_node(api, library, computes):
    graph = {
        "nodes": [
            data_node("iris", "iris:1"),
            component("split_data", "split_data:1", inputs={"stratify_column": "Species"}),
        ],
        "edges": [edge("iris", "data", "split_data", "dataset")],
    }
    draft = api.post("/api/v1/drafts/", {"name": "columns", "graph": graph}, format="json").json()

    result = api.post(f"/api/v1/drafts/{draft['id']}/validate/").json()

    assert result["valid"] is False
    [problem] = result["problems"]
    assert (problem["node"], problem["port"]) == ("split_data", "stratify_column")
    assert problem["message"].startswith("'Species' is not a column of dataset")
    assert problem["message"].endswith("did you mean 'species'?")


@pytest.mark.django_db
def test_the_designer_reads_an_assets_columns_and_a_components_declarations(api, library):
    iris = api.get("/api/v1/data/iris/1/columns/").json()
    assert [c["name"] for c in iris["columns"]] == IRIS
    assert {c["type"] for c in iris["columns"]} == {"numeric", "string"}
    assert iris["source"] == "iris.csv"

    rules = api.get("/api/v1/components/split_data/1/columns/").json()
    assert rules["parameters"] == {"stratify_column": {"of": "dataset", "many": False}}
    assert rules["outputs"]["first_dataset"]["keep"] == "dataset"
    assert api.get("/api/v1/components/execute_python_script/1/columns/").json() == {
        "parameters": {},
        "outputs": {},
    }
    assert api.get("/api/v1/components/nope/1/columns/").status_code == 404
    assert api.get("/api/v1/data/nope/1/columns/").status_code == 404
    assert Component.objects.filter(name="split_data").exists()
