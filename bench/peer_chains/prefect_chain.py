"""The step chain as a Prefect flow: N sequential tasks, each running the same subprocess.

Run by bench/peers.py with the Python of bench/.peers/prefect (Prefect and the standard library
only). Prefect runs in its default local mode: with no PREFECT_API_URL it starts a temporary
server of its own (SQLite under PREFECT_HOME) on the first flow run, which the warm-up pays.

    python prefect_chain.py OUT.jsonl --steps 40 -- docker run --rm IMAGE python -c pass

It warms up, appends {"version", "warm_up"} to OUT.jsonl, then times one chain for each line
"run" read on stdin, appending {"run": seconds} after each, until stdin ends (bench/peers.py
interleaves these runs with the floor's and Studio's).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from importlib.metadata import version


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--capture", action="store_true", help="capture the command's output")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()

    from prefect import flow, task

    @task
    def step(index: int) -> None:
        subprocess.run(args.command, check=True, capture_output=args.capture)

    @flow
    def chain(steps: int) -> None:
        for index in range(steps):
            step(index)  # a direct call runs the task and waits for it: sequential

    started = time.perf_counter()
    chain(2)
    emit(args.out, {"version": version("prefect"), "warm_up": time.perf_counter() - started})
    for line in sys.stdin:
        if line.strip() == "run":
            started = time.perf_counter()
            chain(args.steps)
            emit(args.out, {"run": time.perf_counter() - started})
    return 0


def emit(path: str, record: dict) -> None:
    with open(path, "a") as out:
        out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    sys.exit(main())
