"""GPU leases, the user quota and priority order, through the real claim path (no worker, no
engine): which steps take a slot, which GPU ids they get, and when a lease is free again."""

from __future__ import annotations

import json

import pytest
import yaml

from pipelines.compiler import compile_pipeline
from runner import reconciler, slots, step_runner
from runner.actions import submit_pipeline
from runner.choices import StepStatus
from runner.models import GpuLease, StepRun
from runner.scheduler import advance_job
from studio.choices import ComputeKind
from studio.models import Compute
from studio.schemas.loading import DefinitionError, load_document
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def pipeline(compute: str, steps: int, *, gpus: int = 1) -> dict:
    """`steps` independent steps on `compute`, each asking for `gpus` GPUs in its component."""
    component = {
        "name": "gpu_sleeper",
        "environment": "azureml:python-3.11@latest",
        "command": "sleep 1",
        "resources": {"gpus": gpus},
    }
    jobs = {f"s{i}": {"type": "command", "component": component} for i in range(1, steps + 1)}
    settings = {"default_compute": f"azureml:{compute}", "force_rerun": True}  # never reused
    return {"type": "pipeline", "settings": settings, "jobs": jobs}


def submit(document: dict, *, user=None, priority: int = 0):
    parsed, index = load_document(yaml.safe_dump(document).encode(), filename="gpu.yml")
    spec = compile_pipeline(parsed, index=index, filename="gpu.yml")
    job = submit_pipeline(spec, user=user, priority=priority)
    advance_job(job.pk)
    return job


def claim(step: StepRun) -> StepRun | str:
    """The claimed step, or why it has to wait."""
    try:
        return slots.claim(step.pk) or "nothing"
    except slots.Later as later:
        return str(later)


@pytest.fixture
def gpu_box(library):
    return factories.make_compute("gpu-box", ComputeKind.LOCAL, max_concurrent_steps=3, gpu_ids=["0", "1"])


def test_three_one_gpu_steps_on_two_gpus_two_run_each_with_its_own(gpu_box):
    job = submit(pipeline("gpu-box", 3))
    first, second, third = [claim(step) for step in job.steps.order_by("name")]

    assert sorted(first.gpu_ids + second.gpu_ids) == ["0", "1"]
    assert "waiting for 1 free GPUs on gpu-box" in third
    assert set(GpuLease.objects.values_list("device", flat=True)) == {"0", "1"}

    step_runner.finish(first, StepStatus.COMPLETED, exit_code=0, outputs={})  # frees its GPU
    third = claim(job.steps.get(name="s3"))
    assert third.gpu_ids == first.gpu_ids
    assert sorted(GpuLease.objects.values_list("step__name", flat=True).distinct()) == ["s2", "s3"]


def test_two_computes_on_one_engine_never_lease_the_same_gpu(library):
    one = factories.make_compute(
        "engine-a", ComputeKind.DOCKER, engine_url="tcp://10.9.8.7:2376", gpu_ids=["0"]
    )
    factories.make_compute("engine-b", ComputeKind.DOCKER, engine_url="TCP://10.9.8.7:2376/", gpu_ids=["0"])
    held = claim(submit(pipeline("engine-a", 1)).steps.get())
    waiting = submit(pipeline("engine-b", 1)).steps.get()

    assert held.gpu_ids == ["0"] and "waiting for 1 free GPUs" in claim(waiting)
    # Known by its docker info ID on one compute only: the two still share its address.
    one.engine_info = {"id": "ABCD:1234"}
    one.save()
    assert "waiting" in claim(waiting)

    # The attempt is lost and retried: the lease goes with it, and the other compute gets the GPU.
    held.max_retries = 1  # as the reconciler gives a lost attempt (STUDIO_WORKER_LOSS_RETRIES)
    assert step_runner.retry_later(held, "lost", step_runner.StepLog(held.job.name, held.name))
    taken = claim(waiting)
    assert getattr(taken, "gpu_ids", taken) == ["0"]


def test_a_step_whose_worker_died_frees_its_gpus_when_the_reconciler_retries_it(gpu_box, settings):
    settings.STUDIO_HEARTBEAT_TIMEOUT_SECONDS = 3
    job = submit(pipeline("gpu-box", 1, gpus=2))
    step = claim(job.steps.get())
    assert sorted(step.gpu_ids) == ["0", "1"] and GpuLease.objects.count() == 2
    StepRun.objects.filter(pk=step.pk).update(worker_id="gone-host:1", heartbeat_at="2000-01-01T00:00:00Z")

    assert reconciler.reconcile()["retried"] == 1
    step.refresh_from_db()
    assert step.status == StepStatus.QUEUED and GpuLease.objects.count() == 0


def test_a_step_asking_for_more_gpus_than_its_compute_has_is_refused_at_submit(gpu_box, admin_client):
    with pytest.raises(DefinitionError) as refused:
        submit(pipeline("gpu-box", 1, gpus=3))
    assert "asks for 3 GPUs; compute gpu-box has 2 (0, 1)" in str(refused.value)

    response = admin_client.post(
        "/api/v1/jobs/", json.dumps(pipeline("gpu-box", 1, gpus=3)), content_type="application/json"
    )
    assert response.status_code == 400
    assert "asks for 3 GPUs; compute gpu-box has 2" in json.dumps(response.json())


def test_queued_steps_start_in_priority_then_submission_order(library, admin_client):
    factories.make_compute("one-slot", ComputeKind.LOCAL, max_concurrent_steps=1)
    early = submit(pipeline("one-slot", 1, gpus=0)).steps.get()
    urgent = submit(pipeline("one-slot", 1, gpus=0), priority=5).steps.get()

    assert "comes first on one-slot" in claim(early)
    assert claim(urgent).status == StepStatus.PREPARING
    step_runner.finish(StepRun.objects.get(pk=urgent.pk), StepStatus.COMPLETED, exit_code=0, outputs={})
    later = submit(pipeline("one-slot", 1, gpus=0)).steps.get()
    assert "comes first" in claim(later)  # submitted after `early`, same priority
    assert claim(early).status == StepStatus.PREPARING

    response = admin_client.post(
        "/api/v1/jobs/?priority=101",
        json.dumps(pipeline("one-slot", 1, gpus=0)),
        content_type="application/json",
    )
    assert response.status_code == 400 and "priority" in response.json()["errors"]


def test_a_user_at_the_quota_waits_and_does_not_hold_back_others(library, settings):
    settings.STUDIO_USER_MAX_RUNNING_STEPS = 1
    factories.make_compute("shared", ComputeKind.LOCAL, max_concurrent_steps=4)
    ada, bob = factories.make_user("ada"), factories.make_user("bob")
    first, second = submit(pipeline("shared", 2, gpus=0), user=ada).steps.order_by("name")
    bobs = submit(pipeline("shared", 1, gpus=0), user=bob).steps.get()

    assert claim(first).status == StepStatus.PREPARING
    assert "STUDIO_USER_MAX_RUNNING_STEPS=1" in claim(second)
    assert claim(bobs).status == StepStatus.PREPARING  # behind ada's second step, which cannot start


def test_the_compute_page_shows_which_step_holds_which_gpu_on_every_compute_of_the_engine(
    gpu_box, admin_client
):
    # Two local computes of one host share its GPUs: a lease taken through one shows on both.
    factories.make_compute("gpu-box-2", ComputeKind.LOCAL, gpu_ids=["1", "0", "2"])
    job = submit(pipeline("gpu-box", 1))
    step = claim(job.steps.get())
    (held,) = step.gpu_ids

    for name, elsewhere in (("gpu-box", False), ("gpu-box-2", True)):
        page = admin_client.get(f"/computes/{name}/").content.decode()
        section = page[page.index('id="gpus-title"') : page.index('id="engine-title"')]
        rows = section.split("<tr>")[2:]  # after the header row: one per GPU id, in the compute's order
        ids = ["0", "1"] if name == "gpu-box" else ["1", "0", "2"]
        assert [row.split("<code>")[1].split("</code>")[0] for row in rows] == ids, section
        for gpu, row in zip(ids, rows, strict=True):
            if gpu == held:
                assert f'href="{job.get_absolute_url()}">{job.name}</a> / s1' in row, row
                assert ("on gpu-box</span>" in row) is elsewhere, row
            else:
                assert "free" in row and job.name not in row, row

    step_runner.finish(step, StepStatus.COMPLETED, exit_code=0, outputs={})
    page = admin_client.get("/computes/gpu-box-2/").content.decode()
    assert job.name not in page[page.index('id="gpus-title"') :].split("</table>")[0]


def test_gpus_auto_without_nvidia_smi_on_the_host_is_a_400_naming_the_field(
    gpu_box, admin_client, monkeypatch, tmp_path
):
    monkeypatch.setenv("PATH", str(tmp_path))  # a host without the NVIDIA driver's nvidia-smi
    response = admin_client.post(
        "/api/v1/computes/",
        json.dumps({"name": "auto-box", "kind": "local", "gpu_ids": "auto"}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["gpu_ids"] == [
        "auto: nvidia-smi is not installed on this host (no NVIDIA driver found)"
    ]
    assert not Compute.objects.filter(name="auto-box").exists()
    response = admin_client.patch(
        "/api/v1/computes/gpu-box/", json.dumps({"gpu_ids": "auto"}), content_type="application/json"
    )
    assert (
        response.status_code == 400
        and "nvidia-smi is not installed" in response.json()["errors"]["gpu_ids"][0]
    )
    gpu_box.refresh_from_db()
    assert gpu_box.gpu_ids == ["0", "1"]  # unchanged
    # A bad engine address is named before anything is asked of it.
    response = admin_client.post(
        "/api/v1/computes/",
        json.dumps({"name": "auto-box", "kind": "docker", "engine_url": "ftp://gpu-host", "gpu_ids": "auto"}),
        content_type="application/json",
    )
    assert response.status_code == 400 and list(response.json()["errors"]) == ["engine_url"], response.content


def test_gpus_auto_on_a_local_compute_takes_the_indexes_nvidia_smi_lists(
    library, admin_client, monkeypatch, tmp_path
):
    # A stand-in for the driver's nvidia-smi (this machine has no GPU): what the query prints.
    smi = tmp_path / "nvidia-smi"
    smi.write_text(
        "#!/bin/sh\n"
        '[ "$1 $2" = "--query-gpu=index --format=csv,noheader" ] || exit 2\n'
        'printf "0\\n1\\n3\\n"\n'
    )
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    response = admin_client.post(
        "/api/v1/computes/",
        json.dumps({"name": "smi-box", "kind": "local", "gpu_ids": "auto"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["gpu_ids"] == ["0", "1", "3"]

    smi.write_text(
        '#!/bin/sh\necho "NVIDIA-SMI has failed because it couldn\'t communicate with the driver"; exit 9\n'
    )
    response = admin_client.patch(
        "/api/v1/computes/smi-box/", json.dumps({"gpu_ids": "auto"}), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["gpu_ids"] == [
        "auto: nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the driver"
    ]
