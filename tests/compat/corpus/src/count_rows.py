"""Counts the data rows of a CSV file, of the CSV files of a folder, or of an MLTable folder.

With --output the count is written to that path: a file (uri_file) or, when it is a folder
(uri_folder), to count.txt inside it.
"""

import argparse
import pathlib

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--output")
parser.add_argument("--label", default="rows")
args = parser.parse_args()
data = pathlib.Path(args.data)
files = [data] if data.is_file() else sorted(data.rglob("*.csv"))
if not files:
    raise SystemExit(f"no CSV file in {data}")
rows = sum(max(len(p.read_text().splitlines()) - 1, 0) for p in files)
print(f"{rows} {args.label} in {len(files)} file(s)")
if args.output:
    out = pathlib.Path(args.output)
    if out.is_dir():
        out = out / "count.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"{rows}\n")
