"""The ASGI application as a child process of `studio serve --workers N` loads it.

The same application as config.asgi, in a process that stops when its supervisor dies: uvicorn's
supervisor stops its children on SIGINT and SIGTERM, but a supervisor killed outright (SIGKILL,
the OOM killer) would leave them serving the shared socket with nobody to stop them. On Linux the
child asks the kernel for SIGTERM when its parent goes (PR_SET_PDEATHSIG), and stops at once if
the parent is already gone.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def stop_with_supervisor() -> None:
    """SIGTERM this process when the process that spawned it ends (Linux; elsewhere nothing)."""
    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent.pid:  # the supervisor died before the request took effect
        os._exit(0)


stop_with_supervisor()

from config.asgi import application  # noqa: E402

__all__ = ["application"]
