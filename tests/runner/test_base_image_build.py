"""The base image built in the background (issue #15, point 8): `studio up` starts the build when
the engine lacks the image, the computes page shows its progress or its failure, and a step on
Docker waits in Queued for it, then runs.

The real base image is never touched: STUDIO_BASE_IMAGE names a throwaway tag, and the "build" (an
injected builder, as only a test may) tags the real image under that name when the test says so.
The debootstrap build itself is tests/runner/test_base_image.py's and `studio image bootstrap`'s.
"""

from __future__ import annotations

import os
import textwrap
import threading
import uuid

import pytest

from runner import base_image_build
from runner.base_image import BaseImageError
from runner.choices import JobStatus, StepStatus
from runner.executors.docker import docker_client, image_exists
from tests.runner.jobs import submit_file, wait_for

REAL_BASE = os.environ.get("STUDIO_BASE_IMAGE", "studio/python:3.11-bookworm")
ENGINE = os.environ.get("STUDIO_DOCKER_URL") or None


class TaggingBuilder:
    """Builds by tagging the real base image as the wanted tag, once `release` is set."""

    def __init__(self, *, fail: str = "") -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.fail = fail

    def __call__(self, tag: str, *, log, base_url=None, **_options) -> bool:
        log(f"debootstrap bookworm from http://mirror.test/debian into /tmp/{tag}")
        log("I: Retrieving InRelease")
        self.started.set()
        assert self.release.wait(60), "the test never let the build finish"
        if self.fail:
            raise BaseImageError(self.fail)
        client = docker_client(base_url)
        try:
            repository, _, version = tag.rpartition(":")
            client.images.get(REAL_BASE).tag(repository, version)
        finally:
            client.close()
        log(f"built base image {tag}")
        return True


@pytest.fixture
def throwaway_base(settings, studio_home):
    """STUDIO_BASE_IMAGE set to a tag no engine has; untagged afterwards (never the real image).

    Environment images a test builds on it are appended to `throwaway_base.built` for removal."""
    tag = Throwaway(f"studio/test-missing-base:{uuid.uuid4().hex[:12]}")
    settings.STUDIO_BASE_IMAGE = tag
    settings.STUDIO_IMAGE_MAP = {}
    settings.STUDIO_BUILD_CA_BUNDLE = ""
    yield tag
    client = docker_client(ENGINE)
    try:
        for name in [*tag.built, tag]:
            if name and image_exists(name, base_url=ENGINE):
                client.images.remove(name)  # only the tag: the real image keeps its own
    finally:
        client.close()
    assert image_exists(REAL_BASE, base_url=ENGINE)


class Throwaway(str):
    built: list[str]

    def __new__(cls, value: str) -> Throwaway:
        made = super().__new__(cls, value)
        made.built = []
        return made


def computes_page(client) -> str:
    response = client.get("/computes/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.docker
@pytest.mark.django_db(transaction=True)
def test_a_missing_base_image_is_built_in_the_background_with_its_progress_on_the_computes_page(
    throwaway_base, admin_client
):
    builder = TaggingBuilder()
    lines: list[str] = []

    thread = base_image_build.start_if_missing(builder=builder, log=lines.append)

    assert thread is not None and builder.started.wait(10)
    assert base_image_build.start_if_missing(builder=builder) is None  # one build at a time
    state = base_image_build.read_state()
    assert (state.tag, state.status, state.running) == (throwaway_base, "building", True)
    with pytest.raises(base_image_build.BaseImageWaiting, match="waiting for the base image to finish"):
        base_image_build.check_ready(throwaway_base, ENGINE)
    base_image_build.check_ready("some/other:1", ENGINE)  # other images do not wait
    page = computes_page(admin_client)
    assert throwaway_base in page and "Building" in page
    assert "installing Debian with debootstrap" in page and " s so far" in page
    assert "Steps on Docker computes wait in Queued" in page

    builder.release.set()
    thread.join(30)

    state = base_image_build.read_state()
    assert (state.status, state.running) == ("built", False) and state.last_line.startswith("Python 3.")
    assert image_exists(throwaway_base, base_url=ENGINE)
    base_image_build.check_ready(throwaway_base, ENGINE)  # no longer waits
    page = computes_page(admin_client)
    assert "Built" in page and "data-refresh" not in page
    assert lines[0].startswith(f"Base image {throwaway_base} is missing: building it in the background")
    assert base_image_build.start_if_missing(builder=builder) is None  # it exists now


@pytest.mark.docker
@pytest.mark.django_db(transaction=True)
def test_a_failed_build_shows_its_reason_and_the_command_to_retry(throwaway_base, admin_client):
    builder = TaggingBuilder(fail="debootstrap exited with 1; last output:\nE: Failed getting release file")
    builder.release.set()

    base_image_build.start_if_missing(builder=builder, log=lambda _line: None).join(30)

    state = base_image_build.read_state()
    assert state.status == "failed" and "Failed getting release file" in state.error
    page = computes_page(admin_client)
    assert "Failed" in page and "E: Failed getting release file" in page
    assert ".venv/bin/studio image bootstrap</code>" in page  # the tag is STUDIO_BASE_IMAGE
    base_image_build.check_ready(throwaway_base, ENGINE)  # steps go on (and fail naming the command)


@pytest.mark.docker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("library", "computes", "worker")
def test_a_docker_step_waits_queued_for_the_base_image_then_runs(throwaway_base, tmp_path):
    job_file = tmp_path / "job.yml"
    job_file.write_text(
        textwrap.dedent(
            f"""\
            type: command
            display_name: waits for the base image
            command: python -c "print('ran on', 6 * 7)"
            environment:
              image: {throwaway_base}
            compute: azureml:docker
            """
        )
    )
    builder = TaggingBuilder()
    thread = base_image_build.start_if_missing(builder=builder, log=lambda _line: None)
    assert thread is not None

    job = submit_file(job_file)
    step = job.steps.get()
    wait_for(job, timeout=30, until=lambda _job: step_waits(step))

    assert job.status != JobStatus.FAILED and step.attempt == 0  # waiting costs no attempt
    builder.release.set()
    job = wait_for(job, timeout=120)

    step.refresh_from_db()
    throwaway_base.built.append(step.image)
    assert job.status == JobStatus.COMPLETED, step.status_reason
    assert (step.status, step.attempt) == (StepStatus.COMPLETED, 1)


def step_waits(step) -> bool:
    step.refresh_from_db()
    return step.status == StepStatus.QUEUED and step.status_reason.startswith(base_image_build.WAIT_REASON)
