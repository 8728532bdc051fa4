"""The only module that talks to the channel layer: live events for browsers.

Job events: every status change of a job or a step, and its log lines, becomes a `JobEvent` row
with a per-job sequence number (1, 2, 3… without gaps), then a message to the channel-layer group
`job.<id>`. Rows are written only after the change itself committed (`transaction.on_commit`), and
the message is sent only after the row committed, so a browser never hears of a state the
database does not have, and a socket that reconnects with `?after=<seq>` replays what it missed
from the database.

Frames (what the websocket and `GET /api/v1/jobs/<name>/events/` carry), all with `type`, `seq`
and `at` (when the event was recorded):

- `{"type": "job", "job": name, "display_name", "status", "status_reason", "created_at",
  "started_at", "finished_at"}`
- `{"type": "step", "step": name, "display_name", "status", "status_reason", "attempt",
  "max_retries", "exit_code", "compute", "reused_from", "reuse_note", "outputs": {name: {"type",
  "hash", "size"}}, "queued_at", "started_at", "finished_at", "next_attempt_at"}`
- `{"type": "log", "step": name, "lines": [{"seq": per-step line number, "t": unix time, "line",
  "source"?}]}`; `"source": "build"` marks the lines of the environment build a Preparing step is
  waiting for (`runner.images`), whether this step builds it or another one does
- `{"type": "metric", "step": name, "points": [{"name", "value", "t", "step"?}]}`: metric points
  (`runner.metrics`), stored right after the log event whose `##studio[metric …]` lines they come
  from, and, when a step ends, those of its `metrics.json` files (for a reused step: every point
  of the step it reused), right before its status event. Points are values at a time, never
  updates: a client that also loaded `GET /api/v1/jobs/<name>/metrics/` drops the points it has
  already (same name, time, step and value)
- on connect, `{"type": "snapshot", "seq": newest event included, "job": {…}, "steps": [{…,
  "log_seq": newest log line published}]}`

Log lines are batched (`LogBuffer`, a background flusher thread): a step's lines are buffered and
stored as one event once the oldest waited `LOG_FLUSH_SECONDS`, or sooner when `LOG_FLUSH_LINES`
lines or `LOG_FLUSH_CHARS` characters are waiting; never more than one event per
`LOG_FLUSH_SECONDS` per step, each of at most that many lines and characters. Right before any
status event of the same step, everything buffered is stored in the status event's own
transaction, so a step's lines always come before the event that ends it (and `supervise` waits
for the step's output to be read before the step ends).

A flood (a step printing 50 MB) costs at most about `STUDIO_STEP_LOG_MAX_BYTES` of events:
`runner.logs.StepLog` hands over the head of a big log as it is written, then a note saying the
rest is kept as a tail, and the tail's lines once, when the step ends or Studio writes a note;
lines the cap drops never become events (their `##studio[metric]` points are still stored in
the metrics file, which `GET /api/v1/jobs/<name>/metrics/` serves).
"""

from __future__ import annotations

from runner.events.channel_layer import attach_loop, job_group, notify_user, user_group
from runner.events.reading import current_seq, events_after, replayable, snapshot

__all__ = [
    "attach_loop",
    "current_seq",
    "events_after",
    "job_group",
    "notify_user",
    "replayable",
    "snapshot",
    "user_group",
]
