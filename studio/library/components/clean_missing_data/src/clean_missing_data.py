"""Clean Missing Data: remove rows with empty cells, or fill them by mean, median, mode or a constant."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

STRATEGIES = ["remove_row", "mean", "median", "mode", "constant"]


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


def parse_columns(text: str) -> list[str]:
    """Comma-separated column names, stripped of spaces; empty entries are ignored."""
    return [name.strip() for name in text.split(",") if name.strip()]


def check_columns(frame: pd.DataFrame, names: list[str]) -> None:
    """Fail naming the first column the table does not have."""
    for name in names:
        if name not in frame.columns:
            fail(f"column {name!r} not found; columns are: {', '.join(map(str, frame.columns))}")


def is_number_column(series: pd.Series) -> bool:
    """Whether a column holds numbers (booleans do not count)."""
    return is_numeric_dtype(series) and not is_bool_dtype(series)


def plain(value: object) -> object:
    """A JSON-friendly version of a pandas/NumPy scalar."""
    return value.item() if hasattr(value, "item") else value


def fill_value(series: pd.Series, strategy: str, constant: str | None) -> object | None:
    """The value to fill a column's empty cells with, or None to leave the column alone."""
    name = series.name
    if strategy in {"mean", "median"}:
        value = series.mean() if strategy == "mean" else series.median()
        return None if pd.isna(value) else value
    if strategy == "mode":
        modes = series.mode(dropna=True)
        return None if modes.empty else modes.iloc[0]
    # constant
    if is_number_column(series):
        try:
            return float(constant)
        except ValueError:
            fail(f"column {name!r} is numeric, but the constant {constant!r} is not a number")
    return constant


def main() -> None:
    """Parse the arguments, clean the table and write it with its report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--columns")
    parser.add_argument("--strategy", choices=STRATEGIES, default="remove_row")
    parser.add_argument("--constant")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args()

    frame = read_dataset(args.dataset)
    explicit = args.columns is not None and bool(parse_columns(args.columns))
    columns = parse_columns(args.columns) if explicit else [str(name) for name in frame.columns]
    check_columns(frame, columns)
    if args.strategy == "constant" and args.constant is None:
        fail("strategy 'constant' needs the constant input")
    if args.strategy in {"mean", "median"} and explicit:
        text_columns = [name for name in columns if not is_number_column(frame[name])]
        if text_columns:
            fail(f"strategy {args.strategy!r} needs numeric columns; not numeric: {', '.join(text_columns)}")

    missing = {name: int(frame[name].isna().sum()) for name in columns}
    print(f"Missing values in {len(columns)} column(s): {sum(missing.values())}", flush=True)
    report: dict[str, object] = {
        "strategy": args.strategy,
        "columns": columns,
        "rows_before": len(frame),
        "missing_by_column": missing,
    }

    if args.strategy == "remove_row":
        has_missing = frame[columns].isna().any(axis=1)
        result = frame.loc[~has_missing].copy()
        for name in columns:
            # A column of whole numbers reads as float only because of its empty cells.
            values = result[name]
            if missing[name] and pd.api.types.is_float_dtype(values) and (values % 1 == 0).all():
                result[name] = values.astype("int64")
        report["rows_removed"] = int(has_missing.sum())
        report["values_removed"] = int(frame.loc[has_missing, columns].isna().sum().sum())
        report["values_replaced"] = 0
        print(f"Removed {report['rows_removed']} row(s) with empty cells")
    else:
        result = frame.copy()
        replaced: dict[str, int] = {}
        values: dict[str, object] = {}
        skipped: list[str] = []
        for name in columns:
            if missing[name] == 0:
                continue
            if args.strategy in {"mean", "median"} and not is_number_column(frame[name]):
                skipped.append(name)
                print(f"Column {name!r} is not numeric: left as is by {args.strategy}")
                continue
            value = fill_value(frame[name], args.strategy, args.constant)
            if value is None:
                skipped.append(name)
                print(f"Column {name!r} has no values to compute a {args.strategy} from: left as is")
                continue
            if is_number_column(frame[name]) and not pd.api.types.is_float_dtype(frame[name]):
                result[name] = result[name].astype(float)
            result[name] = result[name].fillna(value)
            replaced[name] = missing[name]
            values[name] = plain(value)
            print(f"Column {name!r}: filled {missing[name]} empty cell(s) with {plain(value)!r}")
        report["rows_removed"] = 0
        report["values_removed"] = 0
        report["values_replaced"] = sum(replaced.values())
        report["replaced_by_column"] = replaced
        report["replacement_values"] = values
        report["columns_left_as_is"] = skipped
    report["rows_after"] = len(result)
    report["missing_after"] = int(result[columns].isna().sum().sum())

    args.output.mkdir(parents=True, exist_ok=True)
    args.report.mkdir(parents=True, exist_ok=True)
    result.to_csv(args.output / "data.csv", index=False)
    (args.report / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"Wrote {len(result)} rows to {args.output / 'data.csv'} and the report to {args.report}")


if __name__ == "__main__":
    main()
