"""Studio against Prefect and Dagster on the same N-step chain, measured side by side in one run.

Every tool runs the same chain of N sequential steps, each step the same command: on `local`
`python -c pass` with the interpreter of Studio's local environment, on `docker`
`docker run --rm <Studio's environment image> python -c pass`. The floor is those N commands run
by a plain loop. For each tool: its total and its overhead per step over the floor; then how many
times Studio's overhead is below each peer's (goal: at least 5x below the faster peer).

- Studio: the chain of bench/step_overhead.py (embedded mode, SQLite, in-process broker, worker
  threads in this process), timed from submit to Completed;
- Prefect: a flow of N sequential tasks (bench/peer_chains/prefect_chain.py), its default local
  mode (a temporary server of its own, started by the warm-up), timed around the flow call;
- Dagster: a job of N ops in a line (bench/peer_chains/dagster_chain.py), with its default
  multiprocess executor (`execute_job`, each op in a child process) and in process
  (`execute_in_process`), timed around the call.

Each peer is installed, pinned, into its own virtualenv under bench/.peers/ on first use (pip,
the configured index); the versions go into the results. Peers run warm (a 2-step run first),
as Studio does (its workers started and its environment built before anything is timed).
Telemetry is off (DO_NOT_TRACK, PREFECT_SERVER_ANALYTICS_ENABLED=false, Dagster's
`telemetry.enabled: false`).

    .venv/bin/python bench/peers.py [--steps 40] [--repeat 3] [--computes local,docker]
        [--peers prefect,dagster-in-process,dagster-multiprocess]

Rows go to bench/results/peers.json (bench/report.py); it always exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import report
import step_overhead as chain

BENCH = Path(__file__).resolve().parent
PEERS_HOME = BENCH / ".peers"
DRIVERS = BENCH / "peer_chains"
PINS = {"prefect": "prefect==3.9.1", "dagster": "dagster==1.13.28"}
ALL_PEERS = ["prefect", "dagster-in-process", "dagster-multiprocess"]
GOAL_TIMES_BELOW = 5.0
VERSIONS: dict[str, str] = {}  # peer -> the version its driver reported


# --- peer virtualenvs ------------------------------------------------------------------------------


def peer_python(package: str) -> Path:
    """The Python of bench/.peers/<package>, created and the pinned version installed when missing."""
    venv = PEERS_HOME / package
    python = venv / "bin" / "python"
    pin = PINS[package]
    wanted = pin.split("==")[1]
    if python.exists() and installed_version(python, package) == wanted:
        return python
    PEERS_HOME.mkdir(parents=True, exist_ok=True)
    print(f"installing {pin} into {venv} (once; log in {venv}.install.log)", flush=True)
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
    with open(f"{venv}.install.log", "wb") as log:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", pin],
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return python


def installed_version(python: Path, package: str) -> str | None:
    result = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def peer_env(home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "DAGSTER_", "DJANGO_", "STUDIO_", "VIRTUAL_ENV"))
    }
    env.update(
        DO_NOT_TRACK="1",
        PREFECT_HOME=str(home / "prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_ALLOW_EPHEMERAL_MODE="true",
        # its temporary server must answer within 20 s by default: not always so on a loaded host
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
        DAGSTER_HOME=str(home / "dagster"),
    )
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    (home / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return env


class PeerProcess:
    """One peer's driver process (bench/peer_chains/), warmed up, timing a chain per `run()`."""

    def __init__(self, peer: str, command: list[str], *, steps: int, capture: bool) -> None:
        package = peer.split("-")[0]
        python = peer_python(package)
        self.peer = peer
        self.home = Path(tempfile.mkdtemp(prefix=f"studio-bench-{package}-", dir="/tmp"))
        self.out = self.home / "result.jsonl"
        self.log = self.home / "output.log"
        env = peer_env(self.home)
        env.update(
            BENCH_STEPS=str(steps), BENCH_COMMAND=json.dumps(command), BENCH_CAPTURE="1" if capture else "0"
        )
        if package == "prefect":
            args = [str(DRIVERS / "prefect_chain.py"), str(self.out), "--steps", str(steps)]
            args += (["--capture"] if capture else []) + ["--", *command]
        else:
            executor = "in_process" if peer == "dagster-in-process" else "multiprocess"
            args = [str(DRIVERS / "dagster_chain.py"), str(self.out), "--executor", executor]
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [str(python), *args],
                cwd=self.home,
                env=env,
                stdin=subprocess.PIPE,
                stdout=sink,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.records = 0
        ready = self._next()
        self.version = ready["version"]
        self.warm_up = ready["warm_up"]

    def run(self) -> float:
        self.process.stdin.write("run\n")
        self.process.stdin.flush()
        return self._next()["run"]

    def _next(self, timeout: float = 1800) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.out.read_text().splitlines() if self.out.exists() else []
            if len(lines) > self.records:
                self.records += 1
                return json.loads(lines[self.records - 1])
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-1500:]
                raise RuntimeError(f"{self.peer} exited {self.process.returncode}:\n{tail}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.peer}: no answer within {timeout} s")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)


def start_peer(peer: str, command: list[str], *, steps: int, capture: bool) -> PeerProcess | None:
    """The peer's driver, warmed up; once more when it fails (e.g. a server that started slowly)."""
    for attempt in (1, 2):
        try:
            process = PeerProcess(peer, command, steps=steps, capture=capture)
        except RuntimeError as error:
            print(f"{peer} failed to start (attempt {attempt}/2): {error}", flush=True)
            continue
        VERSIONS[peer] = process.version
        print(f"{peer} {process.version}: warm-up {process.warm_up:.1f} s", flush=True)
        return process
    return None


# --- the floor -------------------------------------------------------------------------------------


def time_floor(command: list[str], steps: int, *, capture: bool) -> float:
    started = time.perf_counter()
    for _ in range(steps):
        subprocess.run(command, check=True, capture_output=capture)
    return time.perf_counter() - started


# --- main ------------------------------------------------------------------------------------------


def measure(compute: str, command: list[str], spec, args, peers: list[str]) -> dict[str, list[float]]:
    """`repeat` rounds of: the floor, Studio, each peer (warmed up before the first round), one
    right after the other; dagster-multiprocess (minutes a run) after the rounds."""
    capture = compute == "docker"
    totals: dict[str, list[float]] = {name: [] for name in ["floor", "studio", *peers]}
    rounds = [peer for peer in peers if peer != "dagster-multiprocess"]
    processes = {peer: start_peer(peer, command, steps=args.steps, capture=capture) for peer in rounds}
    try:
        for attempt in range(1, args.repeat + 1):
            totals["floor"].append(time_floor(command, args.steps, capture=capture))
            totals["studio"].append(chain.run_job(spec).wall)
            for peer, process in processes.items():
                if process is not None:
                    totals[peer].append(process.run())
            done = ", ".join(f"{key} {values[-1]:.2f}" for key, values in totals.items() if values)
            print(f"{compute} round {attempt}/{args.repeat}: {done} s", flush=True)
    finally:
        for process in processes.values():
            if process is not None:
                process.close()
    if "dagster-multiprocess" in peers:
        process = start_peer("dagster-multiprocess", command, steps=args.steps, capture=capture)
        if process is not None:
            try:
                for _ in range(args.multiprocess_repeat):
                    totals["dagster-multiprocess"].append(process.run())
                    totals["floor"].append(time_floor(command, args.steps, capture=capture))
                print(f"{compute} dagster-multiprocess: {totals['dagster-multiprocess']} s", flush=True)
            finally:
                process.close()
    return totals


def add_rows(out: report.Report, compute: str, totals: dict[str, list[float]], steps: int) -> None:
    floor = statistics.median(totals["floor"])
    out.row(
        f"{compute}: floor, {steps} commands in a loop",
        floor,
        "s",
        note=f"{len(totals['floor'])} runs, median",
    )
    overheads: dict[str, float] = {}
    for tool, values in totals.items():
        if tool == "floor":
            continue
        if not values:
            out.row(f"{compute}: {tool} total", None, "s", note="failed: see the output")
            continue
        total = statistics.median(values)
        overheads[tool] = (total - floor) / steps * 1000
        label = f"{tool} {VERSIONS[tool]}" if tool in VERSIONS else tool
        out.row(
            f"{compute}: {label} total",
            total,
            "s",
            note=f"{len(values)} run(s), median; min {min(values):.2f}",
        )
        out.row(
            f"{compute}: {tool} overhead", overheads[tool], "ms/step", note=f"{total / floor:.2f}x the floor"
        )
    studio = overheads.get("studio")
    peers = {tool: value for tool, value in overheads.items() if tool != "studio"}
    if studio is None or not peers:
        return
    for tool, value in peers.items():
        out.row(f"{compute}: {tool} overhead / Studio's", _times(value, studio), "x")
    fastest = min(peers, key=peers.get)
    times = _times(peers[fastest], studio)
    note = f"faster peer: {fastest} ({peers[fastest]:+.1f} vs Studio {studio:+.1f} ms/step)"
    if studio <= 0 and peers[fastest] <= 0:
        met = None  # both within the floor's noise: no verdict from this run
        note += "; both at or under the floor (noise)"
    elif studio <= 0:
        met = True
        note += "; Studio at or under the floor (noise)"
    else:
        met = times is not None and times >= GOAL_TIMES_BELOW
    out.row(
        f"{compute}: faster peer's overhead / Studio's",
        times,
        "x",
        goal=f">= {GOAL_TIMES_BELOW:.0f}x",
        met=met,
        note=note,
    )
    fastest_total = statistics.median(totals[fastest])
    out.row(
        f"{compute}: Studio's total / the faster peer's",
        statistics.median(totals["studio"]) / fastest_total,
        "x",
        note=f"{fastest}, side by side in the same rounds",
    )


def _times(peer: float, studio: float) -> float | None:
    """How many times Studio's overhead is below the peer's (None when Studio's is not above 0)."""
    return peer / studio if studio > 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per tool (default 3)")
    parser.add_argument("--multiprocess-repeat", type=int, default=1, help="runs of dagster-multiprocess (1)")
    parser.add_argument("--computes", default="local,docker")
    parser.add_argument("--peers", default=",".join(ALL_PEERS), help=f"default {','.join(ALL_PEERS)}")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    computes = [name.strip() for name in args.computes.split(",") if name.strip()]
    peers = [name.strip() for name in args.peers.split(",") if name.strip()]
    unknown = sorted(set(peers) - set(ALL_PEERS))
    if unknown:
        parser.error(f"--peers: unknown {', '.join(unknown)} (known: {', '.join(ALL_PEERS)})")

    out = report.Report("peers")
    out.meta("steps", args.steps)
    out.meta("pins", PINS)
    for package in sorted({peer.split("-")[0] for peer in peers}):
        peer_python(package)  # install before anything is timed
    home = Path(tempfile.mkdtemp(prefix="studio-bench-", dir="/tmp"))
    home.chmod(0o755)  # steps run as uid 1000 when this runs as root
    workers = None
    try:
        chain.setup_django(home, verbose=args.verbose)
        if "docker" in computes and not chain.docker_answers():
            print("no Docker engine answers: measuring local only")
            out.meta("skipped", "docker: no engine answers")
            computes = [name for name in computes if name != "docker"]
        chain.create_computes(computes)
        from runner.worker import start_workers

        workers = start_workers()
        images = {}
        for compute in computes:
            images[compute] = chain.run_job(chain.compile_chain(home / "bench", 2, compute)).image
        for compute in computes:
            if compute == "local":
                command = [str(Path(images["local"]) / "bin" / "python"), "-c", "pass"]
            else:
                command = [
                    shutil.which("docker") or "docker",
                    "run",
                    "--rm",
                    images["docker"],
                    "python",
                    "-c",
                    "pass",
                ]
                time_floor(command, 2, capture=True)  # warm the engine
            spec = chain.compile_chain(home / "bench", args.steps, compute)
            totals = measure(compute, command, spec, args, peers)
            add_rows(out, compute, totals, args.steps)
        out.meta("versions", VERSIONS)
    finally:
        if workers is not None:
            workers.stop(timeout=10_000)
        shutil.rmtree(home, ignore_errors=True)
    out.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
