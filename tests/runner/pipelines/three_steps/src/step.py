"""A tiny step: reads an optional input folder, appends a line, writes its output folder."""

import argparse
import pathlib

parser = argparse.ArgumentParser()
parser.add_argument("--name", required=True)
parser.add_argument("--source")
parser.add_argument("--greeting", default="hello")
parser.add_argument("--out", required=True)
args = parser.parse_args()

lines = []
if args.source:
    lines = (pathlib.Path(args.source) / "trail.txt").read_text().splitlines()
lines.append(f"{args.name}: {args.greeting}")
out = pathlib.Path(args.out)
(out / "trail.txt").write_text("\n".join(lines) + "\n")
print(f"{args.name} wrote {len(lines)} lines")
