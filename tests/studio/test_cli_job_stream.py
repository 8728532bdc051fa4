"""`studio job stream` and `job create --stream`: the job's live events, printed once each, in order."""

from __future__ import annotations

import io
import re

import pytest

from cli import main
from cli.jobs import streaming

# --- Against a scripted events API ----------------------------------------------------------------


class ScriptedEvents:
    """A job's event stream that grows by one tick per poll interval, served in small pages."""

    def __init__(self, ticks: list[list[dict]], *, steps: list[str], page: int = 2) -> None:
        self.frames: list[dict] = []
        for tick in ticks:
            for frame in tick:
                frame.setdefault("seq", len(self.frames) + 1)
                self.frames.append(frame)
        self.visible_after = []  # how many frames are visible at each tick
        total = 0
        for tick in ticks:
            total += len(tick)
            self.visible_after.append(total)
        self.tick = 0
        self.page = page
        self.steps = steps
        self.event_requests = 0

    @property
    def visible(self) -> list[dict]:
        return self.frames[: self.visible_after[min(self.tick, len(self.visible_after) - 1)]]

    def sleep(self, _seconds: float) -> None:
        self.tick += 1

    def status(self) -> tuple[str, str]:
        jobs = [f for f in self.visible if f["type"] == "job"]
        return (jobs[-1]["status"], jobs[-1].get("status_reason", "")) if jobs else ("NotStarted", "")

    def get(self, path: str, params: dict | None = None) -> dict:
        if path.endswith("/events/"):
            self.event_requests += 1
            after = int((params or {}).get("after", 0))
            newer = [f for f in self.visible if f["seq"] > after]
            page = newer[: self.page]
            return {
                "events": page,
                "last_seq": page[-1]["seq"] if page else after,
                "more": len(newer) > len(page),
            }
        status, reason = self.status()
        return {
            "id": "j1",
            "status": status,
            "status_reason": reason,
            "steps": [{"name": name} for name in self.steps],
        }


def job(status: str, **extra) -> dict:
    return {"type": "job", "status": status, **extra}


def step(name: str, status: str, **extra) -> dict:
    return {"type": "step", "step": name, "status": status, "attempt": extra.pop("attempt", 1), **extra}


def log(name: str, *lines: tuple[int, str]) -> dict:
    return {"type": "log", "step": name, "lines": [{"seq": seq, "t": 0, "line": text} for seq, text in lines]}


def follow(script: ScriptedEvents) -> tuple[dict, list[str]]:
    out = io.StringIO()
    follower = streaming.Follower(None, "j1", out=out, sleep=script.sleep)
    follower.get = script.get
    ended = follower.follow()
    return ended, out.getvalue().splitlines()


def without_stamps(lines: list[str]) -> list[str]:
    return [re.sub(r"^\[\d\d:\d\d:\d\d\] ", "", line) for line in lines]


def test_it_prints_status_changes_and_every_log_line_once_in_order():
    script = ScriptedEvents(
        [
            [job("Queued"), step("load", "Queued")],
            [job("Running"), step("load", "Preparing"), log("load", (1, "installing"))],
            [
                step("load", "Running"),
                log("load", (2, "reading"), (3, "read 150 rows")),
                {"type": "metric", "step": "load", "points": [{"name": "rows", "value": 150, "t": 0}]},
                step("load", "Completed", exit_code=0),
                step("train", "Queued"),
            ],
            [],
            [step("train", "Running"), log("train", (1, "epoch 1"), (2, "epoch 2"))],
            [
                log("train", (2, "epoch 2"), (3, "epoch 3")),
                step("train", "Completed", exit_code=0),
                job("Completed"),
            ],
            [log("train", (4, "[studio] completed"))],
        ],
        steps=["load", "train"],
    )
    ended, lines = follow(script)
    assert ended["status"] == "Completed"
    assert without_stamps(lines) == [
        "job j1: Queued",
        "load: Queued",
        "job j1: Running",
        "load: Preparing",
        "load  | installing",
        "load: Running",
        "load  | reading",
        "load  | read 150 rows",
        "load: Completed",
        "train: Queued",
        "train: Running",
        "train | epoch 1",
        "train | epoch 2",
        "train | epoch 3",
        "train: Completed",
        "train | [studio] completed",
        "Job j1 Completed",
    ]


def test_it_prints_retries_and_failures_and_exits_1(monkeypatch, capsys):
    script = ScriptedEvents(
        [
            [job("Running"), step("train", "Running"), log("train", (1, "try 1"))],
            [step("train", "Queued", status_reason="retrying: exit code 3")],
            [step("train", "Running", attempt=2), log("train", (2, "try 2"))],
            [
                log("train", (3, "Traceback: boom")),
                step("train", "Failed", attempt=2, exit_code=3, status_reason="exited with code 3"),
                job("Failed", status_reason="step train failed: exited with code 3"),
            ],
        ],
        steps=["train"],
    )
    ended, lines = follow(script)
    text = "\n".join(lines)
    assert "train: Running (attempt 2)" in text
    assert "train: Failed (attempt 2, exit code 3) — exited with code 3" in text
    assert lines[-1].endswith("Job j1 Failed: step train failed: exited with code 3")
    assert [line for line in lines if " | " in line] == [
        "train | try 1",
        "train | try 2",
        "train | Traceback: boom",
    ]

    class Follower:
        def __init__(self, *args, **kwargs):
            pass

        def follow(self):
            return ended

    monkeypatch.setattr(streaming, "Follower", Follower)
    assert streaming.stream(None, "j1") == 1
    monkeypatch.setattr(Follower, "follow", lambda self: {"status": "Completed"})
    assert streaming.stream(None, "j1") == 0


def test_a_reused_step_says_where_from():
    script = ScriptedEvents(
        [[job("Running"), step("split", "Completed", reused_from="old_job/split"), job("Completed")]],
        steps=["split"],
    )
    _, lines = follow(script)
    assert "split: Completed (reused from old_job/split)" in without_stamps(lines)


def test_an_ended_job_without_stored_events_still_ends_the_stream():
    class NoEvents(ScriptedEvents):
        def status(self) -> tuple[str, str]:
            return ("Canceled", "canceled by admin")

    script = NoEvents([[]], steps=["a"])
    ended, lines = follow(script)
    assert ended["status"] == "Canceled"
    assert lines[-1].endswith("Job j1 Canceled: canceled by admin")


def test_it_stops_streaming_on_ctrl_c_without_cancelling(monkeypatch, capsys):
    class Interrupted:
        def __init__(self, *args, **kwargs):
            pass

        def follow(self):
            raise KeyboardInterrupt

    monkeypatch.setattr(streaming, "Follower", Interrupted)
    assert streaming.stream(None, "j1") == 130
    err = capsys.readouterr().err
    assert "job j1 keeps running" in err and "studio job cancel j1" in err


# --- Against the real events API ------------------------------------------------------------------


@pytest.fixture
def recorded_job(transactional_db, settings, tmp_path):
    """A job whose events are in the database: two steps, log lines, one failure."""
    from runner.choices import JobStatus, StepStatus
    from runner.events import recording
    from runner.logs import StepLog
    from runner.models import PipelineJob, StepRun

    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    spec = {"steps": {name: {"component": {"name": name, "version": "1"}} for name in ("prep", "fit")}}
    job = PipelineJob.objects.create(spec=spec, status=JobStatus.QUEUED)
    prep = StepRun.objects.create(job=job, name="prep")
    fit = StepRun.objects.create(job=job, name="fit")
    job.transition((JobStatus.QUEUED,), JobStatus.RUNNING)
    prep.transition((StepStatus.NOT_STARTED,), StepStatus.RUNNING)
    StepLog(job.name, "prep").write("prepared 10 rows")
    prep.transition((StepStatus.RUNNING,), StepStatus.COMPLETED, exit_code=0)
    fit.transition((StepStatus.NOT_STARTED,), StepStatus.RUNNING)
    StepLog(job.name, "fit").write("##studio[metric loss=0.5]")
    StepLog(job.name, "fit").write("boom")
    fit.transition((StepStatus.RUNNING,), StepStatus.FAILED, exit_code=2, status_reason="exited with code 2")
    job.transition((JobStatus.RUNNING,), JobStatus.FAILED, status_reason="step fit failed")
    recording.log_buffer.flush_all()
    return job


def test_job_stream_prints_the_stored_events_and_exits_1_on_failure(
    recorded_job, live_server, admin_user, monkeypatch, tmp_path, capsys
):
    from studio.models import ApiToken

    _, raw = ApiToken.issue(admin_user, "stream test")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("STUDIO_URL", live_server.url)
    monkeypatch.setenv("STUDIO_TOKEN", raw)

    assert main(["job", "stream", recorded_job.name]) == 1
    lines = without_stamps(capsys.readouterr().out.splitlines())
    assert lines == [
        f"job {recorded_job.name}: Running",
        "prep: Running",
        "prep | prepared 10 rows",
        "prep: Completed",
        "fit: Running",
        "fit  | ##studio[metric loss=0.5]",
        "fit  | boom",
        "fit: Failed (exit code 2) — exited with code 2",
        f"Job {recorded_job.name} Failed: step fit failed",
    ]

    assert main(["job", "stream", "no_such_job"]) == 1
    assert "404" in capsys.readouterr().err
