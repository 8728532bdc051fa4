"""Tests for building and using Studio's offline Python base image."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import runner.base_image as base_image
from runner.executors.docker import inspect_image, run_once

BASE_IMAGE = os.environ.get("STUDIO_BASE_IMAGE", "studio/python:3.11-bookworm")


def test_it_reads_the_mirror_from_a_deb822_sources_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first enabled binary http(s) URI in sources.list.d wins over the default."""
    monkeypatch.delenv("STUDIO_DEBIAN_MIRROR", raising=False)
    parts = tmp_path / "sources.list.d"
    parts.mkdir()
    (parts / "debian.sources").write_text(
        "Types: deb-src\n"
        "URIs: http://src.example.org/debian\n"
        "Suites: bookworm\n"
        "Components: main\n"
        "\n"
        "Types: deb\n"
        "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
        "URIs: http://mirror.example.org/debian/\n"
        "Suites: bookworm bookworm-updates\n"
        "Components: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        "\n"
        "Types: deb\n"
        "URIs: http://mirror.example.org/debian-security\n"
        "Suites: bookworm-security\n"
        "Components: main\n"
    )

    assert base_image.debian_mirror(tmp_path) == "http://mirror.example.org/debian"

    monkeypatch.setenv("STUDIO_DEBIAN_MIRROR", "http://override.example.org/debian")
    assert base_image.debian_mirror(tmp_path) == "http://override.example.org/debian"


def test_it_falls_back_to_deb_debian_org_without_apt_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no apt sources at all the public Debian mirror is used."""
    monkeypatch.delenv("STUDIO_DEBIAN_MIRROR", raising=False)
    assert base_image.debian_mirror(tmp_path) == "http://deb.debian.org/debian"


def test_it_does_nothing_when_the_base_image_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    """An existing image short-circuits the build: no debootstrap, no tar, no import."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"unexpected subprocess call: {args!r}")

    checked: list[str] = []
    monkeypatch.setattr(base_image, "image_exists", lambda tag, **kwargs: checked.append(tag) or True)
    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(base_image, "import_rootfs", refuse)
    lines: list[str] = []

    built = base_image.bootstrap_base_image("studio/python:test", log=lines.append)

    assert built is False
    assert checked == ["studio/python:test"]
    assert any("already exists" in line for line in lines)


@pytest.mark.docker
def test_it_builds_a_base_image_that_runs_python_as_non_root() -> None:
    """The real image runs python3 and python, as uid 1000 by default."""
    base_image.bootstrap_base_image(BASE_IMAGE, ca_bundle=os.environ.get("PIP_CERT") or None)

    assert "3." in base_image.verify_base_image(BASE_IMAGE)
    assert run_once(BASE_IMAGE, ["python3", "-c", "print(1)"]) == (0, "1\n")
    assert run_once(BASE_IMAGE, ["python", "-c", "print(2 * 21)"]) == (0, "42\n")
    assert run_once(BASE_IMAGE, ["id", "-u"]) == (0, "65532\n")  # run_once's default user

    config = inspect_image(BASE_IMAGE)["Config"]
    # An image bootstrapped before STUDIO_STEP_UID existed still names 1000 (steps give --user anyway).
    assert config["User"] in ("65532:65532", "1000:1000")
    assert config["WorkingDir"] == "/home/studio"
    assert (config.get("Labels") or {}).get("studio.base") == "1"


def test_the_base_image_user_is_the_dedicated_step_user(tmp_path, settings) -> None:
    """The account and the default user of a new base image are STUDIO_STEP_UID/GID, not 1000."""
    settings.STUDIO_STEP_UID, settings.STUDIO_STEP_GID = 65532, 65533
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    for name in ("passwd", "group", "shadow"):
        (rootfs / "etc" / name).write_text("root:x:0:0:root:/root:/bin/bash\n" if name == "passwd" else "")

    base_image._add_studio_user(rootfs)

    assert "studio:x:65532:65533:Studio:/home/studio:/bin/bash" in (rootfs / "etc/passwd").read_text()
    assert "studio:x:65533:" in (rootfs / "etc/group").read_text()
    assert "USER 65532:65533" in base_image._image_changes(with_ca=False)
