"""Evaluate Model: metrics, a plot and the per-row scores for a dataset scored by Score Model.

scores.csv keeps, per row, the true `label`, the `scored_label` and, for classifiers, each
`scored_probability_<class>`: the job page draws ROC and precision-recall curves with a threshold,
or the residuals of a regression, from it. Past MAX_SCORE_ROWS rows it holds a seeded sample.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import NoReturn

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from pandas.api.types import is_bool_dtype, is_numeric_dtype  # noqa: E402
from sklearn import metrics  # noqa: E402

SCORED_LABEL = "scored_label"
PROBABILITY_PREFIX = "scored_probability_"
SCORES_FILE = "scores.csv"
MAX_SCORE_ROWS = 20_000


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


def plain(value: object) -> object:
    """A JSON-friendly version of a NumPy scalar (NaN becomes None)."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def classification(truth: pd.Series, predicted: pd.Series, output: Path) -> dict[str, object]:
    """Accuracy, macro precision/recall/F1, the confusion matrix and its picture."""
    if not (is_number_column(truth) and is_number_column(predicted)):
        truth, predicted = truth.astype(str), predicted.astype(str)
    labels = sorted(set(truth) | set(predicted), key=str)
    matrix = metrics.confusion_matrix(truth, predicted, labels=labels)
    result: dict[str, object] = {
        "task": "classification",
        "rows": len(truth),
        "accuracy": metrics.accuracy_score(truth, predicted),
        "precision_macro": metrics.precision_score(truth, predicted, average="macro", zero_division=0),
        "recall_macro": metrics.recall_score(truth, predicted, average="macro", zero_division=0),
        "f1_macro": metrics.f1_score(truth, predicted, average="macro", zero_division=0),
        "confusion_matrix": {"labels": [plain(label) for label in labels], "matrix": matrix.tolist()},
    }
    size = max(4.0, 1.0 + 0.8 * len(labels))
    figure, axes = plt.subplots(figsize=(size + 1, size))
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes)
    axes.set_xticks(range(len(labels)), [str(label) for label in labels], rotation=45, ha="right")
    axes.set_yticks(range(len(labels)), [str(label) for label in labels])
    axes.set_xlabel("Predicted label")
    axes.set_ylabel("True label")
    axes.set_title(f"Confusion matrix (accuracy {result['accuracy']:.3f})")
    threshold = matrix.max() / 2 if matrix.size else 0
    for row in range(matrix.shape[0]):
        for column in range(matrix.shape[1]):
            colour = "white" if matrix[row, column] > threshold else "black"
            axes.text(column, row, str(matrix[row, column]), ha="center", va="center", color=colour)
    figure.tight_layout()
    figure.savefig(output / "confusion_matrix.png", dpi=100)
    plt.close(figure)
    return result


def regression(truth: pd.Series, predicted: pd.Series, output: Path) -> dict[str, object]:
    """MAE, RMSE, R² and a residual plot."""
    if not (is_number_column(truth) and is_number_column(predicted)):
        fail("regression metrics need numeric label and scored_label columns")
    truth, predicted = truth.astype(float), predicted.astype(float)
    residuals = truth - predicted
    result: dict[str, object] = {
        "task": "regression",
        "rows": len(truth),
        "mae": metrics.mean_absolute_error(truth, predicted),
        "rmse": math.sqrt(metrics.mean_squared_error(truth, predicted)),
        "r2": metrics.r2_score(truth, predicted) if len(truth) > 1 else float("nan"),
    }
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
    left.scatter(truth, predicted, s=12, alpha=0.7)
    low, high = (
        float(np.nanmin([truth.min(), predicted.min()])),
        float(np.nanmax([truth.max(), predicted.max()])),
    )
    left.plot([low, high], [low, high], color="grey", linestyle="--", linewidth=1)
    left.set_xlabel("True value")
    left.set_ylabel("Predicted value")
    left.set_title(f"Predicted vs true (R² {result['r2']:.3f})")
    right.scatter(predicted, residuals, s=12, alpha=0.7)
    right.axhline(0, color="grey", linestyle="--", linewidth=1)
    right.set_xlabel("Predicted value")
    right.set_ylabel("Residual (true − predicted)")
    right.set_title(f"Residuals (RMSE {result['rmse']:.3f})")
    figure.tight_layout()
    figure.savefig(output / "residuals.png", dpi=100)
    plt.close(figure)
    return result


def write_scores(frame: pd.DataFrame, usable: pd.DataFrame, label: str, output: Path) -> dict[str, object]:
    """The rows behind the metrics (a seeded sample past MAX_SCORE_ROWS) as scores.csv."""
    probabilities = [name for name in frame.columns if str(name).startswith(PROBABILITY_PREFIX)]
    scores = pd.concat(
        [usable.rename(columns={label: "label"}), frame.loc[usable.index, probabilities]], axis=1
    )
    if len(scores) > MAX_SCORE_ROWS:
        scores = scores.sample(n=MAX_SCORE_ROWS, random_state=0).sort_index()
    scores.to_csv(output / SCORES_FILE, index=False)
    return {"file": SCORES_FILE, "rows": len(scores), "sampled_from": len(usable)}


def main() -> None:
    """Parse the arguments, compute the metrics and write metrics.json and the plot."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scored-dataset", type=Path, required=True)
    parser.add_argument("--label-column", required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()

    frame = read_dataset(args.scored_dataset)
    label = args.label_column.strip()
    for name in (label, SCORED_LABEL):
        if name not in frame.columns:
            hint = "; connect the output of Score Model" if name == SCORED_LABEL else ""
            fail(f"column {name!r} not found; columns are: {', '.join(map(str, frame.columns))}{hint}")
    usable = frame[[label, SCORED_LABEL]].dropna()
    if len(usable) < len(frame):
        print(f"Note: ignoring {len(frame) - len(usable)} row(s) with an empty label or score")
    if usable.empty:
        fail("no rows with both a label and a score to evaluate")
    has_probabilities = any(str(name).startswith(PROBABILITY_PREFIX) for name in frame.columns)
    is_classification = has_probabilities or not is_number_column(usable[label])
    print(f"Evaluating {len(usable)} rows as {'classification' if is_classification else 'regression'}")

    args.output.mkdir(parents=True, exist_ok=True)
    evaluate = classification if is_classification else regression
    result = evaluate(usable[label], usable[SCORED_LABEL], args.output)
    result = {key: plain(value) for key, value in result.items()}
    result["label_column"] = label
    result["scores"] = write_scores(frame, usable, label, args.output)
    (args.output / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        if isinstance(value, float):
            print(f"{key}: {value:.4f}")
    print(f"Wrote metrics.json, {SCORES_FILE} and the plot to {args.output}")


if __name__ == "__main__":
    main()
