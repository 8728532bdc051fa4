"""The step chain as a Dagster job: N ops in a line, each running the same subprocess.

Run by bench/peers.py with the Python of bench/.peers/dagster (Dagster and the standard library
only), on an instance in DAGSTER_HOME (telemetry off in its dagster.yaml). `--executor
multiprocess` is Dagster's default for `execute_job` (each op in a child process that imports
this file again: the job is built at import from BENCH_STEPS and BENCH_COMMAND);
`--executor in_process` is `job.execute_in_process()`.

    BENCH_STEPS=40 BENCH_COMMAND='["python", "-c", "pass"]' \
        python dagster_chain.py OUT.jsonl --executor in_process

It warms up (a 2-op job), appends {"version", "warm_up"} to OUT.jsonl, then times one run of
the chain for each line "run" read on stdin, appending {"run": seconds} after each, until stdin
ends (bench/peers.py interleaves these runs with the floor's and Studio's).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from importlib.metadata import version

from dagster import DagsterInstance, In, Nothing, Out, execute_job, job, op, reconstructable

COMMAND = json.loads(os.environ.get("BENCH_COMMAND", '["true"]'))
CAPTURE = os.environ.get("BENCH_CAPTURE") == "1"
STEPS = int(os.environ.get("BENCH_STEPS", "40"))


@op(ins={"after": In(Nothing)}, out=Out(Nothing))
def step() -> None:
    subprocess.run(COMMAND, check=True, capture_output=CAPTURE)


def _line(steps: int) -> None:
    previous = step.alias("s1")()
    for index in range(2, steps + 1):
        previous = step.alias(f"s{index}")(after=previous)


@job
def chain() -> None:
    _line(STEPS)


@job
def warm() -> None:
    _line(2)


def run(target, executor: str, instance: DagsterInstance) -> float:
    started = time.perf_counter()
    if executor == "in_process":
        result = target.execute_in_process(instance=instance)
    else:
        result = execute_job(reconstructable(target), instance=instance)
    elapsed = time.perf_counter() - started
    if not result.success:
        raise SystemExit(f"dagster run of {target.name} failed")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--executor", choices=["in_process", "multiprocess"], required=True)
    args = parser.parse_args()
    instance = DagsterInstance.get()
    emit(args.out, {"version": version("dagster"), "warm_up": run(warm, args.executor, instance)})
    for line in sys.stdin:
        if line.strip() == "run":
            emit(args.out, {"run": run(chain, args.executor, instance)})
    return 0


def emit(path: str, record: dict) -> None:
    with open(path, "a") as out:
        out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    sys.exit(main())
