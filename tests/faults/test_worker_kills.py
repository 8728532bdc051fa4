"""Issue #16: `studio worker` killed with SIGKILL at random moments of a 5-step job.

Each trial submits a job of five chained steps that goes through every phase a worker can die in:
its environment image is built (a Dockerfile of its own per trial), its input data staged, each
step's container runs, and each step's output is collected and registered as a data asset (no
version given: a second registration would make a version 2). The worker is killed at a random
moment of it, a fresh one started at once; its reconciler must bring the job to Completed with

- every step run at most twice (`attempt` <= 2),
- every output committed once (one asset version per output, one Completed event per step, and
  the last output's trail naming each step once),
- no container labelled with the job left once heartbeat timeout + 30 s have passed after the kill.

LANES Studios run at the same time (each its own database, home and Redis database), TRIALS
trials one after another in each: LANES x TRIALS kills in all.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.engines import OwnDockerd
from tests.integration.production import STUDIO_BIN, Studio, docker_client, manage, production_studio
from tests.servers import REPO_ROOT, free_port

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.postgres]

# Fewer for a quick look while working on it (the issue asks for 4 x 5 = 20).
LANES = int(os.environ.get("STUDIO_FAULTS_KILL_LANES", "4"))
TRIALS = int(os.environ.get("STUDIO_FAULTS_KILL_TRIALS", "5"))
STEPS = [f"s{i}" for i in range(1, 6)]
HEARTBEAT_TIMEOUT = 4
RECONCILE_SECONDS = 1
# Kills fall uniformly in this window after the job's first claim (it then takes ~12 s unharmed).
KILL_WINDOW = (0.0, 11.0)
JOB_TIMEOUT = 150
CONTAINER_GRACE = HEARTBEAT_TIMEOUT + 30
BASE_IMAGE = "studio/python:3.11-bookworm"
TERMINAL = ("Completed", "Failed", "Canceled")


def write_pipeline(folder: Path, token: str) -> tuple[Path, dict[str, str]]:
    """A 5-step chain with an environment of its own and registered outputs; (pipeline, assets)."""
    (folder / "env").mkdir(parents=True)
    (folder / "env" / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\nRUN echo {token} > /tmp/trial-token && sleep 1\n"
    )
    (folder / "data").mkdir()
    for i in range(20):
        (folder / "data" / f"part-{i}.csv").write_text(f"{token},{i}\n" * 200)
    (folder / "step.yml").write_text(
        "type: command\nname: kill_trial_step\nis_deterministic: false\n"
        "inputs:\n  source: {type: uri_folder}\n"
        "outputs:\n  result: {type: uri_folder}\n"
        "environment:\n  build: {path: ./env}\n"
        "command: >-\n"
        "  sleep 1 && cp -r ${{inputs.source}}/. ${{outputs.result}}/ && chmod -R u+w ${{outputs.result}}"
        " && echo $STUDIO_STEP >> ${{outputs.result}}/trail.txt\n"
    )
    assets = {step: f"kill_{token}_{step}" for step in STEPS}
    jobs = []
    for i, step in enumerate(STEPS):
        source = (
            "${{parent.inputs.data}}" if i == 0 else f"${{{{parent.jobs.{STEPS[i - 1]}.outputs.result}}}}"
        )
        jobs.append(
            f"  {step}:\n    type: command\n    component: ./step.yml\n"
            f"    inputs: {{source: '{source}'}}\n"
            f"    outputs:\n      result: {{type: uri_folder, name: {assets[step]}}}\n"
        )
    (folder / "pipeline.yml").write_text(
        "type: pipeline\nexperiment_name: worker-kills\n"
        "settings: {default_compute: azureml:docker, force_rerun: true}\n"
        "inputs:\n  data: {type: uri_folder, path: ./data}\n"
        "jobs:\n" + "".join(jobs)
    )
    return folder / "pipeline.yml", assets


@dataclass
class Trial:
    lane: int
    number: int
    job: str = ""
    assets: dict[str, str] = field(default_factory=dict)
    kill_after: float = 0.0
    killed_at: float = 0.0  # time.monotonic()
    phase: str = ""  # what the steps were doing just before the kill
    seconds: float = 0.0
    final_job: dict = field(default_factory=dict)
    steps: dict[str, dict] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    completed_events: dict[str, int] = field(default_factory=dict)
    trail: str = ""
    containers_left: list[str] = field(default_factory=list)
    error: str = ""

    def describe(self) -> str:
        lines = [
            f"lane {self.lane} trial {self.number}: job {self.job} killed {self.kill_after:.1f} s in "
            f"({self.phase}); {self.final_job}; {self.error}"
        ]
        lines += [
            f"  {name}: {row['status']} attempt {row['attempt']} {row['status_reason'][:200]!r}"
            for name, row in self.steps.items()
        ]
        lines.append(f"  versions {self.versions} completed events {self.completed_events}")
        lines.append(f"  trail {self.trail!r} containers left {self.containers_left}")
        return "\n".join(lines)


def _phase(studio: Studio, job: str) -> str:
    steps = studio.steps(job)
    active = [f"{n}:{s['status']}" for n, s in steps.items() if s["status"] in ("Preparing", "Running")]
    done = sum(s["status"] == "Completed" for s in steps.values())
    return f"{done} done, " + (", ".join(active) or "none active")


def _record(studio: Studio, trial: Trial) -> None:
    trial.final_job = studio.job(trial.job)
    trial.steps = studio.steps(trial.job)
    with studio.db() as connection:
        for step, asset in trial.assets.items():
            trial.versions[step] = connection.execute(
                "SELECT count(*) FROM studio_dataasset WHERE name = %s", (asset,)
            ).fetchone()[0]
        rows = connection.execute(
            "SELECT e.step, count(*) FROM runner_jobevent e JOIN runner_pipelinejob j ON j.id = e.job_id"
            " WHERE j.name = %s AND e.kind = 'step' AND e.payload->>'status' = 'Completed' GROUP BY e.step",
            (trial.job,),
        ).fetchall()
    trial.completed_events = dict(rows)
    trail = studio.home / "artifacts" / "jobs" / trial.job / STEPS[-1] / "result" / "trail.txt"
    trial.trail = trail.read_text() if trail.exists() else ""


def run_lane(studio: Studio, lane: int, folder: Path, rng: random.Random) -> list[Trial]:
    """TRIALS trials one after another; the worker started after a kill runs the next trial."""
    trials: list[Trial] = []
    workers = [studio.start_worker(folder / "worker-0.log", threads=2)]
    try:
        for number in range(1, TRIALS + 1):
            trial = Trial(lane, number)
            trials.append(trial)
            pipeline, trial.assets = write_pipeline(folder / f"trial-{number}", uuid.uuid4().hex[:10])
            trial.job = studio.submit(pipeline)
            started = time.monotonic()
            # The kill's moment counts from the job's first claim (its environment build starts):
            # before it, a kill only finds the job waiting in the queue.
            deadline = time.monotonic() + JOB_TIMEOUT
            while studio.steps(trial.job)[STEPS[0]]["status"] in ("NotStarted", "Queued"):
                assert time.monotonic() < deadline, f"{trial.job} never started"
                time.sleep(0.1)
            claimed = time.monotonic()
            trial.kill_after = rng.uniform(*KILL_WINDOW)
            time.sleep(max(0.0, claimed + trial.kill_after - time.monotonic()))
            trial.phase = _phase(studio, trial.job)
            workers[-1].kill()
            trial.killed_at = time.monotonic()
            workers.append(studio.start_worker(folder / f"worker-{number}.log", threads=2))
            while studio.job(trial.job)["status"] not in TERMINAL and time.monotonic() < deadline:
                time.sleep(0.5)
            trial.seconds = time.monotonic() - started
            _record(studio, trial)
    except Exception as error:  # recorded: the assertions name it with the lane's trials
        if trials:
            trials[-1].error = f"{type(error).__name__}: {error}"
    finally:
        for worker in workers:
            worker.stop()
    return trials


@dataclass
class Restart:
    """A restart of the web process or of the Docker engine in the middle of a job."""

    name: str
    job: str = ""
    phase: str = ""
    seconds: float = 0.0
    final_job: dict = field(default_factory=dict)
    steps: dict[str, dict] = field(default_factory=dict)
    terminal_events: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""

    def note(self, text: str) -> None:
        self.notes.append(f"{time.strftime('%X')} {text}")

    def describe(self) -> str:
        lines = [f"{self.name}: job {self.job} ({self.phase}); {self.final_job}; {self.error}", *self.notes]
        lines += [
            f"  {name}: {row['status']} attempt {row['attempt']} {row['status_reason'][:300]!r}"
            for name, row in self.steps.items()
        ]
        lines.append(f"  terminal job events {self.terminal_events}")
        return "\n".join(lines)


def _serve(studio: Studio, port: int, output: Path) -> subprocess.Popen:
    with output.open("ab") as sink:
        process = subprocess.Popen(
            [str(STUDIO_BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env=studio.env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, output.read_text(errors="replace")[-3000:]
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"studio serve did not answer:\n{output.read_text(errors='replace')[-3000:]}")


def _kill_group(process: subprocess.Popen, signum: int = signal.SIGKILL) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass
    process.wait(timeout=60)


def restart_web(studio: Studio, folder: Path, rng: random.Random) -> Restart:
    """`studio serve` killed with SIGKILL mid-job and started again: the job completes, and the
    API (what a browser or the CLI follows) tells so, with one terminal event."""
    scenario = Restart("web restart")
    user = "faults-" + uuid.uuid4().hex[:6]
    token = (
        manage(
            studio.env,
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model\n"
            "from studio.models import ApiToken\n"
            f"user = get_user_model().objects.create_user({user!r}, password=None)\n"
            "_, raw = ApiToken.issue(user, 'faults')\n"
            "print('TOKEN', raw)",
        )
        .split("TOKEN ")[-1]
        .strip()
    )
    port = free_port()
    log = folder / "serve.log"
    server = _serve(studio, port, log)
    worker = studio.start_worker(folder / "worker.log", threads=2)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    base = f"http://127.0.0.1:{port}/api/v1/jobs"
    try:
        pipeline, _ = write_pipeline(folder / "job", uuid.uuid4().hex[:10])
        scenario.job = studio.submit(pipeline)
        started = time.monotonic()
        time.sleep(rng.uniform(2.0, 9.0))
        scenario.phase = _phase(studio, scenario.job)
        _kill_group(server)
        scenario.note(f"killed studio serve ({scenario.phase})")
        server = _serve(studio, port, log)
        scenario.note("studio serve answers again")
        deadline = time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < deadline:
            job = session.get(f"{base}/{scenario.job}/", timeout=30).json()
            if job["status"] in TERMINAL:
                break
            time.sleep(0.5)
        scenario.seconds = time.monotonic() - started
        scenario.final_job = {k: job[k] for k in ("status", "status_reason")}
        events = session.get(f"{base}/{scenario.job}/events/", timeout=30).json()["events"]
        scenario.terminal_events = [
            e["status"] for e in events if e["type"] == "job" and e.get("status") in TERMINAL
        ]
        scenario.steps = studio.steps(scenario.job)
    except Exception as error:
        scenario.error = f"{type(error).__name__}: {error}"
    finally:
        worker.stop()
        _kill_group(server, signal.SIGTERM)
    return scenario


def restart_engine(studio: Studio, engine: OwnDockerd, folder: Path, rng: random.Random) -> Restart:
    """The engine of the job's compute restarts while a step runs: the job still reaches a terminal
    state, with its reason (Completed after a retry, or Failed naming what was lost)."""
    scenario = Restart("engine restart")
    worker = studio.start_worker(folder / "worker.log", threads=2)
    try:
        pipeline, _ = write_pipeline(folder / "job", uuid.uuid4().hex[:10])
        scenario.job = studio.submit(pipeline)
        started = time.monotonic()
        deadline = time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < deadline:  # a step running: its container is on the engine
            steps = studio.steps(scenario.job)
            if any(s["status"] == "Running" and s["name"] != "s1" for s in steps.values()):
                break
            if studio.job(scenario.job)["status"] in TERMINAL:
                raise AssertionError(f"the job ended before the restart: {studio.job(scenario.job)}")
            time.sleep(0.1)
        time.sleep(rng.uniform(0.0, 0.8))
        scenario.phase = _phase(studio, scenario.job)
        engine.stop()
        scenario.note(f"stopped the engine ({scenario.phase})")
        time.sleep(1)
        engine.start()
        scenario.note("the engine answers again")
        while studio.job(scenario.job)["status"] not in TERMINAL and time.monotonic() < deadline:
            time.sleep(0.5)
        scenario.seconds = time.monotonic() - started
        scenario.final_job = studio.job(scenario.job)
        scenario.steps = studio.steps(scenario.job)
        with studio.db() as connection:
            scenario.terminal_events = [
                row[0]
                for row in connection.execute(
                    "SELECT e.payload->>'status' FROM runner_jobevent e JOIN runner_pipelinejob j"
                    " ON j.id = e.job_id WHERE j.name = %s AND e.kind = 'job'"
                    " AND e.payload->>'status' IN ('Completed', 'Failed', 'Canceled')",
                    (scenario.job,),
                )
            ]
    except Exception as error:
        scenario.error = f"{type(error).__name__}: {error}"
    finally:
        worker.stop()
    return scenario


@pytest.fixture(scope="module")
def faults(postgres_url: str, redis_url: str) -> Iterator[dict]:
    """The kill lanes, the web restart and the engine restart, all at the same time, each in a
    Studio of its own (database, home, Redis database)."""
    seed = random.randrange(1 << 30)
    print(f"\nworker kills: seed {seed}")
    redis_dbs = random.Random(seed).sample(range(1, 16), LANES + 2)
    lock = threading.Lock()
    started = time.monotonic()
    with ExitStack() as stack:
        # Not pytest's temporary folders: another pytest session on the machine may prune those.
        base = Path(tempfile.mkdtemp(prefix="faults-kills-", dir="/tmp"))
        stack.callback(shutil.rmtree, base, ignore_errors=True)

        def mktemp(name: str) -> Path:
            (base / name).mkdir()
            return base / name

        def studio(index: int, **settings: str) -> Studio:
            made = production_studio(
                postgres_url,
                redis_url,
                reconcile_seconds=RECONCILE_SECONDS,
                redis_db=redis_dbs[index],
                STUDIO_HEARTBEAT_TIMEOUT_SECONDS=str(HEARTBEAT_TIMEOUT),
                **settings,
            )
            opened = made.__enter__()
            with lock:
                stack.push(made.__exit__)
            return opened

        def lane(index: int) -> list[Trial]:
            folder = mktemp(f"kills-{index}")
            return run_lane(studio(index), index + 1, folder, random.Random(seed + index))

        def web() -> Restart:
            folder = mktemp("web-restart")
            return restart_web(studio(LANES), folder, random.Random(seed - 1))

        def engine() -> Restart:
            dockerd = OwnDockerd()
            with lock:
                stack.callback(dockerd.close)
            dockerd.start()
            dockerd.load(BASE_IMAGE)
            where = studio(LANES + 1, STUDIO_DOCKER_URL=dockerd.url)
            with where.db() as connection:  # no iptables on that engine: steps get no network
                connection.execute("UPDATE studio_compute SET network = 'none' WHERE name = 'docker'")
            folder = mktemp("engine-restart")
            return restart_engine(where, dockerd, folder, random.Random(seed - 2))

        with ThreadPoolExecutor(max_workers=LANES + 2, thread_name_prefix="faults") as pool:
            lanes = [pool.submit(lane, index) for index in range(LANES)]
            restarts = {"web": pool.submit(web), "engine": pool.submit(engine)}
            results = [trial for future in lanes for trial in future.result()]
        # Containers: every kill is at least CONTAINER_GRACE ago, or the wait ends when none is left.
        last_kill = max((t.killed_at for t in results if t.killed_at), default=time.monotonic())
        client = docker_client()
        while True:
            for trial in results:
                trial.containers_left = [
                    f"{c.short_id} {c.labels.get('studio.step')}#{c.labels.get('studio.attempt')} {c.status}"
                    for c in client.containers.list(all=True, filters={"label": f"studio.job={trial.job}"})
                ]
            if not any(t.containers_left for t in results) or time.monotonic() > last_kill + CONTAINER_GRACE:
                break
            time.sleep(1)
        completed = sum(t.final_job.get("status") == "Completed" for t in results)
        retried = sum(any(s["attempt"] > 1 for s in t.steps.values()) for t in results)
        print(
            f"worker kills: {len(results)} trials ({LANES} lanes x {TRIALS}), {completed} Completed, "
            f"{retried} with a step retried, max attempt "
            f"{max((s['attempt'] for t in results for s in t.steps.values()), default=0)}, "
            f"containers left {sum(len(t.containers_left) for t in results)}, "
            f"{time.monotonic() - started:.0f} s"
        )
        for trial in results:
            print(
                f"  {trial.lane}.{trial.number} kill at {trial.kill_after:4.1f} s ({trial.phase}): "
                f"{trial.final_job.get('status')} in {trial.seconds:.0f} s"
            )
        outcome = {"trials": results}
        for name, future in restarts.items():
            try:
                outcome[name] = future.result()
            except Exception as error:
                outcome[name] = Restart(name, error=f"{type(error).__name__}: {error}")
            scenario = outcome[name]
            print(f"  {name} restart ({scenario.phase}): {scenario.final_job} in {scenario.seconds:.0f} s")
        yield outcome
        for trial in results:  # nothing left behind for the next test
            for container in client.containers.list(all=True, filters={"label": f"studio.job={trial.job}"}):
                container.remove(force=True)


@pytest.fixture(scope="module")
def trials(faults: dict) -> list[Trial]:
    return faults["trials"]


def _failures(trials: list[Trial], check) -> str:
    bad = [t.describe() for t in trials if not check(t)]
    return f"{len(bad)} of {len(trials)} trials:\n" + "\n".join(bad)


def test_every_killed_job_completes(trials: list[Trial]):
    assert len(trials) == LANES * TRIALS, _failures(trials, lambda t: not t.error)
    assert all(t.final_job.get("status") == "Completed" for t in trials), _failures(
        trials, lambda t: t.final_job.get("status") == "Completed"
    )


def test_each_step_ran_at_most_twice(trials: list[Trial]):
    def ok(t: Trial) -> bool:
        return len(t.steps) == len(STEPS) and all(1 <= s["attempt"] <= 2 for s in t.steps.values())

    assert all(ok(t) for t in trials), _failures(trials, ok)


def test_no_output_committed_twice(trials: list[Trial]):
    def ok(t: Trial) -> bool:
        return (
            all(t.versions.get(step) == 1 for step in STEPS)
            and all(t.completed_events.get(step) == 1 for step in STEPS)
            and t.trail.split() == STEPS
        )

    assert all(ok(t) for t in trials), _failures(trials, ok)


def test_no_labelled_container_left(trials: list[Trial]):
    assert all(not t.containers_left for t in trials), _failures(trials, lambda t: not t.containers_left)


def test_a_restarted_web_process_leaves_the_job_to_complete(faults: dict):
    web: Restart = faults["web"]
    assert not web.error and web.final_job.get("status") == "Completed", web.describe()
    assert web.terminal_events == ["Completed"], web.describe()
    assert all(s["attempt"] == 1 for s in web.steps.values()), web.describe()


def test_a_restarted_engine_ends_the_job_with_its_reason(faults: dict):
    engine: Restart = faults["engine"]
    assert not engine.error, engine.describe()
    status = engine.final_job.get("status")
    assert status in ("Completed", "Failed"), engine.describe()
    assert len(engine.terminal_events) == 1, engine.describe()
    if status == "Failed":
        reason = engine.final_job.get("status_reason", "").lower()
        assert "engine" in reason, engine.describe()
    else:
        assert all(s["attempt"] <= 2 for s in engine.steps.values()), engine.describe()
