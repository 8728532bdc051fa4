"""Score Model: predict a dataset with a model from Train Model (model.pkl + model.json)."""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path
from typing import NoReturn

import pandas as pd

SCORED_LABEL = "scored_label"
PROBABILITY_PREFIX = "scored_probability_"


def fail(message: str) -> NoReturn:
    """Stop with the message on stderr and exit status 1."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def read_dataset(path: Path) -> pd.DataFrame:
    """Read a tabular dataset: data.csv in a folder (or a CSV file given directly)."""
    if path.is_dir():
        csv = path / "data.csv"
        if not csv.is_file():
            candidates = sorted(path.glob("*.csv"))
            if len(candidates) != 1:
                fail(f"dataset folder {path} holds no data.csv")
            csv = candidates[0]
    elif path.is_file():
        csv = path
    else:
        fail(f"dataset {path} does not exist")
    print(f"Reading {csv}", flush=True)
    return pd.read_csv(csv)


def load_model(folder: Path) -> tuple[object, dict]:
    """The estimator and its description from a Train Model output folder."""
    pickled, described = folder / "model.pkl", folder / "model.json"
    for path in (pickled, described):
        if not path.is_file():
            fail(f"model folder {folder} holds no {path.name}; connect the model output of Train Model")
    description = json.loads(described.read_text())
    for key in ("task", "label_column", "feature_columns"):
        if key not in description:
            fail(f"model.json has no {key!r}")
    with pickled.open("rb") as handle:
        estimator = pickle.load(handle)  # noqa: S301 - the model folder comes from a Train Model step
    return estimator, description


def feature_matrix(frame: pd.DataFrame, description: dict) -> pd.DataFrame:
    """The dataset encoded like the training data: one-hot text columns, training column order."""
    label = description["label_column"]
    inputs = description.get("input_columns") or [
        name for name in description["feature_columns"] if name in frame.columns
    ]
    absent = [name for name in inputs if name not in frame.columns]
    if absent:
        columns = ", ".join(map(str, frame.columns))
        fail(f"feature column(s) not found: {', '.join(absent)}; columns are: {columns}")
    features = frame[inputs]
    empty = [name for name in inputs if features[name].isna().any()]
    if empty:
        fail(f"feature column(s) with empty cells: {', '.join(empty)}; clean them first (Clean Missing Data)")
    categorical = [name for name in description.get("categorical_columns", []) if name in inputs]
    if categorical:
        features = features.astype({name: str for name in categorical})
        features = pd.get_dummies(features, columns=categorical, prefix_sep="=", dtype=float)
    unknown = [name for name in features.columns if name not in description["feature_columns"]]
    if unknown:
        shown = ", ".join(unknown[:10])
        print(f"Note: {len(unknown)} category value(s) unseen in training are ignored: {shown}")
    if label in features.columns:
        features = features.drop(columns=[label])
    return features.reindex(columns=description["feature_columns"], fill_value=0.0).astype(float)


def main() -> None:
    """Parse the arguments, score the dataset and write scored_dataset/data.csv."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()

    estimator, description = load_model(args.model)
    frame = read_dataset(args.dataset)
    matrix = feature_matrix(frame, description)
    print(f"Scoring {len(frame)} rows with {type(estimator).__name__} ({description['task']})", flush=True)

    previous = [
        name for name in frame.columns if name == SCORED_LABEL or str(name).startswith(PROBABILITY_PREFIX)
    ]
    if previous:
        print(f"Note: replacing earlier score columns: {', '.join(previous)}")
    result = frame.drop(columns=previous)
    result[SCORED_LABEL] = estimator.predict(matrix) if len(frame) else []
    if description["task"] == "classification" and hasattr(estimator, "predict_proba") and len(frame):
        probabilities = estimator.predict_proba(matrix)
        for index, cls in enumerate(estimator.classes_):
            result[f"{PROBABILITY_PREFIX}{cls}"] = probabilities[:, index]

    args.output.mkdir(parents=True, exist_ok=True)
    result.to_csv(args.output / "data.csv", index=False)
    print(f"Wrote {len(result)} scored rows to {args.output / 'data.csv'}")


if __name__ == "__main__":
    main()
