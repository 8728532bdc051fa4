"""Select Columns in Dataset: keep (include) or drop (exclude) the listed columns."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

import pandas as pd


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


def main() -> None:
    """Parse the arguments and write the selected columns."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--columns", required=True)
    parser.add_argument("--mode", choices=["include", "exclude"], default="include")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()

    frame = read_dataset(args.dataset)
    names = parse_columns(args.columns)
    if not names:
        fail("no column names given; list them separated by commas")
    check_columns(frame, names)
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        fail(f"columns listed more than once: {', '.join(duplicates)}")

    if args.mode == "include":
        result = frame[names]
    else:
        result = frame.drop(columns=names)
        if result.shape[1] == 0:
            fail("excluding these columns would leave no columns")

    args.output.mkdir(parents=True, exist_ok=True)
    result.to_csv(args.output / "data.csv", index=False)
    print(f"{args.mode}: kept {result.shape[1]} of {frame.shape[1]} columns: {', '.join(result.columns)}")
    print(f"Wrote {len(result)} rows to {args.output / 'data.csv'}")


if __name__ == "__main__":
    main()
