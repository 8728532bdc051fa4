"""Typed parts of the pipeline job document that every front door shares, under Azure ML's names.

A step's run settings are spelled one way from the canvas to the container: the designer's node
data, the pipeline YAML, the frozen PipelineSpec and the runner all say `limits.timeout`,
`retry_settings.max_retries` and `retry_settings.retry_on_failure`, so a problem the compiler
finds at `jobs.<job>.limits.timeout` is the node's `limits.timeout` without any renaming.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

MAX_RETRIES = 10

# What these settings were called before they took Azure ML's names (drafts and frozen job specs
# saved then still read): old flat key -> (group, key).
FLAT_NAMES = {
    "timeout_seconds": ("limits", "timeout"),
    "max_retries": ("retry_settings", "max_retries"),
    "retry_on_failure": ("retry_settings", "retry_on_failure"),
}


class _Settings(BaseModel):
    """Types only: the compiler checks ranges (a timeout above 0, at most MAX_RETRIES retries) and
    says so at the field's line, so a canvas may hold a value it cannot run yet."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Limits(_Settings):
    """`limits:` of a step: how long one attempt may run, in seconds (None: no limit)."""

    timeout: int | None = None


class RetrySettings(_Settings):
    """`retry_settings:` of a step: how often a failed attempt is tried again, and whether a
    failing command counts (otherwise only infrastructure failures are retried)."""

    max_retries: int = 0
    retry_on_failure: bool = False


def fold_flat_names(data: Any) -> Any:
    """A mapping with the old flat keys (`timeout_seconds`, …) moved under `limits` and
    `retry_settings`; anything else as it is."""
    if not isinstance(data, dict) or not any(key in data for key in FLAT_NAMES):
        return data
    folded = {key: value for key, value in data.items() if key not in FLAT_NAMES}
    for old, (group, key) in FLAT_NAMES.items():
        if old in data:
            folded[group] = {**(folded.get(group) or {}), key: data[old]}
    return folded
