"""An environment whose image is on the engine already (built by an earlier Studio, or by hand) is
noted as ready, not built here, so its page does not say "not built yet" after steps used it
(issue 15, point 9)."""

from __future__ import annotations

import pytest

from runner.choices import ImageStatus
from runner.executors.docker import docker_client
from runner.images.building_once import ensure_environment_image
from runner.images.dockerfiles import environment_image_tag
from runner.models import EnvironmentImage
from tests.runner.test_environment_images import BASE_IMAGE, ENGINE, build_settings, images, saved  # noqa: F401


@pytest.mark.docker
@pytest.mark.django_db
def test_an_image_already_on_the_engine_is_noted_ready_without_a_build(build_settings, images, admin_client):  # noqa: F811
    environment = saved(name="found-on-engine")
    tag = environment_image_tag(environment)
    images.append(tag)
    client = docker_client(ENGINE)
    try:
        client.images.get(BASE_IMAGE).tag(tag)
    finally:
        client.close()
    logged: list[str] = []

    assert ensure_environment_image(environment, base_url=ENGINE, log=logged.append) == tag

    row = EnvironmentImage.objects.get(environment=environment)
    assert (row.status, row.builds, row.tag, row.target) == (ImageStatus.READY, 0, tag, ENGINE or "")
    assert logged == []  # nothing was built
    # A second step changes nothing.
    ensure_environment_image(environment, base_url=ENGINE, log=logged.append)
    assert EnvironmentImage.objects.filter(environment=environment).count() == 1

    page = admin_client.get(f"/environments/{environment.name}/").content.decode()
    assert "not built yet" not in page
    assert "Image: ready" in page and "found on the engine, not built here" in page
