"""Copy mode: what a remote engine needs (nothing bind-mounted; files go through the Docker API).

The local engine is forced into copy mode: `put_archive` / `get_archive` are the same calls a
remote engine over tcp:// or ssh:// receives.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import uuid
from pathlib import Path

import pytest

from runner.executors.base import ExecutorError, Mount, StepLaunch
from runner.executors.docker import docker_client
from runner.executors.docker_step import DockerExecutor, _copy_out_pairs, _extract_safely, transfer_mode

BASE_IMAGE = os.environ.get("STUDIO_BASE_IMAGE", "studio/python:3.11-bookworm")
ENGINE = os.environ.get("STUDIO_DOCKER_URL") or None


@pytest.mark.parametrize(
    ("url", "mode"),
    [
        (None, "bind"),
        ("", "bind"),
        ("unix:///var/run/docker.sock", "bind"),
        ("tcp://10.0.0.5:2376", "copy"),
        ("ssh://me@gpu-box", "copy"),
        ("https://engine.example:2376", "copy"),
        ("http://engine.example:2375", "copy"),
        ("engine.example:2375", "copy"),
    ],
)
def test_the_transfer_mode_follows_the_engine_url(url, mode):
    assert transfer_mode(url) == mode
    assert DockerExecutor(url).transfer == mode
    assert DockerExecutor(url, transfer="copy").transfer == "copy"
    assert DockerExecutor(url, transfer="bind").transfer == "bind"


def test_an_unknown_transfer_is_refused():
    with pytest.raises(ValueError):
        DockerExecutor(None, transfer="rsync")


def _tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    buffer.seek(0)
    return buffer


def _member(name: str, *, data: bytes | None = None, link: str | None = None, kind=None):
    info = tarfile.TarInfo(name)
    if link is not None:
        info.type, info.linkname = kind or tarfile.SYMTYPE, link
    elif data is None:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    else:
        info.size = len(data)
    return info, data


def test_results_are_extracted_under_the_folder(tmp_path):
    archive = _tar(
        _member("out"),
        _member("out/sub"),
        _member("out/sub/a.txt", data=b"a"),
        _member("out/link", link="sub/a.txt"),
        _member("out/hard", link="out/sub/a.txt", kind=tarfile.LNKTYPE),
    )
    _extract_safely(archive, tmp_path)
    assert (tmp_path / "sub" / "a.txt").read_bytes() == b"a"
    assert os.readlink(tmp_path / "link") == "sub/a.txt"
    assert (tmp_path / "hard").read_bytes() == b"a"


@pytest.mark.parametrize(
    "member",
    [
        _member("out/../../escape.txt", data=b"x"),
        _member("/etc/escape.txt", data=b"x"),
        _member("out/abs", link="/etc/passwd"),
        _member("out/up", link="../../etc/passwd"),
        _member("out/hard", link="../etc/passwd", kind=tarfile.LNKTYPE),
    ],
)
def test_unsafe_results_are_refused(tmp_path, member):
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(ExecutorError):
        _extract_safely(_tar(_member("out"), member), root)
    assert not (tmp_path / "escape.txt").exists()


@pytest.fixture
def job() -> str:
    name = f"test-remote-{uuid.uuid4().hex[:10]}"
    yield name
    executor = DockerExecutor(ENGINE)
    for container_id, _labels, _state in executor.find_step_containers(name):
        executor.remove(container_id)
    executor.close()


@pytest.mark.docker
def test_copy_mode_copies_inputs_in_and_results_out_without_mounts(job, tmp_path):
    inputs = tmp_path / "data" / "input"
    (inputs / "nested").mkdir(parents=True)
    (inputs / "numbers.txt").write_text("1\n2\n3\n")
    (inputs / "nested" / "deep.txt").write_text("deep\n")
    single = tmp_path / "data" / "single.csv"
    single.write_text("a,b\n")
    workdir = tmp_path / "job" / "train" / ".work"
    (workdir / "outputs").mkdir(parents=True)
    (workdir / "train.py").write_text("print('code')\n")
    (workdir / "stale.txt").write_text("from an earlier attempt on the host\n")
    model = tmp_path / "job" / "train" / "model"
    model.mkdir()
    (model / "old.bin").write_text("replaced by what the step leaves\n")
    command = (
        f"set -u; cat {inputs}/numbers.txt > {model}/copy.txt; "
        f"cat {single} >> {model}/copy.txt; "
        f"mkdir -p {model}/sub && cat {inputs}/nested/deep.txt > {model}/sub/deep.txt; "
        f"rm -f {model}/old.bin; "
        f"(echo tampered >> {inputs}/numbers.txt) 2>/dev/null && echo MODIFIED || echo refused-write; "
        f"rm -f {inputs}/numbers.txt 2>/dev/null && echo REMOVED || echo refused-rm; "
        f"touch {inputs}/new.txt 2>/dev/null && echo CREATED || echo refused-create; "
        f"(echo x > {single}) 2>/dev/null && echo MODIFIED || echo refused-single; "
        "rm stale.txt; echo metric > outputs/metrics.txt; python train.py > logs.txt; "
        "echo $(pwd); exit 4"
    )
    launch = StepLaunch(
        job=job,
        step="train",
        attempt=1,
        command=command,
        workdir=workdir,
        mounts=(Mount(inputs), Mount(single), Mount(model, read_only=False)),
        image=BASE_IMAGE,
        user="1000:1000",
    )
    executor = DockerExecutor(ENGINE, transfer="copy")
    try:
        handle = executor.start(launch)
        lines: list[str] = []
        executor.follow_logs(handle, lines.append)
        assert executor.wait(handle, 60) == 4

        client = docker_client(ENGINE)
        try:
            data = client.api.inspect_container(handle)
        finally:
            client.close()
        assert not data["HostConfig"].get("Binds")
        assert not data["Mounts"]
        assert data["Config"]["WorkingDir"] == str(workdir)
        assert data["HostConfig"]["CapDrop"] == ["ALL"]
        assert "no-new-privileges" in data["HostConfig"]["SecurityOpt"]

        assert str(workdir) in lines, lines
        for refused in ("refused-write", "refused-rm", "refused-create", "refused-single"):
            assert refused in lines, lines
        assert "MODIFIED" not in lines and "REMOVED" not in lines and "CREATED" not in lines

        # The results are back on the host, replacing what was there.
        assert (model / "copy.txt").read_text() == "1\n2\n3\na,b\n"
        assert (model / "sub" / "deep.txt").read_text() == "deep\n"
        assert not (model / "old.bin").exists()
        assert (workdir / "outputs" / "metrics.txt").read_text() == "metric\n"
        assert (workdir / "logs.txt").read_text() == "code\n"
        assert not (workdir / "stale.txt").exists()
        # The inputs on the host are untouched.
        assert (inputs / "numbers.txt").read_text() == "1\n2\n3\n"
        assert sorted(p.name for p in inputs.iterdir()) == ["nested", "numbers.txt"]
        assert single.read_text() == "a,b\n"

        # Idempotent: a second wait (and an inspect) do not copy again.
        (model / "host-only.txt").write_text("kept\n")
        assert executor.wait(handle, 10) == 4
        assert executor.inspect(handle).exit_code == 4
        assert (model / "host-only.txt").exists()
        executor.remove(handle)
    finally:
        executor.close()


@pytest.mark.docker
def test_another_executor_adopting_the_container_copies_its_results_out(job, tmp_path):
    """After a worker crash the reconciler inspects the exited container and collects it."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    launch = StepLaunch(
        job=job,
        step="s",
        attempt=1,
        command=f"echo hi > {out}/x.txt",
        workdir=workdir,
        mounts=(Mount(out, read_only=False),),
        image=BASE_IMAGE,
    )
    starter = DockerExecutor(ENGINE, transfer="copy")
    handle = starter.start(launch)
    starter.close()  # the worker that started it is gone
    adopter = DockerExecutor(ENGINE)  # even in bind mode, the container's label says copy
    try:
        client = docker_client(ENGINE)
        try:
            client.api.wait(handle, timeout=60)
        finally:
            client.close()
        assert not (out / "x.txt").exists()
        inspection = adopter.inspect(handle)
        assert inspection.state == "exited" and inspection.exit_code == 0
        assert (out / "x.txt").read_text() == "hi\n"
        adopter.remove(handle)
    finally:
        adopter.close()


@pytest.mark.docker
def test_copy_mode_puts_files_at_their_container_paths_and_brings_them_back(job, tmp_path):
    """Fixed container paths: inputs and outputs under /studio, copied back to their host folders
    by a worker that adopts the container (the label pairs each container path with its host's)."""
    inputs = tmp_path / "data" / "input"
    inputs.mkdir(parents=True)
    (inputs / "numbers.txt").write_text("1\n2\n")
    single = tmp_path / "data" / "single.csv"
    single.write_text("a,b\n")
    workdir = tmp_path / "job" / "train" / ".work"
    workdir.mkdir(parents=True)
    (workdir / "train.py").write_text("print('code')\n")
    model = tmp_path / "job" / "train" / "model"
    model.mkdir()
    command = (
        "set -eu; cat /studio/inputs/input/numbers.txt /studio/inputs/single/single.csv "
        "> /studio/outputs/model/model; python train.py > ran.txt; pwd; "
        "(echo x > /studio/inputs/single/single.csv) 2>/dev/null && echo MODIFIED || echo refused"
    )
    launch = StepLaunch(
        job=job,
        step="train",
        attempt=1,
        command=command,
        workdir=workdir,
        container_workdir="/studio/work",
        mounts=(
            Mount(inputs, target="/studio/inputs/input"),
            Mount(single, target="/studio/inputs/single/single.csv"),
            Mount(model, read_only=False, target="/studio/outputs/model"),
        ),
        image=BASE_IMAGE,
    )
    starter = DockerExecutor(ENGINE, transfer="copy")
    handle = starter.start(launch)
    lines: list[str] = []
    starter.follow_logs(handle, lines.append)
    starter.close()  # the worker that started it is gone
    adopter = DockerExecutor(ENGINE)
    try:
        client = docker_client(ENGINE)
        try:
            client.api.wait(handle, timeout=60)
            data = client.api.inspect_container(handle)
        finally:
            client.close()
        assert data["Config"]["WorkingDir"] == "/studio/work"
        assert json.loads(data["Config"]["Labels"]["studio.copy_out"]) == [
            ["/studio/work", str(workdir)],
            ["/studio/outputs/model", str(model)],
        ]
        assert lines == ["/studio/work", "refused"], lines
        assert not (model / "model").exists()

        inspection = adopter.inspect(handle)
        assert inspection.state == "exited" and inspection.exit_code == 0
        assert (model / "model").read_text() == "1\n2\na,b\n"
        assert (workdir / "ran.txt").read_text() == "code\n"
        assert single.read_text() == "a,b\n"
        adopter.remove(handle)
    finally:
        adopter.close()


def test_copy_out_labels_pair_container_and_host_paths_and_old_ones_still_read():
    label = json.dumps([["/studio/work", "/srv/home/jobs/j/s/.work"], "/srv/home/jobs/j/s/out"])
    assert _copy_out_pairs(label) == [
        ("/studio/work", Path("/srv/home/jobs/j/s/.work")),
        ("/srv/home/jobs/j/s/out", Path("/srv/home/jobs/j/s/out")),
    ]
    for bad in ([["relative", "/x"]], [["/studio/../etc", "/x"]], [["/a", "/b", "/c"]], [3]):
        with pytest.raises((ValueError, ExecutorError)):
            _copy_out_pairs(json.dumps(bad))
