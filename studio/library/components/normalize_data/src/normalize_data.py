"""Normalize Data: z-score or min-max scaling of numeric columns, with re-usable parameters."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import NoReturn

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

FORMULA = "(x - shift) / scale"


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


def parse_columns(text: str | None) -> list[str]:
    """Comma-separated column names, stripped of spaces; empty entries are ignored."""
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def check_columns(frame: pd.DataFrame, names: list[str]) -> None:
    """Fail naming the first column the table does not have."""
    for name in names:
        if name not in frame.columns:
            fail(f"column {name!r} not found; columns are: {', '.join(map(str, frame.columns))}")


def is_number_column(series: pd.Series) -> bool:
    """Whether a column holds numbers (booleans do not count)."""
    return is_numeric_dtype(series) and not is_bool_dtype(series)


def fit(frame: pd.DataFrame, columns: list[str], method: str) -> dict[str, dict[str, float]]:
    """Each column's shift and scale; a constant column gets scale 1 so it does not divide by 0."""
    params: dict[str, dict[str, float]] = {}
    for name in columns:
        series = frame[name].astype(float)
        if method == "zscore":
            shift, scale = series.mean(), series.std(ddof=0)
        else:
            shift, scale = series.min(), series.max() - series.min()
        if pd.isna(shift):
            fail(f"column {name!r} has no values to compute the {method} parameters from")
        if pd.isna(scale) or math.isclose(scale, 0.0, abs_tol=1e-12):
            print(f"Column {name!r} is constant: only shifted")
            scale = 1.0
        params[name] = {"shift": float(shift), "scale": float(scale)}
    return params


def main() -> None:
    """Parse the arguments, fit (or load) the transform and apply it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--method", choices=["zscore", "minmax"], default="zscore")
    parser.add_argument("--columns")
    parser.add_argument("--exclude-columns")
    parser.add_argument("--saved-transform", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--transform", type=Path, required=True)
    args = parser.parse_args()

    frame = read_dataset(args.dataset)
    excluded = parse_columns(args.exclude_columns)
    check_columns(frame, excluded)

    if args.saved_transform is not None:
        params_file = args.saved_transform / "params.json"
        if not params_file.is_file():
            fail(f"saved_transform {args.saved_transform} holds no params.json")
        saved = json.loads(params_file.read_text())
        method, params = saved["method"], saved["columns"]
        params = {name: value for name, value in params.items() if name not in excluded}
        check_columns(frame, list(params))
        print(f"Applying the saved {method} transform to {len(params)} column(s); method and columns ignored")
    else:
        method = args.method
        requested = parse_columns(args.columns)
        if requested:
            check_columns(frame, requested)
            columns = [name for name in requested if name not in excluded]
            text_columns = [name for name in columns if not is_number_column(frame[name])]
            if text_columns:
                fail(f"only numeric columns can be normalized; not numeric: {', '.join(text_columns)}")
        else:
            columns = [
                str(name) for name in frame.columns if is_number_column(frame[name]) and name not in excluded
            ]
        if not columns:
            fail("no numeric columns to normalize")
        params = fit(frame, columns, method)
        print(f"Fitted {method} on {len(columns)} column(s): {', '.join(columns)}")

    result = frame.copy()
    for name, value in params.items():
        if not is_number_column(frame[name]):
            fail(f"column {name!r} is not numeric")
        result[name] = (frame[name].astype(float) - value["shift"]) / value["scale"]

    args.output.mkdir(parents=True, exist_ok=True)
    args.transform.mkdir(parents=True, exist_ok=True)
    result.to_csv(args.output / "data.csv", index=False)
    transform = {"method": method, "formula": FORMULA, "columns": params}
    (args.transform / "params.json").write_text(json.dumps(transform, indent=2) + "\n")
    print(f"Wrote {len(result)} rows to {args.output / 'data.csv'} and params.json to {args.transform}")


if __name__ == "__main__":
    main()
