"""Runs steps as processes on the Studio host (the `local` compute).

Each step is `bash -c COMMAND` in its own session (so its own process group), with a minimal
environment: the worker's secrets (SECRET_KEY, DATABASE_URL, ...) are never passed on. A worker
running as root starts the step as `StepLaunch.user` (numeric, never root), so the workdir, the
virtualenv and every parent folder must be searchable by that user; any other worker runs steps as
itself. Handles are process ids as text. Paths are host paths (`Mount.target` and
`StepLaunch.container_workdir` are for containers); resource limits (cpus, memory) are not applied.
With STUDIO_LOCAL_SANDBOX (auto, bwrap) the step runs in bubblewrap and sees only the system, its
virtualenv, its inputs and its own folders (see "The sandbox" below).

Adoption after a crash: a step's output pipe belongs to the worker that started it, and the exit
status of a process can only be read by its parent. A dead worker's steps therefore either died
with it (their next write hits a closed pipe) or keep running unadoptable; `inspect()` reports
such a process "gone" once it has ended, and `wait()` on it raises ExecutorError when it ends, so
the step is retried as an infrastructure failure.
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from runner.executors.base import ExecutorError, Inspection, LogSink, StepLaunch

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
POLL_SECONDS = 0.05

logger = logging.getLogger(__name__)

TimedLogSink = Callable[[float, str], None]


def step_environment(launch: StepLaunch) -> dict[str, str]:
    """The whole environment of a local step: nothing inherited from the worker but the basics."""
    path = SYSTEM_PATH
    env: dict[str, str] = {
        "HOME": str(launch.workdir),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
    }
    if launch.venv is not None:
        path = f"{Path(launch.venv) / 'bin'}:{path}"
        env["VIRTUAL_ENV"] = str(launch.venv)
    env["PATH"] = path
    env.update(launch.env)
    # Always set: an empty value hides every GPU from CUDA when the step got none.
    env["CUDA_VISIBLE_DEVICES"] = ",".join(launch.gpu_ids)
    return env


def _credentials(user: str) -> dict:
    """Popen arguments that drop a root worker's privileges to `user` ("uid:gid"); {} otherwise."""
    if os.geteuid() != 0:
        return {}
    uid_text, _, gid_text = user.partition(":")
    if not uid_text.isdigit() or (gid_text and not gid_text.isdigit()):
        raise ExecutorError(f"a root worker runs local steps as a numeric uid:gid, not {user!r}")
    uid = int(uid_text)
    gid = int(gid_text) if gid_text else uid
    if uid == 0:
        raise ExecutorError(f"steps never run as root (user {user!r} refused)")
    return {"user": uid, "group": gid, "extra_groups": []}


_setpriv_path: list[str | None] = []


def _setpriv() -> str | None:
    """util-linux `setpriv`, if this host has it (looked up once)."""
    if not _setpriv_path:
        _setpriv_path.append(shutil.which("setpriv", path=SYSTEM_PATH))
    return _setpriv_path[0]


def _as_user(argv: list[str], user: str) -> tuple[list[str], dict]:
    """`argv` and Popen arguments that run it as `user` when the worker is root.

    Popen drops privileges itself only by forking the whole worker (user= rules out vfork:
    several milliseconds for a big process, every step); `setpriv` sets the same ids (real,
    effective and saved uid and gid, no supplementary groups) after a cheap vfork.
    """
    credentials = _credentials(user)
    setpriv = _setpriv() if credentials else None
    if setpriv:
        ids = [f"--reuid={credentials['user']}", f"--regid={credentials['group']}", "--clear-groups"]
        return [setpriv, *ids, "--", *argv], {}
    return argv, credentials


def _argv_and_credentials(
    command: str, user: str, launch: StepLaunch | None = None
) -> tuple[list[str], dict]:
    """The argv and Popen arguments of a step's `bash -c COMMAND`, as `user` when the worker is
    root, inside the sandbox when `launch` is given and sandboxed(launch)."""
    argv = ["bash", "-c", command]
    if launch is not None and sandboxed(launch):
        env = _env()
        argv = [
            env,
            "--ignore-signal=TERM",
            *sandbox_arguments(launch, _bwrap() or "bwrap"),
            env,
            "--default-signal=TERM",
            *argv,
        ]
    return _as_user(argv, user)


# --- The sandbox (bubblewrap) ----------------------------------------------------------------
# A step sees the system read-only, its virtualenv and inputs read-only, its workdir and output
# folders read-write and a private /tmp: nothing else of the host, so neither STUDIO_HOME's
# database and secrets nor other jobs' folders. bwrap runs as the step's user (privileges are
# dropped before it starts) in a user namespace of its own, which it needs unprivileged.
#
# Signals: stop() sends SIGTERM to the step's process group, which holds bwrap and the step. bwrap
# would die of it at once and report 143 whether the step obeyed or not, so it starts with SIGTERM
# ignored (`env --ignore-signal`) and the step with it reset to the default (`--default-signal`).
# A PID namespace of its own (`--unshare-pid`, with a fresh /proc that shows only the step's
# processes): when the step's command ends, bwrap's init ends and the kernel kills whatever is
# left in it, so a daemon the step started in a session of its own (`setsid`, out of the process
# group that stop() and remove() signal) dies with the step instead of outliving it (issue #16).
# bwrap and its init keep the group of the step, so SIGTERM and SIGKILL still reach them all.

SANDBOX_MODES = ("auto", "bwrap", "off")
NAMESPACES = ("--unshare-user", "--unshare-pid")
SYSTEM_FOLDERS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_sandbox_probe: dict[str, bool] = {}


def sandbox_mode() -> str:
    """STUDIO_LOCAL_SANDBOX (auto when Django is not configured)."""
    try:
        from django.conf import settings

        return getattr(settings, "STUDIO_LOCAL_SANDBOX", "auto")
    except Exception:  # noqa: BLE001 - no settings: the default
        return "auto"


def _python_home(venv: Path) -> Path | None:
    """The installation a virtualenv's interpreter comes from (`home` of pyvenv.cfg, minus bin/)."""
    try:
        for line in (Path(venv) / "pyvenv.cfg").read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() == "home" and value.strip():
                home = Path(value.strip())
                return home.parent if home.name == "bin" else home
    except OSError:
        return None
    return None


def sandbox_arguments(launch: StepLaunch, bwrap: str) -> list[str]:
    """bwrap's arguments (up to and including `--`) for the step's minimal view of the host."""
    args = [bwrap, *NAMESPACES, "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    args += ["--die-with-parent"]
    args += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for folder in SYSTEM_FOLDERS:
        if os.path.islink(folder):
            args += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            args += ["--ro-bind", folder, folder]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
    if launch.gpu_ids:
        for device in sorted(Path("/dev").glob("nvidia*")):
            args += ["--dev-bind", str(device), str(device)]
    if launch.venv is not None:
        home = _python_home(Path(launch.venv))
        if home is not None and home.is_dir() and not home.resolve().is_relative_to("/usr"):
            args += ["--ro-bind", str(home), str(home)]
        args += ["--ro-bind-try", str(launch.venv), str(launch.venv)]
    # After /tmp's tmpfs: a STUDIO_HOME under /tmp must not be hidden by it.
    for mount in launch.mounts:
        args += ["--ro-bind" if mount.read_only else "--bind", str(mount.path), str(mount.path)]
    args += ["--bind", str(launch.workdir), str(launch.workdir), "--chdir", str(launch.workdir), "--"]
    return args


def _bwrap() -> str | None:
    return shutil.which("bwrap", path=SYSTEM_PATH)


def _env() -> str:
    return shutil.which("env", path=SYSTEM_PATH) or "/usr/bin/env"


def _sandbox_works(user: str) -> bool:
    """Whether bwrap can make its namespaces here as `user` (tried once per user)."""
    if user not in _sandbox_probe:
        bwrap = _bwrap()
        works = False
        if bwrap:
            probe_argv = [bwrap, *NAMESPACES, "--ro-bind", "/", "/", "--proc", "/proc", "true"]
            argv, credentials = _as_user(probe_argv, user)
            try:
                probe = subprocess.run(
                    argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30, **credentials
                )
                works = probe.returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                works = False
        _sandbox_probe[user] = works
        if not works and sandbox_mode() == "auto":
            logger.warning(
                "local steps run without a sandbox: bwrap (Debian package bubblewrap) is %s; "
                "set STUDIO_LOCAL_SANDBOX=bwrap to refuse that",
                "not installed" if not bwrap else "installed but cannot make user namespaces here",
            )
    return _sandbox_probe[user]


def sandboxed(launch: StepLaunch) -> bool:
    """Whether the step runs in bwrap: STUDIO_LOCAL_SANDBOX, and for auto whether it works here."""
    mode = sandbox_mode()
    if mode == "off":
        return False
    if _sandbox_works(launch.user):
        return True
    if mode == "bwrap":
        raise ExecutorError(
            "STUDIO_LOCAL_SANDBOX=bwrap but bwrap cannot run here: install bubblewrap and allow "
            "unprivileged user namespaces (kernel.unprivileged_userns_clone, user.max_user_namespaces)"
        )
    return False


def _exit_code(returncode: int) -> int:
    """A shell-style exit code: killed by signal N reads as 128 + N, as in Docker."""
    return 128 - returncode if returncode < 0 else returncode


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it has ended all the same.
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            state = file.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def _session_leader(pid: int) -> bool:
    """Whether `pid` leads its own session, as every step this executor starts does."""
    try:
        return os.getsid(pid) == pid
    except OSError:
        return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _sleep_until_exit(pid: int, timeout: float) -> None:
    """Block until the process exits or `timeout` passes, waking at once on exit.

    Popen.wait(timeout) polls with sleeps of up to 50 ms, which every step would pay; a pidfd
    becomes readable the moment the process ends.
    """
    try:
        descriptor = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return  # no pidfd here (or the process is gone): Popen.wait does the waiting
    try:
        poller = select.poll()
        poller.register(descriptor, select.POLLIN)
        poller.poll(max(0, int(timeout * 1000)))
    finally:
        os.close(descriptor)


class LocalExecutor:
    """The Executor protocol with subprocesses; one instance is shared by a worker's threads.

    Someone must read a started step's output with follow_logs: a step whose pipe is never read
    blocks once the pipe's buffer (64 KiB) is full.
    """

    def __init__(self) -> None:
        self._processes: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()

    def _get(self, handle: str) -> subprocess.Popen | None:
        with self._lock:
            return self._processes.get(handle)

    @staticmethod
    def _pid(handle: str) -> int:
        try:
            return int(handle)
        except ValueError:
            raise ExecutorError(f"{handle!r} is not a process id") from None

    def start(self, launch: StepLaunch) -> str:
        """Start `bash -c COMMAND` in the workdir, in a new session; return its pid."""
        workdir = Path(launch.workdir)
        try:
            argv, credentials = _argv_and_credentials(launch.command, launch.user, launch)
            workdir.mkdir(parents=True, exist_ok=True)
            process = subprocess.Popen(
                argv,
                cwd=workdir,
                env=step_environment(launch),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
                **credentials,
            )
        except PermissionError as exc:
            raise ExecutorError(
                f"cannot start step {launch.job}/{launch.step} as {launch.user}: {exc} "
                f"(the workdir {workdir} and all its parents must be searchable by that user)"
            ) from exc
        except OSError as exc:
            raise ExecutorError(f"cannot start step {launch.job}/{launch.step}: {exc}") from exc
        handle = str(process.pid)
        with self._lock:
            self._processes[handle] = process
        return handle

    def follow_logs(self, handle: str, sink: LogSink, *, since: float | None = None) -> None:
        """Send each output line to `sink` until the step's output closes.

        `since` is ignored: a process's output can be read once, by the worker that started it.
        A process this executor did not start has no output to follow.
        """
        self.follow_logs_with_time(handle, lambda _ts, line: sink(line), since=since)

    def follow_logs_with_time(self, handle: str, sink: TimedLogSink, *, since: float | None = None) -> None:
        """Like follow_logs, with the time each line was read."""
        process = self._get(handle)
        if process is None or process.stdout is None:
            return
        try:
            for raw in iter(process.stdout.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                if line.endswith("\r"):
                    line = line[:-1]
                sink(time.time(), line)
        except (ValueError, OSError):
            return  # remove() closed the pipe under us: the step is being forgotten

    def wait(self, handle: str, timeout: float | None) -> int | None:
        """The exit code (128 + N when killed by signal N), or None when `timeout` passed first."""
        process = self._get(handle)
        if process is None:
            return self._wait_foreign(self._pid(handle), timeout)
        if timeout is not None and process.poll() is None:
            _sleep_until_exit(process.pid, timeout)
        try:
            return _exit_code(process.wait(timeout=timeout))
        except subprocess.TimeoutExpired:
            return None

    def _wait_foreign(self, pid: int, timeout: float | None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while _alive(pid) and _session_leader(pid):
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(0.5 if timeout is None else min(0.5, max(0.0, deadline - time.monotonic())))
        raise ExecutorError(
            f"process {pid} was started by another worker: it has ended, but its exit code is lost"
        )

    def stop(self, handle: str, *, grace_seconds: float = 10) -> None:
        """SIGTERM to the step's process group, SIGKILL to what is left after `grace_seconds`."""
        process = self._get(handle)
        pgid = self._pid(handle)  # start_new_session: the group id is the leader's pid
        if process is None and not (_alive(pgid) and _session_leader(pgid)):
            return  # not ours and gone (or the pid now belongs to something else)
        if process is not None and process.poll() is not None and not _group_alive(pgid):
            return
        _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + max(0.0, grace_seconds)
        while time.monotonic() < deadline:
            if process is not None:
                process.poll()  # reap the leader so an emptied group reads as gone
            if not _group_alive(pgid):
                return
            time.sleep(POLL_SECONDS)
        _signal_group(pgid, signal.SIGKILL)
        if process is not None:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def inspect(self, handle: str) -> Inspection:
        """Running or exited (with its code); a process this executor did not start is "running"
        while it lives (and leads its own session, as steps do), else "gone"."""
        process = self._get(handle)
        if process is None:
            pid = self._pid(handle)
            if _alive(pid) and _session_leader(pid):
                return Inspection("running")
            return Inspection("gone")
        code = process.poll()
        if code is None:
            return Inspection("running")
        # A negative return code is the signal that ended it. No memory limit is applied to local
        # steps, so a SIGKILL is only named, never taken for an out-of-memory kill.
        return Inspection("exited", _exit_code(code), signal=-code if code < 0 else None)

    def remove(self, handle: str) -> None:
        """Kill what is left of the step's process group, reap it and forget it; idempotent."""
        with self._lock:
            process = self._processes.pop(handle, None)
        if process is None:
            return
        if process.poll() is None or _group_alive(process.pid):
            _signal_group(process.pid, signal.SIGKILL)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if process.stdout is not None:
            process.stdout.close()
