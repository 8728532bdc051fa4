"""Turns a CSV file into an MLTable folder (MLTable + the CSV) at --output."""

import argparse
import pathlib
import shutil

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--output", required=True)
args = parser.parse_args()
out = pathlib.Path(args.output)
out.mkdir(parents=True, exist_ok=True)
shutil.copy(args.data, out / "data.csv")
(out / "MLTable").write_text(
    "paths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited:\n"
    "      delimiter: ','\n      encoding: utf8\n      header: all_files_same_headers\n"
)
print(f"wrote an MLTable folder at {out}")
