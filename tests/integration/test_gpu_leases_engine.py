"""GPU leases against the real Docker engine: PostgreSQL, Redis and two `studio worker` processes.

The engine here has no NVIDIA runtime and refuses device requests, so each compute reaches it
through a recording proxy (tests/docker_proxy.py): the proxy keeps every container create as
Studio sent it, GPU device request included, and strips the request before the engine sees it.
Two computes, `gpu-a` and `gpu-b`, each with GPU ids 0 and 1, reach the same engine through two
different proxy sockets (two addresses of one machine); `gpu-solo` has GPU 0 only.

- three one-GPU steps on each of gpu-a and gpu-b at once: every container asked for exactly one
  GPU, at most two ran at a time over both computes, and no two running at once had the same id;
- a worker killed with SIGKILL (its container gone with its host) under a one-GPU step: the other
  worker's reconciler retries the step, the lost attempt's lease row is gone, and GPU 0 is leased
  and sent to the engine again for the new attempt.
"""

from __future__ import annotations

import itertools
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from tests.docker_proxy import DockerProxy
from tests.integration.production import STUDIO_BIN, Studio, Worker, docker_client, manage, production_studio
from tests.servers import REPO_ROOT

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.postgres]

PIPELINES = Path(__file__).parent / "pipelines" / "gpu_leases"
STALE_AFTER_SECONDS = 6
JOB_TIMEOUT = 120
COMPUTES = """
from studio.models import Compute
for name, url, gpus in (
    ('gpu-a', {a!r}, ['0', '1']), ('gpu-b', {b!r}, ['0', '1']), ('gpu-solo', {a!r}, ['0'])
):
    Compute.objects.create(name=name, kind='docker', state='online', engine_url=url,
                           max_concurrent_steps=3, gpu_ids=gpus)
"""
SUBMIT = """
from pathlib import Path
from pipelines.compiler import compile_pipeline
from runner.actions import submit_pipeline
from studio.schemas.loading import load_document
for path, compute, inputs in {jobs!r}:
    path = Path(path)
    document, index = load_document(path.read_bytes(), filename=str(path))
    document['inputs'].update(inputs)
    document['settings']['default_compute'] = 'azureml:' + compute
    spec = compile_pipeline(document, index=index, filename=str(path), base_dir=path.parent)
    print('JOB', submit_pipeline(spec).name)
"""


@pytest.fixture(scope="module")
def proxies():
    folder = Path(tempfile.mkdtemp(prefix="studio-gpu-proxy-", dir="/tmp"))
    started = [DockerProxy(folder / "a.sock").start(), DockerProxy(folder / "b.sock").start()]
    yield started
    for proxy in started:
        proxy.stop()
    folder.rmdir()


@pytest.fixture(scope="module")
def studio(postgres_url, redis_url, proxies) -> Studio:
    stale = str(STALE_AFTER_SECONDS)
    with production_studio(
        postgres_url, redis_url, reconcile_seconds=1, STUDIO_HEARTBEAT_TIMEOUT_SECONDS=stale
    ) as studio:
        manage(studio.env, "shell", "-c", COMPUTES.format(a=proxies[0].url, b=proxies[1].url))
        yield studio


@pytest.fixture(scope="module")
def workers(studio):
    started = [start_worker(studio, name) for name in ("w1", "w2")]
    for worker in started:
        wait_until(lambda w=worker: "Worker serving computes" in w.text(), 60, worker.text)
    yield started
    for worker in started:
        worker.stop()


def start_worker(studio: Studio, name: str) -> Worker:
    output = studio.home / f"worker-{name}.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [str(STUDIO_BIN), "worker", "--compute", "gpu-a,gpu-b,gpu-solo", "--threads", "4"],
            cwd=REPO_ROOT,
            env=studio.env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, for killpg
        )
    return Worker(process, output)


def submit(studio: Studio, *jobs: tuple[str, str, dict]) -> list[str]:
    """Submit each (pipeline file, compute, inputs) in one `studio manage` call; the job names."""
    code = SUBMIT.format(jobs=[(str(PIPELINES / path), compute, inputs) for path, compute, inputs in jobs])
    output = manage(studio.env, "shell", "-c", code)
    return [line.split()[1] for line in output.splitlines() if line.startswith("JOB ")]


def wait_until(condition, timeout: float, explain=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"still waiting after {timeout} s: {explain()}")


def leases(studio: Studio, job: str) -> list[tuple[str, str, int, str]]:
    """(step, device, attempt, engine identity) of each lease row of the job's steps."""
    with studio.db() as connection:
        return connection.execute(
            "SELECT s.name, l.device, l.attempt, l.engine FROM runner_gpulease l"
            " JOIN runner_steprun s ON s.id = l.step_id JOIN runner_pipelinejob j ON j.id = s.job_id"
            " WHERE j.name = %s ORDER BY s.name, l.engine",
            (job,),
        ).fetchall()


def hold(studio: Studio, job: str) -> dict:
    return studio.steps(job)["hold"]


def log_times(studio: Studio, job: str, step: str) -> tuple[float, float]:
    """When the step's command started and ended, as it printed them (`start T`, `end T`)."""
    found = {}
    for entry in studio.log(job, step):
        word, _, value = entry["line"].partition(" ")
        if word in ("start", "end") and value:
            found[word] = float(value)
    return found["start"], found["end"]


def test_one_gpu_steps_on_two_computes_of_one_engine_each_run_on_a_gpu_nobody_else_holds(
    studio, proxies, workers
):
    jobs = submit(studio, ("three.yml", "gpu-a", {"seconds": 2}), ("three.yml", "gpu-b", {"seconds": 2}))
    most_active = 0
    deadline = time.monotonic() + JOB_TIMEOUT
    while {studio.job(job)["status"] for job in jobs} - {"Completed", "Failed", "Canceled"}:
        assert time.monotonic() < deadline, {job: studio.steps(job) for job in jobs}
        with studio.db() as connection:  # steps holding a slot (and so their GPU) right now
            (active,) = connection.execute(
                "SELECT count(*) FROM runner_steprun s JOIN runner_pipelinejob j ON j.id = s.job_id"
                " WHERE j.name = ANY(%s) AND s.status IN ('Preparing', 'Running')",
                (jobs,),
            ).fetchone()
        most_active = max(most_active, active)
        time.sleep(0.1)
    for job in jobs:
        assert studio.job(job)["status"] == "Completed", studio.steps(job)

    runs = []  # (job, step, device id sent to the engine, proxy, start, end)
    for job, proxy in zip(jobs, proxies, strict=True):
        for step in ("g1", "g2", "g3"):
            creates = proxy.creates_labelled(studio_job=job, studio_step=step)
            assert len(creates) == 1, [c.labels for c in creates]
            requests = creates[0].device_requests
            assert len(requests) == 1 and requests[0]["Capabilities"] == [["gpu"]], requests
            assert len(creates[0].device_ids) == 1 and creates[0].device_ids[0] in ("0", "1"), requests
            runs.append((job, step, creates[0].device_ids[0], proxy.path.name, *log_times(studio, job, step)))
        other = jobs[1 - jobs.index(job)]
        assert not proxy.creates_labelled(studio_job=other), f"{other} went through {proxy.path.name}"

    overlapping = [(a, b) for a, b in itertools.combinations(runs, 2) if a[4] < b[5] and b[4] < a[5]]
    for a, b in overlapping:
        assert a[2] != b[2], f"{a} and {b} ran at the same time on GPU {a[2]}"
    for run in runs:  # at most two at once: the start of every run sees at most one other running
        others = [other for other in runs if other is not run and other[4] <= run[4] < other[5]]
        assert len(others) <= 1, (run, others)
    assert any(a[0] != b[0] for a, b in overlapping), f"the two computes never ran at once: {runs}"
    assert most_active <= 2, f"{most_active} GPU steps held a slot at once"
    assert leases(studio, jobs[0]) == [] and leases(studio, jobs[1]) == []


def test_a_worker_killed_under_a_gpu_step_leaves_no_lease_and_the_gpu_is_leased_again(
    studio, proxies, workers
):
    (job,) = submit(studio, ("one.yml", "gpu-solo", {"seconds": 60}))
    wait_until(
        lambda: hold(studio, job)["status"] == "Running" and hold(studio, job)["container_id"],
        JOB_TIMEOUT,
        lambda: studio.steps(job),
    )
    step = hold(studio, job)
    held = leases(studio, job)
    assert {(name, device, attempt) for name, device, attempt, _ in held} == {("hold", "0", 1)}, held
    victim = next(w for w in workers if step["worker_id"].endswith(f":{w.process.pid}"))
    victim.kill()
    client = docker_client()  # its host is gone: so is the container (else the step is adopted)
    try:
        client.containers.get(step["container_id"]).remove(force=True)
    finally:
        client.close()

    wait_until(
        lambda: (hold(studio, job)["attempt"], hold(studio, job)["status"]) == (2, "Running"),
        JOB_TIMEOUT,
        lambda: (studio.steps(job), leases(studio, job)),
    )
    again = leases(studio, job)
    assert {(name, device, attempt) for name, device, attempt, _ in again} == {("hold", "0", 2)}, again
    assert {engine for *_, engine in again} == {engine for *_, engine in held}
    creates = proxies[0].creates_labelled(studio_job=job)
    assert [(c.labels["studio.attempt"], c.device_ids) for c in creates] == [("1", ["0"]), ("2", ["0"])]
    assert any("lost" in line["line"] or "retrying" in line["line"] for line in studio.log(job, "hold"))

    manage(
        studio.env,
        "shell",
        "-c",
        f"from runner.actions import request_cancel\nfrom runner.models import PipelineJob\n"
        f"request_cancel(PipelineJob.objects.get(name={job!r}), user=None)",
    )
    wait_until(lambda: studio.job(job)["status"] == "Canceled", 60, lambda: studio.steps(job))
    wait_until(lambda: not leases(studio, job), 10, lambda: leases(studio, job))
    with psycopg.connect(studio.env["DATABASE_URL"]) as connection:
        assert connection.execute("SELECT count(*) FROM runner_gpulease").fetchone() == (0,)
