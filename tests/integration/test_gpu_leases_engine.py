"""GPU leases against the real Docker engine: PostgreSQL, Redis, `studio serve` (jobs are submitted
and canceled through the REST API) and two `studio worker` processes.

The engine here has no NVIDIA runtime and refuses device requests, so each compute reaches it
through a recording proxy (tests/docker_proxy.py): the proxy keeps every container create as
Studio sent it, GPU device request included, and strips the request before the engine sees it.
Two computes, `gpu-a` and `gpu-b`, each with GPU ids 0 and 1, reach the same engine through two
different proxy sockets (two addresses of one machine); `gpu-solo` has GPU 0 only.

- three one-GPU steps on each of gpu-a and gpu-b at once: every container asked for exactly one
  GPU, at most two ran at a time over both computes, and no two running at once had the same id;
- a worker killed with SIGKILL (its container gone with its host) under a one-GPU step: the other
  worker's reconciler retries the step, the lost attempt's lease row is gone, and GPU 0 is leased
  and sent to the engine again for the new attempt; canceling the job then frees it.
"""

from __future__ import annotations

import itertools
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
import requests

from tests.docker_proxy import DockerProxy
from tests.integration.production import STUDIO_BIN, Studio, Worker, docker_client, manage, production_studio
from tests.servers import REPO_ROOT, free_port, wait_for_port

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.postgres]

STALE_AFTER_SECONDS = 6
JOB_TIMEOUT = 120
# The computes, and an Admin with an API token for the REST calls, in one `studio manage` call.
SETUP = """
from django.contrib.auth import get_user_model
from studio.models import ApiToken, Compute
for name, url, gpus in (
    ('gpu-a', {a!r}, ['0', '1']), ('gpu-b', {b!r}, ['0', '1']), ('gpu-solo', {a!r}, ['0'])
):
    Compute.objects.create(name=name, kind='docker', state='online', engine_url=url,
                           max_concurrent_steps=3, gpu_ids=gpus)
user = get_user_model().objects.create_superuser('boss', 'b@example.com', 'pw-for-the-boss-1')
print('TOKEN', ApiToken.issue(user, name='tests')[1])
"""


def pipeline(compute: str, steps: list[str], seconds: float) -> dict:
    """Independent steps on `compute`, each asking for one GPU and printing when it starts and ends."""
    component = {
        "name": "gpu_sleep",
        "type": "command",
        "environment": "azureml:python-3.11@latest",
        "resources": {"gpus": 1},
        "command": f'echo "start $(date +%s.%N)"; sleep {seconds}; echo "end $(date +%s.%N)"',
    }
    return {
        "type": "pipeline",
        "settings": {"default_compute": f"azureml:{compute}", "force_rerun": True},
        "jobs": {step: {"type": "command", "component": component} for step in steps},
    }


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
        output = manage(studio.env, "shell", "-c", SETUP.format(a=proxies[0].url, b=proxies[1].url))
        studio.admin_token = output.split("TOKEN ", 1)[1].split()[0]  # for `api`
        yield studio


@pytest.fixture(scope="module")
def workers(studio):
    """Two workers serving the three computes, and `studio serve` (started at the same time)."""
    started = [start_worker(studio, name) for name in ("w1", "w2")]
    port = free_port()
    with (studio.home / "serve.log").open("wb") as sink:
        server = subprocess.Popen(
            [str(STUDIO_BIN), "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env=studio.env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    studio.url = f"http://127.0.0.1:{port}"  # for `api`
    for worker in started:
        wait_until(lambda w=worker: "Worker serving computes" in w.text(), 60, worker.text)
    wait_for_port(port, process=server, timeout=60)
    yield started
    server.send_signal(signal.SIGINT)
    for worker in started:
        worker.stop()
    server.wait(timeout=30)


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


def api(studio: Studio, method: str, path: str, **kwargs) -> dict:
    """A REST call to the module's `studio serve` as its Admin; the answer's JSON (2xx only)."""
    headers = {"Authorization": f"Token {studio.admin_token}"}
    response = requests.request(method, f"{studio.url}/api/v1/{path}", headers=headers, timeout=30, **kwargs)
    assert response.status_code < 300, (method, path, response.status_code, response.text[:2000])
    return response.json()


def submit(studio: Studio, document: dict) -> str:
    """POST /api/v1/jobs/ with the pipeline document; the job's name."""
    return api(studio, "POST", "jobs/", json=document)["name"]


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
    steps = ["g1", "g2", "g3"]
    jobs = [submit(studio, pipeline("gpu-a", steps, 1.5)), submit(studio, pipeline("gpu-b", steps, 1.5))]
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
        for step in steps:
            creates = proxy.creates_labelled(studio_job=job, studio_step=step)
            assert len(creates) == 1, [c.labels for c in creates]
            asked = creates[0].device_requests
            assert len(asked) == 1 and asked[0]["Capabilities"] == [["gpu"]], asked
            assert len(creates[0].device_ids) == 1 and creates[0].device_ids[0] in ("0", "1"), asked
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
    job = submit(studio, pipeline("gpu-solo", ["hold"], 60))
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

    api(studio, "POST", f"jobs/{job}/cancel/")
    wait_until(lambda: studio.job(job)["status"] == "Canceled", 60, lambda: studio.steps(job))
    wait_until(lambda: not leases(studio, job), 10, lambda: leases(studio, job))
    with psycopg.connect(studio.env["DATABASE_URL"]) as connection:
        assert connection.execute("SELECT count(*) FROM runner_gpulease").fetchone() == (0,)
