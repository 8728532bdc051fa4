"""Reads a model folder (model.json) and writes scores.csv for the data into --output."""

import argparse
import json
import pathlib

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
parser.add_argument("--data", required=True)
parser.add_argument("--output", required=True)
args = parser.parse_args()
model = json.loads((pathlib.Path(args.model) / "model.json").read_text())
data = pathlib.Path(args.data)
files = [data] if data.is_file() else sorted(data.rglob("*.csv"))
out = pathlib.Path(args.output)
out.mkdir(parents=True, exist_ok=True)
lines = ["row,score"]
for position, line in enumerate(line for p in files for line in p.read_text().splitlines()[1:]):
    lines.append(f"{position},{model['learning_rate'] * len(line)}")
(out / "scores.csv").write_text("\n".join(lines) + "\n")
print(f"scored {len(lines) - 1} rows")
