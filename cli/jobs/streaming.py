"""Streaming: `studio job stream` follows a job's live events until it ends."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO, Any

from cli.asset_verbs import api_call, checked
from cli.client import StudioClient
from cli.jobs.api import JOB_TERMINAL, STEP_TERMINAL, job_path
from cli.jobs.show import one_line
from cli.output import CommandError, emit

POLL_SECONDS = 0.5
FINAL_DRAIN_SECONDS = 10.0
QUIET_POLLS_BEFORE_CHECK = 20  # with no events for this many polls, ask the job itself


class Follower:
    """Prints a job's live events (status changes and log lines) until the job ends.

    It reads `GET /api/v1/jobs/<name>/events/?after=<seq>`, the same sequenced events the job's
    websocket carries, from the first one on: every status change and log line is printed once,
    in the order it happened, and a server restart or a dropped connection loses nothing (the
    next request asks for what came after the last event printed).
    """

    def __init__(
        self,
        client: StudioClient,
        name: str,
        *,
        out: IO[str] | None = None,
        interval: float = POLL_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.name = name
        self.out = out or sys.stdout
        self.interval = interval
        self.sleep = sleep
        self.after = 0  # the newest event seq handled
        self.seen: dict[str, tuple[Any, Any]] = {}
        self.offsets: dict[str, int] = {}
        self.job_status: str | None = None
        self.ended: dict | None = None  # the job event that ended the job
        self.width = 0

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def stamp(self) -> str:
        return time.strftime("%H:%M:%S")

    def get(self, path: str, params: dict | None = None) -> Any:
        """GET with a few retries on connection trouble and 5xx, so a server restart does not end it."""
        for attempt in range(20):
            try:
                response = api_call(self.client, "GET", path, params=params)
            except CommandError:
                if attempt == 19:
                    raise
                self.sleep(min(0.5 * (attempt + 1), 3))
                continue
            if response.status_code >= 500 and attempt < 19:
                self.sleep(min(0.5 * (attempt + 1), 3))
                continue
            return checked(response).json()
        raise CommandError(f"cannot follow job {self.name}")  # pragma: no cover

    def fetch(self) -> list[dict]:
        """The events after the last one handled (every page of them)."""
        frames: list[dict] = []
        while True:
            body = self.get(job_path(self.name, "events"), {"after": self.after})
            page = [frame for frame in body.get("events") or [] if int(frame.get("seq", 0)) > self.after]
            frames += page
            if page:
                self.after = max(self.after, *(int(frame["seq"]) for frame in page))
            if not body.get("more") or not page:
                return frames

    def status_line(self, step: dict) -> str:
        text = f"[{self.stamp()}] {step.get('step') or step.get('name')}: {step.get('status')}"
        extras = []
        if (step.get("attempt") or 0) > 1:
            extras.append(f"attempt {step['attempt']}")
        if step.get("reused_from"):
            extras.append(f"reused from {step['reused_from']}")
        if step.get("exit_code") not in (None, 0) and step.get("status") in STEP_TERMINAL:
            extras.append(f"exit code {step['exit_code']}")
        if extras:
            text += f" ({', '.join(extras)})"
        if step.get("status_reason") and step.get("status") in ("Failed", "Canceled", "Skipped"):
            text += f" — {one_line(step['status_reason'])}"
        return text

    def show(self, frame: dict) -> None:
        """Print one event: a job or step status change, or log lines (metric events are the
        `##studio[metric …]` lines already printed)."""
        kind = frame.get("type")
        if kind == "job":
            status = frame.get("status")
            if status in JOB_TERMINAL:
                self.ended = frame
            elif status != self.job_status:
                self.say(f"[{self.stamp()}] job {self.name}: {status}")
            self.job_status = status
        elif kind == "step":
            name = str(frame.get("step"))
            key = (frame.get("status"), frame.get("attempt"))
            if self.seen.get(name) != key:
                self.say(self.status_line(frame))
            self.seen[name] = key
        elif kind == "log":
            step = str(frame.get("step"))
            self.width = max(self.width, len(step))
            for entry in frame.get("lines") or []:
                seq = int(entry.get("seq", 0))
                if seq <= self.offsets.get(step, 0):
                    continue  # never print a line twice
                self.offsets[step] = seq
                self.say(f"{step:<{self.width}} | {entry.get('line', '')}")

    def follow(self) -> dict:
        """Print events until the job ends, then its last lines and final status; the ended job."""
        job = self.get(job_path(self.name))
        self.width = max([self.width, *(len(step["name"]) for step in job.get("steps") or [])])
        quiet = 0
        while self.ended is None:
            frames = self.fetch()
            for frame in frames:
                self.show(frame)
            quiet = 0 if frames else quiet + 1
            if self.ended is None and quiet and quiet % QUIET_POLLS_BEFORE_CHECK == 0:
                job = self.get(job_path(self.name))  # an ended job whose events are not kept
                if job.get("status") in JOB_TERMINAL:
                    self.ended = job
            if self.ended is None:
                self.sleep(self.interval)
        # Studio's last notes of a step come just after the job's end: wait until it is quiet.
        waited = 0.0
        while waited < FINAL_DRAIN_SECONDS:
            self.sleep(self.interval)
            waited += self.interval
            frames = self.fetch()
            if not frames:
                break
            for frame in frames:
                self.show(frame)
        job = self.get(job_path(self.name))
        status = job.get("status") or self.ended.get("status")
        line = f"[{self.stamp()}] Job {self.name} {status}"
        reason = job.get("status_reason") or self.ended.get("status_reason")
        if reason:
            line += f": {one_line(reason)}"
        self.say(line)
        return job


def stream(client: StudioClient, name: str, *, output: str = "text") -> int:
    """Follow a job to its end; 0 when it completed, 1 when it failed or was canceled."""
    out = sys.stderr if output == "json" else sys.stdout
    try:
        job = Follower(client, name, out=out).follow()
    except KeyboardInterrupt:
        print(
            f"\nStopped streaming; job {name} keeps running.\n"
            f"  Follow it again: studio job stream {name}\n"
            f"  Cancel it:       studio job cancel {name}",
            file=sys.stderr,
        )
        return 130
    if output == "json":
        emit(job, output="json", text="")
    return 0 if job.get("status") == "Completed" else 1


def run_stream(args) -> int:
    client = StudioClient.from_saved_login()
    client.request("GET", job_path(args.id))  # an unknown job stops here with the API's message
    return stream(client, args.id, output=args.output)
