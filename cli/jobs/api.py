"""The jobs API as these verbs see it: its paths, statuses and name rules."""

from __future__ import annotations

import re
from urllib.parse import quote

JOB_TERMINAL = ("Completed", "Failed", "Canceled")
JOB_STATUSES = ("NotStarted", "Queued", "Running", "CancelRequested", "Completed", "Failed", "Canceled")
STEP_TERMINAL = ("Completed", "Failed", "Canceled", "Skipped")
JOB_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
SERVER_NAME = re.compile(r"^[A-Za-z0-9_]+$")  # output names the API routes accept
# Step names: the same, joined by '.' inside pipeline components (outer.inner.step); never '.' or '..'
STEP_NAME = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")
DOWNLOAD_CHUNK = 256 * 1024


def job_path(name: str, *rest: str) -> str:
    """The API path of a job (or of something under it), each segment quoted."""
    return "/".join(["jobs", *(quote(str(part), safe="") for part in (name, *rest))]) + "/"
