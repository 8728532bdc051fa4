"""Execute Python Script: run user code defining azureml_main(dataframe1=None) -> DataFrame."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import NoReturn

import pandas as pd

ENTRY_POINT = "azureml_main"
SCRIPT_NAME = "<script>"


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


def user_traceback(error: BaseException) -> str:
    """The traceback of an error in the user's code, without this runner's own frames."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == SCRIPT_NAME]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(error), error)
    return "".join(lines).rstrip()


def load_entry_point(script: str) -> object:
    """Execute the script in a fresh namespace and return its azureml_main function."""
    try:
        code = compile(script, SCRIPT_NAME, "exec")
    except SyntaxError as error:
        source = (error.text or "").rstrip()
        fail(f"the script has a syntax error on line {error.lineno}: {error.msg}\n  {source}")
    namespace: dict[str, object] = {"__name__": "__studio_script__", "__builtins__": __builtins__}
    try:
        exec(code, namespace)  # noqa: S102 - running the user's script is this component's purpose
    except Exception as error:
        fail(f"the script raised an error while loading:\n{user_traceback(error)}")
    entry = namespace.get(ENTRY_POINT)
    if entry is None:
        fail(
            f"the script defines no function {ENTRY_POINT}; define "
            f"'def {ENTRY_POINT}(dataframe1=None):' that returns a pandas DataFrame"
        )
    if not callable(entry):
        fail(f"{ENTRY_POINT} in the script is a {type(entry).__name__}, not a function")
    return entry


def main() -> None:
    """Parse the arguments, run azureml_main and write its DataFrame."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--script", required=True)
    parser.add_argument("--dataset", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()

    dataframe1 = read_dataset(args.dataset) if args.dataset is not None else None
    if dataframe1 is not None:
        print(f"dataframe1: {len(dataframe1)} rows, {dataframe1.shape[1]} columns")
    else:
        print("dataframe1: None (no dataset connected)")
    entry = load_entry_point(args.script)
    print(f"Running {ENTRY_POINT}", flush=True)
    try:
        result = entry(dataframe1)
    except Exception as error:
        fail(f"{ENTRY_POINT} raised an error:\n{user_traceback(error)}")
    if isinstance(result, tuple | list) and result and isinstance(result[0], pd.DataFrame):
        result = result[0]
    if not isinstance(result, pd.DataFrame):
        fail(
            f"{ENTRY_POINT} must return a pandas DataFrame (or a tuple starting with one), "
            f"but it returned {type(result).__name__}"
        )

    args.output.mkdir(parents=True, exist_ok=True)
    result.to_csv(args.output / "data.csv", index=False)
    print(f"Wrote {len(result)} rows and {result.shape[1]} columns to {args.output / 'data.csv'}")


if __name__ == "__main__":
    main()
