"""Asset references, compute names and image names as YAML writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.choices import ComputeState
from studio.images import map_image, split_image
from studio.models import Environment
from studio.references import AssetReference, ReferenceError, parse_reference, resolve, resolve_compute
from studio.registry import register_text
from studio.registry.attachments import LocalAttachments
from tests.factories import make_compute

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def artifacts_root(settings, tmp_path):
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("sklearn:1", "environments", AssetReference("sklearn", "1")),
        ("sklearn-1.5:2.0.1", "environments", AssetReference("sklearn-1.5", "2.0.1")),
        ("sklearn@latest", "environments", AssetReference("sklearn", None)),
        ("azureml:sklearn:3", "environments", AssetReference("sklearn", "3")),
        ("azureml:sklearn@latest", "environments", AssetReference("sklearn", None)),
        ("  azureml:sklearn:3  ", "environments", AssetReference("sklearn", "3")),
        ("azureml:train_model:1", "components", AssetReference("train_model", "1")),
        ("azureml:iris:1", "data", AssetReference("iris", "1")),
        (
            "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
            "environments",
            AssetReference("sklearn-1.5", None),
        ),
        (
            "azureml://registries/azureml/environments/sklearn-1.5/versions/7",
            "environments",
            AssetReference("sklearn-1.5", "7"),
        ),
        (
            "azureml://registries/other/components/train/versions/2/",
            "components",
            AssetReference("train", "2"),
        ),
        ("azureml://registries/azureml/data/iris/labels/latest", "data", AssetReference("iris", None)),
    ],
)
def test_accepted_forms(text, kind, expected):
    assert parse_reference(text, kind=kind) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("azureml:sklearn", "environments"),
        ("sklearn", "environments"),
        ("sklearn@stable", "environments"),
        ("sklearn:1:2", "environments"),
        ("sklearn:1@latest", "environments"),
        ("", "environments"),
        ("-sklearn:1", "environments"),
        ("has space:1", "environments"),
        ("azureml://registries/azureml/components/train/versions/1", "environments"),
        ("azureml://registries/azureml/environments/sklearn/labels/prod", "environments"),
        ("azureml://registries/azureml/environments/sklearn", "environments"),
        ("azureml://datastores/workspaceblobstore/paths/x.csv", "data"),
        ("azureml:/subscriptions/s/resourceGroups/r/workspaces/w/environments/e/versions/1", "environments"),
        ("https://example.com/env:1", "environments"),
    ],
)
def test_rejected_forms(text, kind):
    with pytest.raises(ReferenceError):
        parse_reference(text, kind=kind)


def test_a_reference_prints_as_yaml_writes_it():
    assert str(AssetReference("a", "1")) == "a:1"
    assert str(AssetReference("a", None)) == "a@latest"


def _environment(name: str, version: str | None, image: str) -> Environment:
    document = f"name: {name}\nimage: {image}\n" + (f"version: '{version}'\n" if version else "")
    return register_text(
        document,
        kind="environment",
        filename="env.yml",
        attachments=LocalAttachments(Path(__file__).parent, filename="env.yml"),
    )[0]


def test_resolve_by_version_and_latest_skipping_archived():
    first = _environment("ref-env", "1", "python:3.10")
    second = _environment("ref-env", "2", "python:3.11")

    assert resolve(Environment, AssetReference("ref-env", "1")) == first
    assert resolve(Environment, AssetReference("ref-env", None)) == second

    second.set_archived(True)
    assert resolve(Environment, AssetReference("ref-env", None)) == first
    assert resolve(Environment, AssetReference("ref-env", "2")) == second  # an exact version still resolves

    first.set_archived(True)
    with pytest.raises(ReferenceError, match="archived"):
        resolve(Environment, AssetReference("ref-env", None))


def test_resolve_names_what_is_missing():
    _environment("ref-env", "1", "python:3.10")

    with pytest.raises(ReferenceError, match="registered versions: 1"):
        resolve(Environment, AssetReference("ref-env", "9"))
    with pytest.raises(ReferenceError, match="no-such"):
        resolve(Environment, AssetReference("no-such", None))


def test_latest_is_the_newest_registration():
    _environment("auto-env", None, "python:3.10")
    newest = _environment("auto-env", None, "python:3.11")

    assert newest.version == "2"
    assert resolve(Environment, parse_reference("azureml:auto-env@latest", kind="environments")) == newest


# --- Computes -----------------------------------------------------------------------------------


@pytest.fixture
def computes():
    """Three computes, not checked yet: names resolve whatever a compute's state."""
    return {
        name: make_compute(name, "local" if name == "local" else "docker", state=ComputeState.UNKNOWN)
        for name in ("local", "docker", "gpu-box")
    }


def test_resolve_compute_with_and_without_the_azureml_prefix(settings, computes):
    settings.STUDIO_COMPUTE_ALIASES = {}

    assert resolve_compute("docker") == computes["docker"]
    assert resolve_compute("azureml:gpu-box") == computes["gpu-box"]
    assert resolve_compute(" azureml:local ") == computes["local"]


def test_resolve_compute_through_aliases(settings, computes):
    settings.STUDIO_COMPUTE_ALIASES = {"cpu-cluster": "local", "gpu-cluster": "gpu-box"}

    assert resolve_compute("azureml:cpu-cluster") == computes["local"]
    assert resolve_compute("cpu-cluster") == computes["local"]
    assert resolve_compute("azureml:gpu-cluster") == computes["gpu-box"]
    assert resolve_compute("docker") == computes["docker"]


def test_resolve_compute_names_the_known_computes(settings, computes):
    settings.STUDIO_COMPUTE_ALIASES = {"cpu-cluster": "gone"}

    with pytest.raises(ReferenceError, match="'gone'.*docker, gpu-box, local"):
        resolve_compute("azureml:cpu-cluster")
    with pytest.raises(ReferenceError, match="'serverless'"):
        resolve_compute("azureml:serverless")


# --- Images -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "mapping", "expected"),
    [
        # the whole image
        (
            "python:3.11-slim",
            {"python:3.11-slim": "mirror.local/python:3.11-slim-2"},
            "mirror.local/python:3.11-slim-2",
        ),
        # a repository key keeps the tag
        ("docker.io/python:3.12", {"docker.io/python": "mirror.local/python"}, "mirror.local/python:3.12"),
        ("docker.io/python", {"docker.io/python": "mirror.local/python"}, "mirror.local/python"),
        # a value with a tag replaces the image
        ("python:3.11-slim", {"python": "studio/python:3.11-bookworm"}, "studio/python:3.11-bookworm"),
        ("python", {"python": "studio/python:3.11-bookworm"}, "studio/python:3.11-bookworm"),
        # a registry or path prefix
        (
            "docker.io/library/python:3.11",
            {"docker.io": "mirror.local/hub"},
            "mirror.local/hub/library/python:3.11",
        ),
        (
            "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest",
            {"mcr.microsoft.com/azureml": "registry.local:5000/azureml"},
            "registry.local:5000/azureml/openmpi4.1.0-ubuntu22.04:latest",
        ),
        ("localhost:5000/team/app:1.0", {"localhost:5000": "mirror.local"}, "mirror.local/team/app:1.0"),
        (
            "docker.io/library/python@sha256:" + "a" * 64,
            {"docker.io": "mirror.local/hub"},
            "mirror.local/hub/library/python@sha256:" + "a" * 64,
        ),
        # the longest key wins
        (
            "docker.io/library/python:3.11",
            {"docker.io": "mirror.local/hub", "docker.io/library/python": "mirror.local/py"},
            "mirror.local/py:3.11",
        ),
        # no match: unchanged
        ("python:3.11", {"docker.io/python": "mirror.local/python"}, "python:3.11"),
        ("docker.io.evil.com/x:1", {"docker.io": "mirror.local/hub"}, "docker.io.evil.com/x:1"),
        ("pythonic:1", {"python": "studio/python:3.11-bookworm"}, "pythonic:1"),
        ("python:3.11", {}, "python:3.11"),
    ],
)
def test_map_image(image, mapping, expected):
    assert map_image(image, mapping) == expected


def test_map_image_reads_the_setting(settings):
    settings.STUDIO_IMAGE_MAP = {"python": "studio/python:3.11-bookworm"}
    assert map_image("python:3.11-slim") == "studio/python:3.11-bookworm"

    settings.STUDIO_IMAGE_MAP = {}
    assert map_image("python:3.11-slim") == "python:3.11-slim"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("python", ("python", None)),
        ("python:3.11", ("python", "3.11")),
        ("localhost:5000/app", ("localhost:5000/app", None)),
        ("localhost:5000/app:1", ("localhost:5000/app", "1")),
        ("python@sha256:abc", ("python@sha256:abc", None)),
    ],
)
def test_split_image(image, expected):
    assert split_image(image) == expected
