"""Split Data: shuffle the rows and split them into two datasets, optionally stratified."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

import pandas as pd
from sklearn.model_selection import train_test_split


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


def main() -> None:
    """Parse the arguments and write the two parts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--fraction", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--stratify-column")
    parser.add_argument("--first", type=Path, required=True)
    parser.add_argument("--second", type=Path, required=True)
    args = parser.parse_args()

    if not 0 < args.fraction < 1:
        fail(f"fraction must be between 0 and 1 (exclusive), got {args.fraction}")
    frame = read_dataset(args.dataset)
    if len(frame) < 2:
        fail(f"the dataset has {len(frame)} row(s); splitting needs at least 2")
    stratify = None
    column = (args.stratify_column or "").strip()
    if column:
        if column not in frame.columns:
            fail(f"column {column!r} not found; columns are: {', '.join(map(str, frame.columns))}")
        if frame[column].isna().any():
            fail(f"stratify column {column!r} has empty cells; clean them first")
        stratify = frame[column]
        print(f"Stratifying by {column!r} ({stratify.nunique()} distinct values)")
    first_rows = round(len(frame) * args.fraction)
    if first_rows == 0 or first_rows == len(frame):
        fail(f"a fraction of {args.fraction} of {len(frame)} rows leaves one output empty")
    try:
        first, second = train_test_split(
            frame, train_size=first_rows, random_state=args.seed, shuffle=True, stratify=stratify
        )
    except ValueError as error:
        fail(f"cannot split: {error}")

    for folder, part in ((args.first, first), (args.second, second)):
        folder.mkdir(parents=True, exist_ok=True)
        part.to_csv(folder / "data.csv", index=False)
    print(f"Split {len(frame)} rows into {len(first)} (first) and {len(second)} (second), seed {args.seed}")


if __name__ == "__main__":
    main()
