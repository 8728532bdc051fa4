"""The safe extractor on a tar of one folder (a container's results from Docker's `get_archive`)."""

from __future__ import annotations

import io
import os
import stat
import tarfile

import pytest

from studio.storage.extraction import UnsafeArchiveError, extract_folder_tar


def _tar(*members: tarfile.TarInfo, data: dict[str, bytes] | None = None) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for info in members:
            content = (data or {}).get(info.name)
            archive.addfile(info, io.BytesIO(content) if content is not None else None)
    buffer.seek(0)
    return buffer


def _folder(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info


def _file(name: str, size: int, *, mode: int = 0o644, mtime: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, mode, mtime
    return info


def test_it_keeps_the_mode_and_time_of_a_file_without_the_top_folder(tmp_path):
    archive = _tar(
        _folder("out"),
        _file("out/run.sh", 2, mode=0o750, mtime=1_600_000_000),
        _file("out/secret", 1, mode=0o600),
        data={"out/run.sh": b"ok", "out/secret": b"s"},
    )
    extract_folder_tar(archive, tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["run.sh", "secret"]
    assert stat.S_IMODE((tmp_path / "run.sh").stat().st_mode) == 0o750
    assert (tmp_path / "run.sh").stat().st_mtime == 1_600_000_000
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600


def test_a_steps_own_odd_names_are_kept(tmp_path):
    """Uploads refuse names with a backslash or a newline (check_uploaded_name); a step's results are
    the step's, so its copy-out keeps them."""
    names = ["out/a\\b.txt", "out/line\nbreak.txt"]
    archive = _tar(_folder("out"), *(_file(name, 1) for name in names), data=dict.fromkeys(names, b"x"))
    extract_folder_tar(archive, tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["a\\b.txt", "line\nbreak.txt"]


def test_it_skips_fifos_and_devices(tmp_path):
    fifo = tarfile.TarInfo("out/pipe")
    fifo.type = tarfile.FIFOTYPE
    device = tarfile.TarInfo("out/disk")
    device.type, device.devmajor, device.devminor = tarfile.BLKTYPE, 8, 0
    archive = _tar(_folder("out"), fifo, device, _file("out/a.txt", 1), data={"out/a.txt": b"a"})
    extract_folder_tar(archive, tmp_path)
    assert os.listdir(tmp_path) == ["a.txt"]


def test_it_refuses_a_member_whose_path_goes_through_a_link(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    link = tarfile.TarInfo("out/sub")
    link.type, link.linkname = tarfile.SYMTYPE, "."
    archive = _tar(_folder("out"), link, _file("out/sub/a.txt", 1), data={"out/sub/a.txt": b"a"})
    with pytest.raises(UnsafeArchiveError):
        extract_folder_tar(archive, root)


def test_it_refuses_a_link_that_resolves_outside_through_another_link(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    first = tarfile.TarInfo("out/up")
    first.type, first.linkname = tarfile.SYMTYPE, "."
    second = tarfile.TarInfo("out/escape")
    second.type, second.linkname = tarfile.SYMTYPE, "up/../.."
    with pytest.raises(UnsafeArchiveError):
        extract_folder_tar(_tar(_folder("out"), first, second), root)
