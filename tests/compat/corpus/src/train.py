"""A stand-in for training: writes an MLflow-style model folder (MLmodel + model.json)."""

import argparse
import json
import pathlib

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--learning_rate", type=float, default=0.1)
parser.add_argument("--model_output", required=True)
args = parser.parse_args()
data = pathlib.Path(args.data)
files = [data] if data.is_file() else sorted(data.rglob("*.csv"))
rows = sum(max(len(p.read_text().splitlines()) - 1, 0) for p in files)
out = pathlib.Path(args.model_output)
out.mkdir(parents=True, exist_ok=True)
(out / "model.json").write_text(json.dumps({"rows": rows, "learning_rate": args.learning_rate}))
(out / "MLmodel").write_text("flavors:\n  python_function:\n    loader_module: corpus_model\n")
print(f"trained on {rows} rows with learning rate {args.learning_rate}")
