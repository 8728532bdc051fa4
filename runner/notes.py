"""How Studio's own lines in a step's log are told from the step's output."""

from __future__ import annotations

# A line Studio writes into a step's log (`StepLog.note`) starts with this.
NOTE_PREFIX = "[studio] "


def is_note(line: str) -> bool:
    """Whether a log line is Studio's own, not the step's."""
    return line.startswith(NOTE_PREFIX)
