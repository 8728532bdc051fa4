"""Reports metrics both ways: `##studio[metric …]` lines and metrics.json files."""

import argparse
import json
import pathlib

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, required=True)
parser.add_argument("--model", required=True)
args = parser.parse_args()

for epoch in range(1, args.epochs + 1):
    print(f"epoch {epoch}")
    print(f"##studio[metric loss={1 / epoch:.4f} step={epoch}]", flush=True)
print("##studio[metric loss=nan]")  # refused: not a finite number
pathlib.Path("outputs").mkdir(exist_ok=True)
(pathlib.Path("outputs") / "metrics.json").write_text(json.dumps({"accuracy": 0.97}))
(pathlib.Path(args.model) / "metrics.json").write_text(json.dumps({"auc": [0.8, 0.9]}))
