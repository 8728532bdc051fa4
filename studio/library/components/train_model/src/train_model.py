"""Train Model: fit a scikit-learn estimator and save model.pkl with its description model.json."""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd
import sklearn
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

ALGORITHMS = ["logistic_regression", "random_forest", "linear_regression"]
MAX_CLASSES_OF_NUMERIC_LABEL = 20


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


def is_number_column(series: pd.Series) -> bool:
    """Whether a column holds numbers (booleans do not count)."""
    return is_numeric_dtype(series) and not is_bool_dtype(series)


def choose_task(algorithm: str, label: pd.Series) -> str:
    """classification or regression, from the algorithm and (for a random forest) the label."""
    if algorithm == "logistic_regression":
        return "classification"
    if algorithm == "linear_regression":
        if not is_number_column(label):
            fail(f"linear_regression needs a numeric label; {label.name!r} holds text")
        return "regression"
    if not is_number_column(label):
        return "classification"
    whole = bool(np.all(np.mod(label.to_numpy(dtype=float), 1) == 0))
    if whole and label.nunique() <= MAX_CLASSES_OF_NUMERIC_LABEL:
        return "classification"
    return "regression"


def encode_features(features: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One-hot encode the text (and boolean) columns; returns the matrix and those column names."""
    categorical = [str(name) for name in features.columns if not is_number_column(features[name])]
    if categorical:
        encoded = pd.get_dummies(features, columns=categorical, prefix_sep="=", dtype=float)
    else:
        encoded = features.astype(float)
    return encoded, categorical


def make_estimator(algorithm: str, task: str, args: argparse.Namespace) -> object:
    """The unfitted estimator for the algorithm and task."""
    if algorithm == "logistic_regression":
        return LogisticRegression(max_iter=args.max_iterations or 1000, random_state=args.seed)
    if algorithm == "linear_regression":
        return LinearRegression()
    forest = RandomForestClassifier if task == "classification" else RandomForestRegressor
    return forest(n_estimators=args.n_estimators, random_state=args.seed, n_jobs=1)


def main() -> None:
    """Parse the arguments, train and write model.pkl and model.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--label-column", required=True)
    parser.add_argument("--algorithm", choices=ALGORITHMS, default="logistic_regression")
    parser.add_argument("--max-iterations", type=int)
    parser.add_argument("--n-estimators", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()

    frame = read_dataset(args.dataset)
    label_column = args.label_column.strip()
    if label_column not in frame.columns:
        fail(f"label column {label_column!r} not found; columns are: {', '.join(map(str, frame.columns))}")
    if frame[label_column].isna().any():
        fail(
            f"label column {label_column!r} has {int(frame[label_column].isna().sum())} empty cell(s); "
            "remove those rows first (Clean Missing Data, remove_row)"
        )
    features = frame.drop(columns=[label_column])
    if features.shape[1] == 0:
        fail("the dataset has no feature columns besides the label")
    missing = [str(name) for name in features.columns if features[name].isna().any()]
    if missing:
        fail(
            f"feature column(s) with empty cells: {', '.join(missing)}; clean them first (Clean Missing Data)"
        )
    if len(frame) < 2:
        fail(f"the dataset has {len(frame)} row(s); training needs at least 2")
    if args.max_iterations is not None and args.algorithm != "logistic_regression":
        print(f"Note: max_iterations applies to logistic_regression only; ignored for {args.algorithm}")

    label = frame[label_column]
    task = choose_task(args.algorithm, label)
    if task == "classification" and label.nunique() < 2:
        fail(f"label column {label_column!r} has a single value; classification needs at least two classes")
    matrix, categorical = encode_features(features)
    estimator = make_estimator(args.algorithm, task, args)
    print(
        f"Training {type(estimator).__name__} ({task}) on {len(frame)} rows and "
        f"{matrix.shape[1]} feature column(s) to predict {label_column!r}",
        flush=True,
    )
    estimator.fit(matrix, label)
    training_score = float(estimator.score(matrix, label))
    print(f"Training {'accuracy' if task == 'classification' else 'R²'}: {training_score:.4f}")

    description: dict[str, object] = {
        "algorithm": args.algorithm,
        "task": task,
        "label_column": label_column,
        "feature_columns": [str(name) for name in matrix.columns],
        "input_columns": [str(name) for name in features.columns],
        "categorical_columns": categorical,
        "estimator": type(estimator).__name__,
        "parameters": {
            "max_iterations": args.max_iterations,
            "n_estimators": args.n_estimators,
            "seed": args.seed,
        },
        "training_rows": len(frame),
        "training_score": training_score,
        "sklearn_version": sklearn.__version__,
    }
    if task == "classification":
        description["classes"] = [c.item() if hasattr(c, "item") else c for c in estimator.classes_]

    args.output.mkdir(parents=True, exist_ok=True)
    with (args.output / "model.pkl").open("wb") as out:
        pickle.dump(estimator, out)
    (args.output / "model.json").write_text(json.dumps(description, indent=2) + "\n")
    print(f"Wrote model.pkl and model.json to {args.output}")


if __name__ == "__main__":
    main()
