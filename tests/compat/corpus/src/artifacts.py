"""Writes the default artifacts Azure ML keeps for every job: ./outputs and ./logs."""

import json
import pathlib

pathlib.Path("outputs").mkdir(exist_ok=True)
pathlib.Path("logs").mkdir(exist_ok=True)
pathlib.Path("outputs/metrics.json").write_text(json.dumps({"accuracy": 0.9}))
pathlib.Path("logs/run.log").write_text("the run wrote this log\n")
print("wrote outputs/metrics.json and logs/run.log")
