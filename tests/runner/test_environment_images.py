"""Environments are built once: Dockerfiles from specs, real image builds, virtualenvs."""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid

import pytest
from django.db import connection

from runner.choices import ImageStatus
from runner.executors.docker import docker_client, inspect_image, run_once
from runner.images.building_once import WAITING_LINE, ensure_environment_image
from runner.images.dockerfiles import (
    context_image_tag,
    environment_image_tag,
    generate_dockerfile,
    requirements_text,
)
from runner.images.errors import ImageBuildError
from runner.images.requirements import BaseImageFacts, conda_to_pip, environment_requirements
from runner.images.venvs import ensure_environment_venv
from runner.models import EnvironmentImage
from studio.models import Environment
from studio.registry.versions import content_hash

BASE_IMAGE = "studio/python:3.11-bookworm"
ENGINE = os.environ.get("STUDIO_DOCKER_URL") or None
PY311 = BaseImageFacts(python="3.11.2")


def env_spec(**fields) -> dict:
    spec = {
        "name": "test-env",
        "description": "",
        "tags": {},
        "image": BASE_IMAGE,
        "build": None,
        "conda": None,
        "variables": {},
        "docker_enabled": True,
        "user_managed_dependencies": False,
        "interpreter_path": "python",
        "dockerfile": None,
        "shm_size": None,
    }
    spec.update(fields)
    return spec


def unsaved(**fields) -> Environment:
    spec = env_spec(**fields)
    return Environment(name=spec["name"], version="1", spec=spec, content_hash=content_hash(spec))


def saved(**fields) -> Environment:
    """A registered environment whose hash (and so image tag) is unique to this test run."""
    fields.setdefault("description", uuid.uuid4().hex)
    spec = env_spec(**fields)
    return Environment.objects.create(
        name=spec["name"], version="1", spec=spec, content_hash=content_hash(spec)
    )


@pytest.fixture
def images():
    """Tags to remove from the engine afterwards (each with its `-context` image)."""
    tags: list[str] = []
    yield tags
    client = docker_client(ENGINE)
    try:
        for tag in tags:
            for name in (tag, f"{tag}-context"):
                try:
                    client.images.remove(name, force=True)
                except Exception:  # not there: nothing to clean
                    pass
    finally:
        client.close()


@pytest.fixture
def build_settings(settings, tmp_path):
    settings.STUDIO_HOME = tmp_path
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    settings.STUDIO_IMAGE_MAP = {}
    settings.STUDIO_BASE_IMAGE = BASE_IMAGE
    settings.STUDIO_BUILD_CA_BUNDLE = os.environ.get("PIP_CERT") or ""
    return settings


# --- Dockerfiles and requirements ----------------------------------------------------------


def test_an_image_only_environment_adds_labels_and_never_runs_as_root(settings):
    settings.STUDIO_IMAGE_MAP = {"python": BASE_IMAGE}
    environment = unsaved(image="python:3.11")
    dockerfile, notes = generate_dockerfile(environment, ca_bundle=False)

    lines = dockerfile.splitlines()
    assert lines[0] == f"FROM {BASE_IMAGE}"
    assert "USER root" not in lines and "RUN" not in dockerfile
    assert f'studio.environment.hash="{environment.content_hash}"' in dockerfile
    assert 'studio.environment="test-env:1"' in dockerfile
    assert lines[-1] == "USER 65532:65532"
    assert any("no packages" in note for note in notes)

    settings.STUDIO_BASE_IMAGE = "studio/other:1"
    assert generate_dockerfile(unsaved(image=None), ca_bundle=False)[0].startswith("FROM studio/other:1\n")


def test_the_pip_list_of_a_conda_file_is_installed_into_a_venv(settings):
    environment = unsaved(conda={"dependencies": ["pip", {"pip": ["scikit-learn>=1.5,<1.6", "six"]}]})
    dockerfile, notes = generate_dockerfile(environment, base_image=BASE_IMAGE, ca_bundle=False, facts=PY311)
    lines = dockerfile.splitlines()

    root, venv = (
        lines.index("USER root"),
        next(i for i, ln in enumerate(lines) if "-m venv /opt/studio/venv" in ln),
    )
    assert root < venv
    assert "chown -R 65532:65532 /opt/studio" in lines[venv]
    pip = next(i for i, ln in enumerate(lines) if "pip install" in ln)
    assert lines.index("USER 65532:65532") < pip  # pip runs as the step user
    assert "-r /opt/studio/requirements.txt" in lines[pip]
    assert any(ln.startswith("ENV PATH=/opt/studio/venv/bin:") for ln in lines)
    assert lines[-1] == "USER 65532:65532"
    assert "PIP_CERT" not in dockerfile
    assert requirements_text(environment) == "scikit-learn>=1.5,<1.6\nsix\n"
    assert any("virtualenv /opt/studio/venv" in note for note in notes)


def test_conda_packages_go_to_pip_under_the_same_name_and_the_log_says_so():
    conda = {
        "channels": ["conda-forge"],
        "dependencies": [
            "python=3.11",
            "pip",
            "numpy=1.26",
            "conda-forge::scipy>=1.10",
            "pyyaml",
            {"pip": ["six"]},
        ],
    }
    requirements = environment_requirements(unsaved(conda=conda), facts=PY311)

    assert requirements.pip == ("numpy==1.26.*", "scipy>=1.10", "pyyaml", "six")
    assert requirements.conda == ()
    assert any(
        "installed with pip under the same name" in n and "numpy=1.26 -> numpy==1.26.*" in n
        for n in requirements.notes
    )
    assert not any(n.startswith("WARNING") for n in requirements.notes)

    skipped = environment_requirements(unsaved(conda=conda), facts=None)
    assert any("detection of conda/micromamba was skipped" in n for n in skipped.notes)

    tool = BaseImageFacts(python="3.11.2", conda_tool="/opt/conda/bin/conda", conda_prefix="/opt/conda")
    with_conda = environment_requirements(unsaved(conda=conda), facts=tool)
    assert with_conda.pip == ("six",)
    assert with_conda.conda == ("python=3.11", "numpy=1.26", "conda-forge::scipy>=1.10", "pyyaml")
    dockerfile, _ = generate_dockerfile(unsaved(conda=conda), base_image="img", ca_bundle=False, facts=tool)
    assert "/opt/conda/bin/conda install -y -n base -c conda-forge python=3.11 numpy=1.26" in dockerfile
    assert "/opt/conda/bin/conda run -n base python -m pip install" in dockerfile
    assert "ENV PATH=/opt/conda/bin:" in dockerfile


@pytest.mark.parametrize(
    ("conda", "pip"),
    [
        ("numpy", "numpy"),
        ("numpy=1.26", "numpy==1.26.*"),
        ("numpy==1.26.4", "numpy==1.26.4"),
        ("numpy=1.26=py311_0", "numpy==1.26.*"),
        ("numpy 1.26.*", "numpy==1.26.*"),
        ("numpy>=1.26,<3", "numpy>=1.26,<3"),
        ("conda-forge::pandas>=2", "pandas>=2"),
    ],
)
def test_conda_match_specs_become_pip_requirements(conda, pip):
    assert conda_to_pip(conda)[1] == pip


def test_a_different_python_version_is_warned_about():
    for requested, warned in (
        ("python=3.10", True),
        ("python=3.11", False),
        ("python>=3.9", False),
        ("python<3.11", True),
    ):
        notes = environment_requirements(unsaved(conda={"dependencies": [requested]}), facts=PY311).notes
        warnings = [n for n in notes if n.startswith("WARNING")]
        assert bool(warnings) == warned, (requested, notes)
        if warned:
            assert requested in warnings[0] and "3.11.2" in warnings[0]
    dockerfile, notes = generate_dockerfile(
        unsaved(conda={"dependencies": ["python=3.10", "six"]}),
        base_image=BASE_IMAGE,
        ca_bundle=False,
        facts=PY311,
    )
    assert any(n.startswith("WARNING") and "python=3.10" in n for n in notes)


def test_variables_become_env_lines_with_quoting():
    environment = unsaved(variables={"MODE": "fast", "QUOTED": 'say "hi" to $HOME\\now'})
    dockerfile, _ = generate_dockerfile(environment, ca_bundle=False)
    assert 'ENV MODE="fast" QUOTED="say \\"hi\\" to \\$HOME\\\\now"' in dockerfile.splitlines()
    with pytest.raises(ImageBuildError):
        generate_dockerfile(unsaved(variables={"BAD NAME": "x"}), ca_bundle=False)


def test_the_build_ca_bundle_is_copied_in_and_used_by_pip():
    environment = unsaved(conda={"dependencies": [{"pip": ["six"]}]})
    dockerfile, _ = generate_dockerfile(environment, base_image=BASE_IMAGE, ca_bundle=True)
    ca = "/usr/local/share/ca-certificates/studio-build-ca.crt"
    assert f"COPY studio-build-ca.crt {ca}" in dockerfile.splitlines()
    pip = next(ln for ln in dockerfile.splitlines() if "pip install" in ln)
    assert f"PIP_CERT={ca}" in pip and f"REQUESTS_CA_BUNDLE={ca}" in pip
    assert "ENV PIP_CERT" not in dockerfile  # for the build only


def test_a_build_context_is_built_first_and_used_as_the_base():
    environment = unsaved(image=None, build={"context": "ab" * 32, "dockerfile_path": "Dockerfile"})
    dockerfile, notes = generate_dockerfile(environment, ca_bundle=False)
    assert dockerfile.startswith(f"FROM {environment_image_tag(environment)}-context\n")
    assert context_image_tag(environment) in notes[0]
    inline = unsaved(image=None, dockerfile="FROM studio/python:3.11-bookworm\n")
    assert generate_dockerfile(inline, ca_bundle=False)[0].startswith(f"FROM {context_image_tag(inline)}\n")


def test_user_managed_dependencies_install_nothing():
    environment = unsaved(user_managed_dependencies=True, conda={"dependencies": [{"pip": ["six"]}]})
    dockerfile, notes = generate_dockerfile(environment, ca_bundle=False)
    assert "RUN" not in dockerfile and "venv" not in dockerfile
    assert any("user_managed_dependencies" in note for note in notes)


def test_image_tags_are_sanitised_and_hash_based():
    environment = unsaved(name="My Env_2.0!")
    assert environment_image_tag(environment) == f"studio/env-my-env-2-0:{environment.content_hash[:24]}"


# --- Real builds ------------------------------------------------------------------------------


@pytest.mark.docker
@pytest.mark.django_db
def test_a_real_build_installs_pip_packages_for_the_step_user(build_settings, images):
    environment = saved(
        name="exec-test-six",
        conda={"dependencies": ["python=3.11", {"pip": ["six"]}]},
        variables={"STUDIO_TEST_VAR": "hello world"},
    )
    images.append(environment_image_tag(environment))
    lines: list[str] = []

    tag = ensure_environment_image(environment, base_url=ENGINE, log=lines.append)

    assert tag == environment_image_tag(environment)
    assert inspect_image(tag, base_url=ENGINE)["Config"]["User"] == "65532:65532"
    code, output = run_once(
        tag,
        ["python", "-c", "import os, six; print(os.getuid(), six.__name__, os.environ['STUDIO_TEST_VAR'])"],
        base_url=ENGINE,
    )
    assert code == 0, output
    assert output.strip() == "65532 six hello world"
    row = EnvironmentImage.objects.get(environment=environment, target=ENGINE or "")
    assert (row.status, row.builds, row.tag, row.error) == (ImageStatus.READY, 1, tag, "")
    assert "six" in row.log and row.finished_at is not None
    assert any("six" in line for line in lines)

    started = time.monotonic()
    again: list[str] = []
    assert ensure_environment_image(environment, base_url=ENGINE, log=again.append) == tag
    assert time.monotonic() - started < 2 and again == []
    assert EnvironmentImage.objects.get(pk=row.pk).builds == 1


@pytest.mark.docker
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_callers_build_once(build_settings, images):
    environment = saved(name="exec-test-once", variables={"ONCE": "1"})
    tag = environment_image_tag(environment)
    images.append(tag)
    barrier = threading.Barrier(10)
    logs: list[list[str]] = [[] for _ in range(10)]
    results: list[object] = [None] * 10

    def work(index: int) -> None:
        try:
            barrier.wait()
            results[index] = ensure_environment_image(environment, base_url=ENGINE, log=logs[index].append)
        except Exception as exc:  # reported by the assertion below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert results == [tag] * 10
    row = EnvironmentImage.objects.get(environment=environment)
    assert (row.status, row.builds) == (ImageStatus.READY, 1)
    builders = [log for log in logs if log and log[0] != WAITING_LINE]
    assert len(builders) == 1
    waiters = [log for log in logs if log and log[0] == WAITING_LINE]
    assert len(waiters) == 9  # all asked before the build ended
    assert all(log[1:] == builders[0] for log in waiters)  # each passed on the build's log once

    again: list[str] = []
    assert ensure_environment_image(environment, base_url=ENGINE, log=again.append) == tag
    assert again == [] and EnvironmentImage.objects.get(pk=row.pk).builds == 1

    # The image vanished from the engine: the next caller builds it again.
    client = docker_client(ENGINE)
    try:
        client.images.remove(tag, force=True)
    finally:
        client.close()
    assert ensure_environment_image(environment, base_url=ENGINE, log=lambda _line: None) == tag
    assert EnvironmentImage.objects.get(pk=row.pk).builds == 2


@pytest.mark.docker
@pytest.mark.django_db
def test_a_missing_base_image_fails_with_how_to_get_it(build_settings, images):
    environment = saved(name="exec-test-missing", image="studio/no-such-base:0")
    images.append(environment_image_tag(environment))

    with pytest.raises(ImageBuildError, match="studio image bootstrap") as caught:
        ensure_environment_image(environment, base_url=ENGINE, log=lambda _line: None)
    assert "studio/no-such-base:0 is not on the engine" in str(caught.value)
    row = EnvironmentImage.objects.get(environment=environment)
    assert row.status == ImageStatus.FAILED and "studio image bootstrap" in row.error


@pytest.mark.django_db
def test_a_local_virtualenv_is_built_once_and_isolated(build_settings):
    environment = saved(name="exec-test-venv", conda={"dependencies": ["python=3.11", {"pip": ["six"]}]})
    lines: list[str] = []

    path = ensure_environment_venv(environment, log=lines.append)

    assert path == build_settings.STUDIO_HOME / "venvs" / environment.content_hash[:24]
    python = str(path / "bin" / "python")
    assert subprocess.run([python, "-c", "import six"], capture_output=True).returncode == 0
    isolated = subprocess.run([python, "-c", "import django"], capture_output=True)
    assert isolated.returncode != 0  # not the worker's site-packages
    # Steps call `python -m pip`: the env has its own pip, copied in (not linked to the seed cache,
    # which may lie where the step's user cannot go) and readable by that user.
    pip = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr
    assert str(path) in pip.stdout
    site_packages = next(path.glob("lib/python3*/site-packages"))
    for file in [site_packages, *site_packages.rglob("*")]:
        assert not file.is_symlink(), file
        wanted = 0o005 if file.is_dir() else 0o004  # others may list and enter folders, read files
        assert file.stat().st_mode & wanted == wanted, file
    row = EnvironmentImage.objects.get(environment=environment, target="venv")
    assert f"studio: creating the virtualenv {path}" in row.log
    assert (row.status, row.builds, row.tag) == (ImageStatus.READY, 1, str(path))
    assert "six" in row.log
    assert ensure_environment_venv(environment, log=lines.append) == path
    assert EnvironmentImage.objects.get(pk=row.pk).builds == 1


@pytest.mark.docker
@pytest.mark.django_db
def test_a_build_context_is_built_as_a_first_stage(build_settings, images, tmp_path):
    from studio.storage.snapshotting import snapshot_folder

    build_settings.STUDIO_IMAGE_MAP = {"python": BASE_IMAGE}
    context = tmp_path / "context"
    (context / "docker").mkdir(parents=True)
    (context / "hello.txt").write_text("from the context\n")
    (context / "docker" / "Dockerfile").write_text("FROM python:3.11\nCOPY hello.txt /opt/ctx/hello.txt\n")
    digest = snapshot_folder(context).digest
    environment = saved(
        name="exec-test-context",
        image=None,
        build={"context": digest, "dockerfile_path": "docker/Dockerfile"},
        variables={"FROM_ENV": "yes"},
    )
    tag = environment_image_tag(environment)
    images.append(tag)
    lines: list[str] = []

    assert ensure_environment_image(environment, base_url=ENGINE, log=lines.append) == tag

    code, output = run_once(
        tag, ["bash", "-c", 'cat /opt/ctx/hello.txt; echo "$FROM_ENV"; id -u'], base_url=ENGINE
    )
    assert (code, output.split()) == (0, ["from", "the", "context", "yes", "65532"])
    assert inspect_image(context_image_tag(environment), base_url=ENGINE)
    assert any("built first" in line for line in lines)
