"""An environment's image is built once and then reused by every step and every job that needs it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import docker
import pytest
from docker.errors import APIError, ImageNotFound

from pipelines.compiler import compile_pipeline
from runner.actions import submit_pipeline
from runner.choices import ImageStatus, JobStatus, StepStatus
from runner.images.dockerfiles import environment_image_tag
from runner.models import EnvironmentImage
from studio.models import Environment
from studio.schemas.loading import load_document
from tests.runner.jobs import PIPELINES, submit_file, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PIPELINE = PIPELINES / "environment_reuse" / "pipeline.yml"
VARIABLES = PIPELINES / "environment_reuse" / "variables.yml"


def submit(fraction: float):
    document, index = load_document(PIPELINE.read_bytes(), filename=str(PIPELINE))
    document["settings"] = {"default_compute": "azureml:docker"}
    document["inputs"]["fraction"] = fraction
    spec = compile_pipeline(document, index=index, filename=str(PIPELINE), base_dir=PIPELINE.parent)
    return submit_pipeline(spec)


def remove_image(tag: str) -> None:
    """Remove the image so the first job really builds it (a container using it may hold it)."""
    client = docker.from_env()
    try:
        client.images.get(tag).tag(*CACHE_TAG.split(":"))  # its layers stay: Docker's build cache, see below
    except ImageNotFound:
        pass
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client.images.remove(tag)
            except ImageNotFound:
                return
            except APIError as error:
                if time.monotonic() > deadline:
                    pytest.fail(f"cannot remove {tag} to start from scratch: {error}")
                time.sleep(1)
    finally:
        client.close()


# An image built earlier in the session (the designer's job builds this environment too) is kept
# under this tag while the test runs: the tag the test waits for is gone, so Studio really builds it
# (`builds == 1`), but Docker takes its layers from cache instead of installing scikit-learn, pandas
# and matplotlib again (about a minute). Run alone, the test builds everything from scratch.
CACHE_TAG = "studio/test-environment-reuse:layer-cache"


@pytest.fixture
def layer_cache():
    yield
    client = docker.from_env()
    try:
        client.images.remove(CACHE_TAG, noprune=False)
    except (ImageNotFound, APIError):
        pass
    finally:
        client.close()


@pytest.fixture
def build_ca(settings):
    ca = os.environ.get("PIP_CERT") or os.environ.get("REQUESTS_CA_BUNDLE")
    if ca and Path(ca).is_file():
        settings.STUDIO_BUILD_CA_BUNDLE = ca


@pytest.mark.docker
def test_the_sklearn_environment_is_built_once_for_two_jobs(computes, library, worker, build_ca, layer_cache):
    environment = Environment.objects.get(name="sklearn-1.5", version="1")
    tag = environment_image_tag(environment)
    remove_image(tag)

    first = wait_for(submit(0.7), timeout=300)
    second = wait_for(submit(0.6), timeout=120)

    for job in (first, second):
        steps = list(job.steps.all())
        assert job.status == JobStatus.COMPLETED, [(s.name, s.status_reason) for s in steps]
        assert all(step.status == StepStatus.COMPLETED and step.reused_from_id is None for step in steps)
        assert all(step.image == tag for step in steps)
        assert all(step.environment_id == environment.pk for step in steps)

    image = EnvironmentImage.objects.get(environment=environment, target=computes["docker"].engine_url)
    assert image.status == ImageStatus.READY, image.error
    assert image.tag == tag
    # Two steps of the first job asked for it at the same moment, two more in the second job.
    assert image.builds == 1
    rows = (Path(first.steps.get(name="split").outputs["first_dataset"]["path"]) / "data.csv").read_text()
    assert len(rows.splitlines()) == 1 + 14  # header + 70% of 20 rows


@pytest.mark.parametrize(
    "compute",
    ["local", pytest.param("docker", marks=pytest.mark.docker)],
)
def test_the_environment_variables_reach_the_step(compute, computes, library, worker):
    job = wait_for(submit_file(VARIABLES, default_compute=f"azureml:{compute}"), timeout=60)
    step = job.steps.get()
    assert job.status == JobStatus.COMPLETED, step.status_reason
    assert (Path(step.outputs["out"]["path"]) / "flavor.txt").read_text() == "flavor=salted\n"
