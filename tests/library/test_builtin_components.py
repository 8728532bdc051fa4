"""The built-in library: every definition is well formed and every component runs for real.

Each component's command is rendered with Studio's own renderer and run with bash in the
component's code folder, with this virtual environment's `python` first on PATH, on the sample
data under studio/library/data/.
"""

from __future__ import annotations

import csv
import functools
import http.server
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from studio.schemas.command import command_problems, render_command

LIBRARY = Path(__file__).resolve().parents[2] / "studio" / "library"
COMPONENTS = LIBRARY / "components"
IRIS_CSV = LIBRARY / "data" / "iris" / "iris.csv"
REGRESSION_CSV = LIBRARY / "data" / "regression" / "regression.csv"
EXPECTED_COMPONENTS = {
    "import_csv",
    "select_columns",
    "clean_missing_data",
    "split_data",
    "normalize_data",
    "train_model",
    "score_model",
    "evaluate_model",
    "execute_python_script",
    "run_command",
}
CATEGORIES = {
    "Data Input and Output",
    "Data Transformation",
    "Model Training",
    "Model Scoring & Evaluation",
    "Python Language",
    "General",
}
INPUT_TYPES = {"string", "integer", "number", "boolean", "uri_file", "uri_folder"}
OUTPUT_TYPES = {"uri_file", "uri_folder"}
COMPONENT_SCHEMA = "https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json"
ENVIRONMENT_SCHEMA = "https://azuremlschemas.azureedge.net/latest/environment.schema.json"
DATA_SCHEMA = "https://azuremlschemas.azureedge.net/latest/data.schema.json"
REQUIRED_KEYS = {
    "$schema",
    "type",
    "name",
    "version",
    "display_name",
    "description",
    "tags",
    "is_deterministic",
    "inputs",
    "outputs",
    "code",
    "environment",
    "command",
}
# import name -> distribution name (as the dev extras spell it)
ML_PACKAGES = {
    "sklearn": "scikit-learn>=1.5,<1.6",
    "pandas": "pandas>=2.2,<3",
    "numpy": "numpy>=1.26,<3",
    "matplotlib": "matplotlib>=3.8,<4",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUN_TIMEOUT_S = 120


def component_files() -> list[Path]:
    """Every component.yml of the library, sorted."""
    return sorted(COMPONENTS.glob("*/component.yml"))


@functools.cache
def load_component(name: str) -> dict:
    """The parsed component.yml of a built-in component."""
    return yaml.safe_load((COMPONENTS / name / "component.yml").read_text())


@functools.cache
def missing_ml_packages() -> list[str]:
    """The requirement lines of the ML packages this interpreter cannot import."""
    return [
        requirement for module, requirement in ML_PACKAGES.items() if importlib.util.find_spec(module) is None
    ]


@dataclass
class Run:
    """One finished run of a component."""

    command: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, Path]


class ComponentRunner:
    """Renders a component's command and runs it with bash in its code folder."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        venv_bin = str(Path(sys.executable).parent)
        self.env = {
            **os.environ,
            "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
            "PYTHONDONTWRITEBYTECODE": "1",  # leave no __pycache__ in the library's code folders
            "MPLCONFIGDIR": str(workdir / "matplotlib"),
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }

    def __call__(self, name: str, *, expect_success: bool = True, **inputs: object) -> Run:
        """Run component `name` with the given inputs (defaults for the rest); outputs go to new folders."""
        missing = missing_ml_packages()
        if missing:
            pytest.fail(
                "the built-in components need these packages in the test environment: "
                + ", ".join(missing)
                + " (pip install -e '.[dev]')",
                pytrace=False,
            )
        spec = load_component(name)
        values: dict[str, object | None] = {
            key: value.get("default") for key, value in spec["inputs"].items()
        }
        unknown = set(inputs) - set(values)
        assert not unknown, f"{name} has no inputs {sorted(unknown)}"
        values.update(
            {key: str(value) if isinstance(value, Path) else value for key, value in inputs.items()}
        )
        outputs = {
            key: Path(tempfile.mkdtemp(prefix=f"{name}.{key}.", dir=self.workdir)) for key in spec["outputs"]
        }
        rendered = render_command(
            spec["command"], inputs=values, outputs={key: str(path) for key, path in outputs.items()}
        )
        command = rendered.shown
        code = (COMPONENTS / name / spec["code"]).resolve()
        finished = subprocess.run(
            ["bash", "-c", rendered.run],
            cwd=code,
            env={**self.env, **rendered.environment},
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        run = Run(command, finished.returncode, finished.stdout, finished.stderr, outputs)
        if expect_success:
            assert run.returncode == 0, (
                f"{name} exited with {run.returncode}\n$ {command}\n"
                f"--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"
            )
        return run


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file (or of data.csv in a folder) as dictionaries."""
    if path.is_dir():
        path = path / "data.csv"
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def read_json(path: Path) -> dict:
    """A JSON file's content."""
    return json.loads(path.read_text())


def assert_png(path: Path) -> None:
    """The file exists and is a PNG image."""
    assert path.is_file(), f"{path.name} was not written"
    assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"


def write_csv(path: Path, text: str) -> Path:
    """Write a CSV file as data.csv in a new dataset folder `path`; returns the folder."""
    path.mkdir(parents=True)
    (path / "data.csv").write_text(text)
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> ComponentRunner:
    """Runs built-in components; their outputs go to folders under one module-wide temp folder."""
    return ComponentRunner(tmp_path_factory.mktemp("components"))


@pytest.fixture(scope="module")
def iris(run: ComponentRunner) -> dict[str, Path]:
    """Iris imported, columns selected, cleaned, split 70/30 (stratified) and z-scored."""
    imported = run("import_csv", source_file=IRIS_CSV)
    selected = run(
        "select_columns",
        dataset=imported.outputs["dataset"],
        columns="sepal_length, petal_length,petal_width,species",
    )
    cleaned = run("clean_missing_data", dataset=selected.outputs["result_dataset"])
    split = run(
        "split_data",
        dataset=cleaned.outputs["cleaned_dataset"],
        fraction=0.7,
        seed=7,
        stratify_column="species",
    )
    train = run("normalize_data", dataset=split.outputs["first_dataset"], method="zscore")
    test = run(
        "normalize_data",
        dataset=split.outputs["second_dataset"],
        saved_transform=train.outputs["transform"],
    )
    return {
        "imported": imported.outputs["dataset"],
        "selected": selected.outputs["result_dataset"],
        "cleaning_report": cleaned.outputs["cleaning_report"],
        "first": split.outputs["first_dataset"],
        "second": split.outputs["second_dataset"],
        "train": train.outputs["transformed_dataset"],
        "transform": train.outputs["transform"],
        "test": test.outputs["transformed_dataset"],
    }


# --- structure ------------------------------------------------------------------------------------


def test_it_ships_the_expected_components() -> None:
    """The component folders are exactly those this file runs."""
    names = {path.parent.name for path in component_files()}
    assert names == EXPECTED_COMPONENTS, "a component was added or removed: run it in a test here"


@pytest.mark.parametrize("path", component_files(), ids=lambda path: path.parent.name)
def test_it_defines_each_component_as_valid_azure_ml_yaml(path: Path) -> None:
    """Required keys, naming, category, typed inputs/outputs, and a command the renderer accepts."""
    spec = yaml.safe_load(path.read_text())
    assert REQUIRED_KEYS <= set(spec), f"missing keys: {sorted(REQUIRED_KEYS - set(spec))}"
    assert spec["$schema"] == COMPONENT_SCHEMA
    assert spec["type"] == "command"
    assert re.fullmatch(r"[a-z0-9_]+", spec["name"]), spec["name"]
    assert spec["name"] == path.parent.name
    assert spec["version"].isdigit()  # a changed component takes the next number: installs reseed
    assert isinstance(spec["is_deterministic"], bool)
    assert spec["description"].strip() and spec["display_name"].strip()
    assert spec["tags"]["category"] in CATEGORIES
    assert (path.parent / spec["code"]).is_dir()
    environment = re.fullmatch(r"azureml:([a-z0-9.\-_]+)@latest", spec["environment"])
    assert environment, spec["environment"]
    assert (LIBRARY / "environments" / f"{environment[1]}.yml").is_file()

    for name, field in spec["inputs"].items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert field["type"] in INPUT_TYPES, f"{name}: type {field['type']!r}"
        assert field.get("description", "").strip(), f"{name} has no description"
        if {"min", "max"} & set(field):
            assert field["type"] in {"integer", "number"}, f"{name}: min/max on a {field['type']}"
            if "default" in field:
                assert (
                    field.get("min", field["default"])
                    <= field["default"]
                    <= field.get("max", field["default"])
                )
        if "enum" in field:
            assert field["type"] == "string", f"{name}: enum on a {field['type']}"
            assert field.get("default", field["enum"][0]) in field["enum"]
        if field["type"] in {"uri_file", "uri_folder"}:
            assert "default" not in field, f"{name}: a data input has no default"
    for name, field in spec["outputs"].items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert field["type"] in OUTPUT_TYPES, f"{name}: type {field['type']!r}"
        assert field.get("description", "").strip(), f"{name} has no description"

    ports = [name.lower() for name in [*spec["inputs"], *spec["outputs"]]]
    assert len(ports) == len(set(ports)), "input and output names must all differ (ignoring case)"

    optional = {name: bool(field.get("optional", False)) for name, field in spec["inputs"].items()}
    assert command_problems(spec["command"], inputs=optional, outputs=set(spec["outputs"])) == []
    assert "$[[" in spec["command"] or not any(optional.values()), "optional inputs need $[[ … ]] segments"
    assert not re.search(r"""['"]\$\{\{""", spec["command"]), (
        "the renderer quotes values; do not quote placeholders"
    )
    script = re.match(r"(?:python|bash) (\S+)", spec["command"])
    assert script and (path.parent / spec["code"] / script[1]).is_file(), "the command's script is missing"


def test_it_defines_environments_and_data_whose_files_exist() -> None:
    """Environment and data YAMLs have their schema, name and version, and their files exist."""
    environments = sorted((LIBRARY / "environments").glob("*.yml"))
    definitions = [path for path in environments if not path.name.endswith(".conda.yml")]
    assert {path.stem for path in definitions} == {"python-3.11", "sklearn-1.5"}
    for path in definitions:
        spec = yaml.safe_load(path.read_text())
        assert spec["$schema"] == ENVIRONMENT_SCHEMA
        assert (spec["name"], spec["version"]) == (path.stem, "1")
        assert spec["image"] == "studio/python:3.11-bookworm"
        assert spec["description"].strip() and spec["tags"]
        if "conda_file" in spec:
            conda = yaml.safe_load((path.parent / spec["conda_file"]).read_text())
            assert "python=3.11" in conda["dependencies"]
            pip = next(item["pip"] for item in conda["dependencies"] if isinstance(item, dict))
            assert "scikit-learn>=1.5,<1.6" in pip

    data = sorted((LIBRARY / "data").glob("*.yml"))
    assert {path.stem for path in data} == {"iris", "regression"}
    for path in data:
        spec = yaml.safe_load(path.read_text())
        assert spec["$schema"] == DATA_SCHEMA
        assert (spec["type"], spec["name"], spec["version"]) == ("uri_file", path.stem, "1")
        assert spec["description"].strip() and spec["tags"]
        assert (path.parent / spec["path"]).is_file(), f"{path.name}: {spec['path']} does not exist"
    assert len(read_csv(IRIS_CSV)) == 150
    assert list(read_csv(IRIS_CSV)[0]) == [
        "sepal_length",
        "sepal_width",
        "petal_length",
        "petal_width",
        "species",
    ]


# --- data preparation -------------------------------------------------------------------------------


def test_it_imports_selects_cleans_splits_and_normalizes_iris(iris: dict[str, Path]) -> None:
    """Each preparation step's output holds what it should."""
    assert len(read_csv(iris["imported"])) == 150
    selected = read_csv(iris["selected"])
    assert list(selected[0]) == ["sepal_length", "petal_length", "petal_width", "species"]
    report = read_json(iris["cleaning_report"] / "report.json")
    assert (report["rows_before"], report["rows_after"], report["rows_removed"]) == (150, 150, 0)

    first, second = read_csv(iris["first"]), read_csv(iris["second"])
    assert (len(first), len(second)) == (105, 45)
    assert sorted(row["species"] for row in first).count("setosa") == 35  # stratified

    params = read_json(iris["transform"] / "params.json")
    assert params["method"] == "zscore"
    assert set(params["columns"]) == {"sepal_length", "petal_length", "petal_width"}
    train = read_csv(iris["train"])
    mean = sum(float(row["petal_length"]) for row in train) / len(train)
    assert abs(mean) < 1e-9
    test = read_csv(iris["test"])
    shift, scale = params["columns"]["petal_length"]["shift"], params["columns"]["petal_length"]["scale"]
    assert float(test[0]["petal_length"]) == pytest.approx((float(second[0]["petal_length"]) - shift) / scale)
    assert test[0]["species"] == second[0]["species"]


def test_it_removes_or_fills_missing_cells(run: ComponentRunner, tmp_path: Path) -> None:
    """remove_row drops incomplete rows; mean fills numbers; constant fills text; the report counts."""
    dataset = write_csv(tmp_path / "holes", "a,b,color\n1,10,red\n,20,blue\n3,,red\n4,40,\n5,50,blue\n")

    removed = run("clean_missing_data", dataset=dataset)
    assert [row["a"] for row in read_csv(removed.outputs["cleaned_dataset"])] == ["1", "5"]
    report = read_json(removed.outputs["cleaning_report"] / "report.json")
    assert (report["rows_removed"], report["values_removed"], report["rows_after"]) == (3, 3, 2)

    mean = run("clean_missing_data", dataset=dataset, strategy="mean")
    rows = read_csv(mean.outputs["cleaned_dataset"])
    assert float(rows[1]["a"]) == pytest.approx(13 / 4)
    assert float(rows[2]["b"]) == pytest.approx(30.0)
    assert rows[3]["color"] == ""  # mean leaves text columns alone
    report = read_json(mean.outputs["cleaning_report"] / "report.json")
    assert report["values_replaced"] == 2
    assert report["columns_left_as_is"] == ["color"]

    constant = run(
        "clean_missing_data", dataset=dataset, strategy="constant", columns="color", constant="none"
    )
    rows = read_csv(constant.outputs["cleaned_dataset"])
    assert [row["color"] for row in rows] == ["red", "blue", "red", "none", "blue"]
    assert rows[1]["a"] == ""  # only the listed column is cleaned
    assert read_json(constant.outputs["cleaning_report"] / "report.json")["replaced_by_column"] == {
        "color": 1
    }


def test_it_imports_a_headerless_file_with_another_separator(run: ComponentRunner, tmp_path: Path) -> None:
    """has_header false names the columns column_1…; the separator is honoured."""
    source = tmp_path / "values.txt"
    source.write_text("1;x\n2;y\n")
    imported = run("import_csv", source_file=source, separator=";", has_header=False)
    assert read_csv(imported.outputs["dataset"]) == [
        {"column_1": "1", "column_2": "x"},
        {"column_1": "2", "column_2": "y"},
    ]


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[str]:
    """An http.server on 127.0.0.1 serving the iris folder; yields its base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(IRIS_CSV.parent))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_it_imports_csv_from_an_http_url(run: ComponentRunner, http_root: str) -> None:
    """source_url is downloaded; a missing file fails with the HTTP status."""
    imported = run("import_csv", source_url=f"{http_root}/iris.csv")
    rows = read_csv(imported.outputs["dataset"])
    assert len(rows) == 150 and rows[0]["species"] == "setosa"

    missing = run("import_csv", source_url=f"{http_root}/nothing.csv", expect_success=False)
    assert missing.returncode != 0
    assert "HTTP 404" in missing.stderr


def test_it_fails_naming_an_unknown_column(run: ComponentRunner) -> None:
    """A column that does not exist stops the step with its name and the columns there are."""
    failed = run(
        "select_columns", dataset=IRIS_CSV.parent, columns="sepal_length,petal_size", expect_success=False
    )
    assert failed.returncode != 0
    assert "'petal_size'" in failed.stderr
    assert "columns are: sepal_length, sepal_width" in failed.stderr
    assert "Traceback" not in failed.stderr

    both = run(
        "import_csv", source_file=IRIS_CSV, source_url="http://127.0.0.1:9/x.csv", expect_success=False
    )
    assert both.returncode != 0 and "exactly one of source_file and source_url" in both.stderr


# --- training, scoring, evaluation ----------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["logistic_regression", "random_forest"])
def test_it_classifies_iris(run: ComponentRunner, iris: dict[str, Path], algorithm: str) -> None:
    """Train on 70%, score and evaluate on the held-out 30%: accuracy above 0.8."""
    trained = run(
        "train_model", dataset=iris["train"], label_column="species", algorithm=algorithm, n_estimators=50
    )
    model = trained.outputs["model"]
    description = read_json(model / "model.json")
    assert description["algorithm"] == algorithm
    assert description["task"] == "classification"
    assert description["label_column"] == "species"
    assert description["feature_columns"] == ["sepal_length", "petal_length", "petal_width"]
    assert (model / "model.pkl").stat().st_size > 0

    scored = run("score_model", model=model, dataset=iris["test"])
    rows = read_csv(scored.outputs["scored_dataset"])
    assert len(rows) == 45
    assert list(rows[0]) == [
        "sepal_length",
        "petal_length",
        "petal_width",
        "species",
        "scored_label",
        "scored_probability_setosa",
        "scored_probability_versicolor",
        "scored_probability_virginica",
    ]
    probabilities = [
        float(rows[0][f"scored_probability_{name}"]) for name in ("setosa", "versicolor", "virginica")
    ]
    assert sum(probabilities) == pytest.approx(1.0)

    evaluated = run("evaluate_model", scored_dataset=scored.outputs["scored_dataset"], label_column="species")
    metrics = read_json(evaluated.outputs["evaluation"] / "metrics.json")
    assert metrics["task"] == "classification"
    assert metrics["accuracy"] > 0.8
    assert (
        0 < metrics["f1_macro"] <= 1
        and 0 < metrics["precision_macro"] <= 1
        and 0 < metrics["recall_macro"] <= 1
    )
    assert metrics["confusion_matrix"]["labels"] == ["setosa", "versicolor", "virginica"]
    assert sum(map(sum, metrics["confusion_matrix"]["matrix"])) == 45
    assert_png(evaluated.outputs["evaluation"] / "confusion_matrix.png")
    scores = read_csv(evaluated.outputs["evaluation"] / "scores.csv")  # the rows behind the curves
    assert len(scores) == 45 and list(scores[0]) == ["label", "scored_label", *list(rows[0])[-3:]]
    assert metrics["scores"] == {"file": "scores.csv", "rows": 45, "sampled_from": 45}


def test_it_fits_the_synthetic_regression(run: ComponentRunner) -> None:
    """Linear regression on the regression sample: R² above 0.8 on held-out rows, with a residual plot."""
    imported = run("import_csv", source_file=REGRESSION_CSV)
    split = run("split_data", dataset=imported.outputs["dataset"], fraction=0.75, seed=1)
    train = run(
        "normalize_data", dataset=split.outputs["first_dataset"], method="minmax", exclude_columns="target"
    )
    test = run(
        "normalize_data", dataset=split.outputs["second_dataset"], saved_transform=train.outputs["transform"]
    )
    assert set(read_json(train.outputs["transform"] / "params.json")["columns"]) == {"x1", "x2", "x3", "x4"}

    trained = run(
        "train_model",
        dataset=train.outputs["transformed_dataset"],
        label_column="target",
        algorithm="linear_regression",
    )
    description = read_json(trained.outputs["model"] / "model.json")
    assert (description["task"], description["feature_columns"]) == ("regression", ["x1", "x2", "x3", "x4"])
    scored = run("score_model", model=trained.outputs["model"], dataset=test.outputs["transformed_dataset"])
    rows = read_csv(scored.outputs["scored_dataset"])
    assert len(rows) == 50 and "scored_probability_" not in ",".join(rows[0])

    evaluated = run("evaluate_model", scored_dataset=scored.outputs["scored_dataset"], label_column="target")
    metrics = read_json(evaluated.outputs["evaluation"] / "metrics.json")
    assert metrics["task"] == "regression"
    assert metrics["r2"] > 0.8
    assert 0 < metrics["mae"] <= metrics["rmse"] < 2
    assert_png(evaluated.outputs["evaluation"] / "residuals.png")
    scores = read_csv(evaluated.outputs["evaluation"] / "scores.csv")
    assert len(scores) == 50 and list(scores[0]) == ["label", "scored_label"]


def test_it_one_hot_encodes_text_features(run: ComponentRunner, tmp_path: Path) -> None:
    """Text features become one column per value; scoring tolerates unseen values and no label."""
    lines = ["x,color,y"] + [
        f"{x},{color},{2 * x + (5 if color == 'red' else 0)}" for x in range(10) for color in ("red", "blue")
    ]
    training = write_csv(tmp_path / "train", "\n".join(lines) + "\n")
    trained = run("train_model", dataset=training, label_column="y", algorithm="linear_regression")
    description = read_json(trained.outputs["model"] / "model.json")
    assert description["categorical_columns"] == ["color"]
    assert description["feature_columns"] == ["x", "color=blue", "color=red"]

    scoring = write_csv(tmp_path / "score", "x,color\n3,red\n3,blue\n3,green\n")
    scored = run("score_model", model=trained.outputs["model"], dataset=scoring)
    predictions = [float(row["scored_label"]) for row in read_csv(scored.outputs["scored_dataset"])]
    assert predictions[:2] == pytest.approx([11.0, 6.0])
    assert "unseen in training" in scored.stdout


# --- code -----------------------------------------------------------------------------------------------


def test_it_runs_a_user_python_script(run: ComponentRunner) -> None:
    """azureml_main gets the dataset as dataframe1 (or None) and its DataFrame becomes the output."""
    script = (
        "import pandas as pd\n"
        "\n"
        "def azureml_main(dataframe1=None):\n"
        "    means = dataframe1.groupby('species', as_index=False)['petal_length'].mean()\n"
        "    return means,\n"
    )
    grouped = run("execute_python_script", dataset=IRIS_CSV.parent, script=script)
    rows = read_csv(grouped.outputs["result_dataset"])
    assert [row["species"] for row in rows] == ["setosa", "versicolor", "virginica"]
    assert float(rows[0]["petal_length"]) == pytest.approx(1.462)

    alone = run(
        "execute_python_script",
        script=(
            "import pandas as pd\n"
            "def azureml_main(dataframe1=None):\n"
            "    return pd.DataFrame({'given': [dataframe1 is not None]})\n"
        ),
    )
    assert read_csv(alone.outputs["result_dataset"]) == [{"given": "False"}]


def test_it_explains_a_script_without_azureml_main(run: ComponentRunner) -> None:
    """A missing entry point, or a result that is not a DataFrame, fails with a clear message."""
    missing = run("execute_python_script", script="def main(df):\n    return df\n", expect_success=False)
    assert missing.returncode != 0
    assert "defines no function azureml_main" in missing.stderr

    wrong = run(
        "execute_python_script",
        script="def azureml_main(dataframe1=None):\n    return 42\n",
        expect_success=False,
    )
    assert wrong.returncode != 0
    assert "must return a pandas DataFrame" in wrong.stderr and "returned int" in wrong.stderr


def test_it_runs_a_bash_command_into_the_output_folder(run: ComponentRunner) -> None:
    """The script sees INPUT_DIR and OUTPUT_DIR; a failing command fails the step."""
    counted = run(
        "run_command",
        input_folder=IRIS_CSV.parent,
        script='wc -l < "$INPUT_DIR/iris.csv" > "$OUTPUT_DIR/lines.txt"\n'
        'echo done > "$OUTPUT_DIR/status.txt"',
    )
    assert (counted.outputs["output_folder"] / "lines.txt").read_text().strip() == "151"
    assert (counted.outputs["output_folder"] / "status.txt").read_text() == "done\n"

    no_input = run("run_command", script='echo "[$INPUT_DIR]" > "$OUTPUT_DIR/input.txt"')
    assert (no_input.outputs["output_folder"] / "input.txt").read_text() == "[]\n"

    failed = run("run_command", script='false\necho never > "$OUTPUT_DIR/never.txt"', expect_success=False)
    assert failed.returncode != 0
    assert "failed with exit status 1" in failed.stderr
    assert not (failed.outputs["output_folder"] / "never.txt").exists()
