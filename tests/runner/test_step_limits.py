"""Step hardening without Docker: image references, resources.network, default limits, output quota,
build limits."""

from __future__ import annotations

import pytest

from runner.images.engine import build_limits
from runner.step_runner import OutputError, collect_outputs, step_limits, step_network
from studio.models import Compute
from studio.schemas.component import Resources, _resources_problems
from studio.schemas.environment import EnvironmentDocument, environment_problems


@pytest.mark.parametrize(
    "image",
    ["studio/python:3.11-bookworm; touch /tmp/x", "python:3.11\nRUN touch /tmp/x", "Python:3", "a b", "x:"],
)
def test_an_environment_image_must_be_a_docker_reference(image):
    problems = environment_problems(EnvironmentDocument(name="env", version="1", image=image))
    assert [(path, "is not a Docker image reference" in text) for path, text in problems] == [
        (("image",), True)
    ]


@pytest.mark.parametrize(
    "image", ["studio/python:3.11-bookworm", "localhost:5000/team/x:1", "x@sha256:" + "a" * 64]
)
def test_docker_references_pass(image):
    assert environment_problems(EnvironmentDocument(name="env", version="1", image=image)) == []


def test_a_step_narrows_its_network_never_widens_it():
    bridge, none = Compute(name="b", network="bridge"), Compute(name="n", network="none")
    assert step_network(bridge, {}) is True
    assert step_network(bridge, {"network": "none"}) is False
    assert step_network(none, {"network": "bridge"}) is False
    assert _resources_problems(Resources(network="host"))[0][0] == ("resources", "network")


def test_default_limits_apply_when_nothing_sets_them(settings):
    settings.STUDIO_STEP_DEFAULT_CPUS, settings.STUDIO_STEP_DEFAULT_MEMORY_MB = 2, 4096
    assert step_limits(Compute(name="c"), {}) == (2.0, 4096 * 1024**2)
    assert step_limits(Compute(name="c", cpus=1, memory_mb=512), {}) == (1.0, 512 * 1024**2)
    assert step_limits(Compute(name="c"), {"cpu": 0.5, "memory": "1g"}) == (0.5, 1024**3)
    settings.STUDIO_STEP_DEFAULT_CPUS = 0
    assert step_limits(Compute(name="c"), {})[0] is None


def test_outputs_over_the_quota_fail_the_step(settings, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "big.bin").write_bytes(b"x" * 2048)
    outputs = {"out": {"path": str(tmp_path / "out"), "type": "uri_folder"}}
    settings.STUDIO_MAX_OUTPUT_BYTES = 4096
    assert collect_outputs(outputs)["out"]["size"] == 2048
    settings.STUDIO_MAX_OUTPUT_BYTES = 1024
    with pytest.raises(OutputError, match="STUDIO_MAX_OUTPUT_BYTES"):
        collect_outputs(outputs)
    # What ./outputs and ./logs keep as default artifacts counts too (issue #16: kept for good).
    settings.STUDIO_MAX_OUTPUT_BYTES = 4096
    with pytest.raises(OutputError, match=r"\(5120 bytes, 3072 of them in ./outputs and ./logs\)"):
        collect_outputs(outputs, artifacts_bytes=3072)


def test_image_builds_have_limits(settings):
    settings.STUDIO_BUILD_MEMORY_MB, settings.STUDIO_BUILD_CPU_SHARES, settings.STUDIO_BUILD_CPUSET = (
        1024,
        512,
        "0-1",
    )
    assert build_limits() == {"memory": 1024**3, "memswap": 1024**3, "cpushares": 512, "cpusetcpus": "0-1"}
