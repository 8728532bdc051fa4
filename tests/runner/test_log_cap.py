"""The cap on a step's log (`STUDIO_STEP_LOG_MAX_BYTES`): head, drop note, tail, in seq order.

Unit tests of `runner.logs.StepLog` and of the log batching of `runner.events` against the real
file and the real database; `test_log_flood.py` floods a real step.
"""

from __future__ import annotations

import json

import pytest

from runner import metrics
from runner.choices import JobStatus
from runner.events import log_batching, recording
from runner.logs import NOTE_PREFIX, LogCut, StepLog, last_seq, last_time, log_path, read_log, tail
from runner.models import JobEvent, PipelineJob, StepRun

pytestmark = pytest.mark.django_db(transaction=True)

CAP = 64 * 1024
TEXT = "y" * 90


@pytest.fixture
def job(db, studio_home, settings) -> PipelineJob:
    settings.STUDIO_STEP_LOG_MAX_BYTES = CAP
    job = PipelineJob.objects.create(spec={"steps": {"a": {}}}, status=JobStatus.RUNNING)
    StepRun.objects.create(job=job, name="a")
    return job


def stored(job: PipelineJob) -> list[dict]:
    """Every entry of the step's log file, in file order (also checks each line is whole JSON)."""
    return [json.loads(raw) for raw in log_path(job.name, "a").read_text().splitlines()]


def flood(log: StepLog, count: int, *, start: int = 0) -> None:
    for number in range(start, start + count):
        log.write(f"{number:06d} {TEXT}", at=1000.0 + number)


def drop_notes(entries: list[dict]) -> list[dict]:
    return [entry for entry in entries if "dropped" in entry]


def published(job: PipelineJob) -> list[dict]:
    recording.log_buffer.flush(job.name, "a")
    rows = JobEvent.objects.filter(job=job, kind="log").order_by("seq")
    return [line for row in rows for line in row.payload["lines"]]


def test_a_log_within_half_the_cap_is_kept_whole(job):
    log = StepLog(job.name, "a")
    flood(log, 100)  # about 10 KB

    entries = stored(job)
    assert [entry["line"] for entry in entries] == [f"{n:06d} {TEXT}" for n in range(100)]
    assert not log.capped
    assert [line["seq"] for line in published(job)] == list(range(1, 101))


def test_a_flood_keeps_the_head_and_the_tail_and_says_how_much_was_dropped(job):
    log = StepLog(job.name, "a")
    flood(log, 5000)  # about 500 KB, eight times the cap

    entries = stored(job)
    path = log_path(job.name, "a")
    assert path.stat().st_size <= CAP + 200  # one line over at most
    seqs = [entry["seq"] for entry in entries]
    assert seqs == sorted(set(seqs)), "the file is in seq order, each seq once"
    texts = [entry["line"] for entry in entries]
    assert texts[0] == f"000000 {TEXT}"
    assert texts[-1] == f"004999 {TEXT}"

    # The head ends with the note that closed it; the drop note follows, then the tail.
    capped = [i for i, entry in enumerate(entries) if entry.get("capped")]
    assert len(capped) == 1
    [note] = drop_notes(entries)
    position = entries.index(note)
    assert position == capped[0] + 1
    assert entries[position - 1]["line"].startswith(NOTE_PREFIX + "this log reached 32 KiB")
    head = [entry for entry in entries[: capped[0]] if not entry["line"].startswith(NOTE_PREFIX)]
    assert [entry["line"] for entry in head] == [f"{n:06d} {TEXT}" for n in range(len(head))]
    tail_lines = entries[position + 1 :]
    first_tail = int(tail_lines[0]["line"][:6])
    assert [entry["line"] for entry in tail_lines] == [f"{n:06d} {TEXT}" for n in range(first_tail, 5000)]

    # Every line took a seq (5000 lines and the head's note); the ones missing were dropped, and the
    # drop note took the number of the last of them.
    dropped = note["dropped"]
    assert log.seq == 5001
    assert dropped["lines"] == 5001 - len(entries) + 1
    assert dropped["from"] == entries[capped[0]]["seq"] + 1
    assert note["seq"] == tail_lines[0]["seq"] - 1
    assert dropped["lines"] == note["seq"] - dropped["from"] + 1
    assert note["line"] == (
        f"{NOTE_PREFIX}{dropped['lines']:,} lines ({dropped['bytes'] / 1e3:.1f} kB) not kept: the log is "
        "capped at 64 KiB per step (STUDIO_STEP_LOG_MAX_BYTES); the first and last parts are kept"
    )
    line_bytes = len(json.dumps(entries[-1])) + 1
    assert abs(dropped["bytes"] - dropped["lines"] * line_bytes) <= dropped["lines"] * 2


def test_readers_resume_by_seq_across_the_cut(job):
    log = StepLog(job.name, "a")
    flood(log, 5000)
    entries = stored(job)
    [note] = drop_notes(entries)

    # A reader that had read into what was later dropped resumes at the drop note.
    inside = note["dropped"]["from"] + 3
    resumed = read_log(job.name, "a", after=inside, limit=2)
    assert resumed == [note, entries[entries.index(note) + 1]]
    assert read_log(job.name, "a", after=entries[-2]["seq"]) == [entries[-1]]
    assert last_seq(log_path(job.name, "a")) == 5001
    assert last_time(log_path(job.name, "a")) == 1000.0 + 4999
    assert tail(job.name, "a", 3) == [f"{n:06d} {TEXT}" for n in (4997, 4998, 4999)]


def test_a_log_reopened_after_a_crash_keeps_one_drop_note_with_the_totals(job):
    first = StepLog(job.name, "a")
    flood(first, 3000)
    first.close()  # the worker died here: what it wrote is in the file

    adopted = StepLog(job.name, "a")
    assert adopted.seq == 3001 and adopted.capped
    assert adopted.last_time == 1000.0 + 2999
    flood(adopted, 3000, start=3000)

    entries = stored(job)
    seqs = [entry["seq"] for entry in entries]
    assert seqs == sorted(set(seqs))
    assert len([entry for entry in entries if entry.get("capped")]) == 1
    [note] = drop_notes(entries)
    assert note["dropped"]["lines"] == 6001 - len(entries) + 1
    assert entries[-1]["line"] == f"005999 {TEXT}"
    assert entries[0]["line"] == f"000000 {TEXT}"


def test_only_the_head_goes_out_live_until_the_step_ends_then_the_tail_once(job):
    log = StepLog(job.name, "a")
    flood(log, 5000)
    before = published(job)
    head_note = next(line for line in before if line.get("capped"))
    assert before[-1] == head_note, "no tail line is published while the step prints"

    log.finish()
    after = published(job)
    entries = stored(job)
    assert after == [entry for entry in entries], "live viewers get exactly what the file keeps"
    rows = JobEvent.objects.filter(job=job, kind="log")
    assert rows.count() <= 10
    assert all(
        sum(len(line["line"]) for line in row.payload["lines"]) <= log_batching.LOG_FLUSH_CHARS
        for row in rows
    )

    log.finish()  # nothing new: nothing more
    assert published(job) == after


def test_a_note_catches_viewers_up_on_the_tail_first(job):
    log = StepLog(job.name, "a")
    flood(log, 400)  # past the head, not yet cut
    seq = log.note("canceling: stopping the step")

    lines = published(job)
    assert lines[-1]["seq"] == seq and lines[-1]["line"] == NOTE_PREFIX + "canceling: stopping the step"
    assert [line["seq"] for line in lines] == list(range(1, seq + 1))


def test_metric_lines_in_the_dropped_middle_are_still_recorded(job):
    log = StepLog(job.name, "a")
    flood(log, 1000)
    log.write("##studio[metric loss=0.5 step=1]", at=5000.0)
    flood(log, 2000, start=1000)

    assert "##studio[metric loss=0.5 step=1]" not in [entry["line"] for entry in stored(job)]
    points = metrics.logged_points(job.name, "a")
    assert {"name": "loss", "value": 0.5, "t": 5000.0, "step": 1} in points


def test_a_cut_log_refuses_the_steps_output_but_takes_notes(job):
    log = StepLog(job.name, "a")
    log.write("first")
    log.cut()
    with pytest.raises(LogCut):
        log.write("late output")
    log.note("the rest is not kept")

    assert [entry["line"] for entry in stored(job)] == ["first", NOTE_PREFIX + "the rest is not kept"]


def test_the_newest_seq_and_time_are_read_from_the_end_of_a_long_file(job, settings):
    settings.STUDIO_STEP_LOG_MAX_BYTES = 4 * 1024 * 1024
    log = StepLog(job.name, "a")
    flood(log, 3000)  # about 360 KB: several blocks read backwards
    log.note("completed")

    path = log_path(job.name, "a")
    assert last_seq(path) == 3001
    assert last_time(path) == 1000.0 + 2999, "notes do not count as the step's output"
    assert tail(job.name, "a", 2) == [f"002999 {TEXT}", NOTE_PREFIX + "completed"]
    with path.open("a") as handle:
        handle.write('{"seq": 3002, "t": 1')  # a line cut short by a crash
    assert last_seq(path) == 3001


def test_log_batches_are_bounded_by_lines_and_by_characters():
    batches: list[list[dict]] = []
    buffer = log_batching.LogBuffer(
        max_delay=0.01, max_lines=50, max_chars=1000, record=lambda job, step, lines: batches.append(lines)
    )
    for seq in range(1, 301):
        buffer.add("j", "s", {"seq": seq, "t": 0, "line": "z" * (3000 if seq == 150 else 30)})
    buffer.flush_all()
    buffer.add("j", "s", {"seq": 301, "t": 0, "line": "last"})
    buffer.flush("j", "s")

    assert [line["seq"] for batch in batches for line in batch] == list(range(1, 302))
    for batch in batches:
        assert len(batch) <= 50
        assert sum(len(line["line"]) for line in batch) <= 1000 or len(batch) == 1
    assert [len(batch) for batch in batches if any(line["seq"] == 150 for line in batch)] == [1]


def test_the_newest_seq_is_read_from_the_end_of_the_file_only(job, monkeypatch):
    """The job list reads every step's newest seq: that must not parse the whole log."""
    from runner import logs

    path = log_path(job.name, "a")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        for seq in range(1, 20_001):
            handle.write(json.dumps({"seq": seq, "t": 1.0, "line": TEXT}) + "\n")
    parsed = []
    real = logs._parse
    monkeypatch.setattr(logs, "_parse", lambda raw: parsed.append(raw) or real(raw))

    assert last_seq(path) == 20_000
    assert len(parsed) == 1
