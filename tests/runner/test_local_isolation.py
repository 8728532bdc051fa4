"""A `local` step cannot read the Studio database, its secrets or other jobs' folders (issue #16).

Real bubblewrap, real files, a real step: STUDIO_LOCAL_SANDBOX=bwrap makes a missing or broken
bwrap fail these tests instead of skipping them (CI installs the bubblewrap package).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

import pytest

from runner.executors.base import Mount, StepLaunch
from runner.executors.local import LocalExecutor, sandboxed
from studio.home import secure_home

STEP_UID = 65532


@pytest.fixture
def home(settings) -> Path:
    """A STUDIO_HOME with a database, secrets, two jobs and a snapshot, as Studio lays them out."""
    settings.STUDIO_LOCAL_SANDBOX = "bwrap"
    base = Path(tempfile.mkdtemp(prefix="studio-isolation-", dir="/tmp"))
    base.chmod(0o755)
    home = base / "home"
    home.mkdir()
    (home / "studio.sqlite3").write_text("SESSION-KEYS-AND-PASSWORD-HASHES")
    (home / "studio.sqlite3-wal").write_text("WAL")
    (home / "secret_key").write_text("THE-SECRET-KEY")
    (home / "admin_password").write_text("THE-ADMIN-PASSWORD")
    other = home / "artifacts" / "jobs" / "other-job" / "train"
    other.mkdir(parents=True)
    (other / "model.txt").write_text("OTHER-JOBS-MODEL")
    snapshot = home / "artifacts" / "snapshots" / "ab" / "abcdef"
    snapshot.mkdir(parents=True)
    (snapshot / "data.csv").write_text("x,y\n1,2\n")
    for path in (snapshot.parent, snapshot, home / "artifacts" / "jobs" / "other-job", other):
        path.chmod(0o755)
    (snapshot / "data.csv").chmod(0o644)
    (other / "model.txt").chmod(0o644)
    yield home
    shutil.rmtree(base, ignore_errors=True)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _step(home: Path, command: str) -> StepLaunch:
    folder = home / "artifacts" / "jobs" / "my-job" / "step"
    work, output = folder / ".work", folder / "out"
    for path in (folder.parent, folder, work, output):
        path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        for path in (work, output):
            os.chown(path, STEP_UID, STEP_UID)
    user = f"{STEP_UID}:{STEP_UID}" if os.geteuid() == 0 else f"{os.getuid()}:{os.getgid()}"
    mounts = (
        Mount(home / "artifacts" / "snapshots" / "ab" / "abcdef", read_only=True),
        Mount(output, read_only=False),
    )
    return StepLaunch(
        job="my-job", step="step", attempt=1, command=command, workdir=work, mounts=mounts, user=user
    )


def _run(executor: LocalExecutor, launch: StepLaunch) -> tuple[int | None, str]:
    handle = executor.start(launch)
    lines: list[str] = []
    executor.follow_logs(handle, lines.append)
    code = executor.wait(handle, 30)
    executor.remove(handle)
    return code, "\n".join(lines)


def test_a_local_step_sees_its_own_files_and_none_of_studio_home(home):
    changes = secure_home(home, sqlite=home / "studio.sqlite3")

    for name in ("studio.sqlite3", "studio.sqlite3-wal", "secret_key", "admin_password"):
        assert _mode(home / name) == 0o600, name
    assert _mode(home) == 0o711
    assert _mode(home / "artifacts") == 0o711
    assert any("secret_key" in change for change in changes)
    assert secure_home(home, sqlite=home / "studio.sqlite3") == []  # nothing left to change

    launch = _step(home, "")
    snapshot, output = (str(mount.path) for mount in launch.mounts)
    command = f"""
        cat {home}/studio.sqlite3 || echo "no database"
        cat {home}/secret_key || echo "no secret key"
        cat {home}/artifacts/jobs/other-job/train/model.txt || echo "no other job"
        echo "listing: $(ls -A {home})"
        cat {snapshot}/data.csv
        echo written > {output}/result.txt && echo "output written"
        echo scratch > /tmp/scratch && echo "tmp written"
        echo nope > {snapshot}/new.txt || echo "input read-only"
    """
    assert sandboxed(launch)
    code, text = _run(LocalExecutor(), _step(home, command))

    assert code == 0, text
    for secret in ("SESSION-KEYS", "THE-SECRET-KEY", "OTHER-JOBS-MODEL", "studio.sqlite3\n"):
        assert secret not in text
    for refused in ("no database", "no secret key", "no other job", "input read-only"):
        assert refused in text
    assert "No such file or directory" in text  # the sandbox has no STUDIO_HOME, beyond the step's own
    assert "listing: artifacts\n" in text  # made by bwrap to hold the step's own folders
    assert "x,y\n1,2" in text
    assert "output written" in text and "tmp written" in text
    assert (Path(output) / "result.txt").read_text() == "written\n"
    assert not (Path(snapshot) / "new.txt").exists()


def _sleeping(seconds: str) -> list[int]:
    """Host pids of processes running `sleep SECONDS`, in any PID namespace."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().split(b"\0")[:2] == [
                b"sleep",
                seconds.encode(),
            ]:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_a_sandboxed_step_still_stops_gracefully_and_as_a_whole_group(home):
    executor = LocalExecutor()
    # The step has a PID namespace of its own: its `$!` is not the host's pid; the child is found
    # on the host by its unique command line.
    launch = _step(home, "trap 'echo got TERM; exit 7' TERM; sleep 600.375 & echo started > child; wait")
    assert sandboxed(launch)
    handle = executor.start(launch)
    deadline = time.monotonic() + 10
    while not _sleeping("600.375") or not (Path(launch.workdir) / "child").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    [child] = _sleeping("600.375")

    executor.stop(handle, grace_seconds=5)
    lines: list[str] = []
    executor.follow_logs(handle, lines.append)
    # The step's own TERM handler ran and its exit code came back (not bwrap dying of TERM).
    assert executor.wait(handle, 5) == 7
    assert "got TERM" in lines
    deadline = time.monotonic() + 5
    while Path(f"/proc/{child}").exists() and b") Z" not in Path(f"/proc/{child}/stat").read_bytes():
        assert time.monotonic() < deadline, "the step's background child survived"
        time.sleep(0.05)
    executor.remove(handle)


def test_a_daemon_started_in_a_session_of_its_own_dies_with_the_sandboxed_step(home):
    """`setsid` leaves the process group that stop() and remove() signal; the step's PID namespace
    still takes the daemon down when the step's command ends (issue #16)."""
    executor = LocalExecutor()
    launch = _step(
        home, "setsid sh -c 'trap \"\" HUP TERM; exec sleep 601.625' </dev/null >/dev/null 2>&1 & sleep 1"
    )
    assert sandboxed(launch)
    code, _text = _run(executor, launch)
    assert code == 0
    deadline = time.monotonic() + 5
    while _sleeping("601.625"):
        assert time.monotonic() < deadline, "the step's daemon outlived it"
        time.sleep(0.05)
