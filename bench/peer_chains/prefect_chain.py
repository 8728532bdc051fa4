"""The step chain as a Prefect flow: N sequential tasks, each running the same subprocess.

Run by bench/peers.py with the Python of bench/.peers/prefect (Prefect and the standard library
only). Prefect runs in its default local mode: with no PREFECT_API_URL it starts a temporary
server of its own (SQLite under PREFECT_HOME) on the first flow run, which the warm-up pays.

    python prefect_chain.py OUT.json --steps 40 --repeat 3 -- docker run --rm IMAGE python -c pass
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
    parser.add_argument("--repeat", type=int, default=1)
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
    warm = time.perf_counter() - started
    runs = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        chain(args.steps)
        runs.append(time.perf_counter() - started)
    result = {"tool": "prefect", "version": version("prefect"), "warm_up": warm, "runs": runs}
    with open(args.out, "w") as out:
        json.dump(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
