"""Why a step was or was not reused: its reuse key parts against the nearest earlier run.

A step's reuse key hashes five parts (`runner.reuse.reuse_parts`): the component definition, its
code snapshot, the environment, the parameter values and the content of every data input. When a
step ran instead of being reused, the job page says which of those parts changed since the nearest
earlier run of the same component, so a person sees at once "the learning rate changed" or "the
input data is different" rather than two hashes.

The nearest earlier run: among steps of earlier jobs that ran (or were reused from) the same
component (by name, any version) and got as far as computing their key, the newest one with the
same step name; failing that, the run in the newest such job whose parts differ least.
"""

from __future__ import annotations

from typing import Any

from runner.choices import StepStatus
from runner.models import StepRun
from runner.reuse import outputs_present

PART_LABELS = {
    "component": "component definition",
    "code": "code snapshot",
    "environment": "environment",
    "parameters": "parameters",
    "inputs": "input data",
}
CANDIDATES_SAME_NAME = 50
CANDIDATES_ANY_NAME = 200


def component_of(step: StepRun) -> dict:
    """The step's frozen component pin (`name`, `version`, …) from its job's spec."""
    return (step.job.spec.get("steps", {}).get(step.name) or {}).get("component") or {}


def _same_component(candidate: StepRun, name: str) -> bool:
    return component_of(candidate).get("name") == name


def _earlier_runs(step: StepRun):
    return (
        StepRun.objects.filter(pk__lt=step.pk)
        .exclude(job_id=step.job_id)
        .exclude(reuse_parts={})
        .select_related("job", "reused_from__job")
        .order_by("-pk")
    )


def nearest_earlier_run(step: StepRun) -> StepRun | None:
    """The run of the same component this step is best compared with, or None (see the module)."""
    name = component_of(step).get("name")
    if not name:
        return None
    for candidate in _earlier_runs(step).filter(name=step.name)[:CANDIDATES_SAME_NAME]:
        if _same_component(candidate, name):
            return candidate
    best: StepRun | None = None
    best_changes = 0
    for candidate in _earlier_runs(step)[:CANDIDATES_ANY_NAME]:
        if not _same_component(candidate, name):
            continue
        if best is not None and candidate.job_id != best.job_id:
            break  # only the newest job with a run of this component competes
        count = len(compare_parts(candidate.reuse_parts, step.reuse_parts))
        if best is None or count < best_changes:
            best, best_changes = candidate, count
    return best


def _change(part: str, name: str | None, change: str, before: Any, now: Any) -> dict:
    return {"part": part, "name": name, "change": change, "before": before, "now": now}


def _value_changes(part: str, before: dict, now: dict) -> list[dict]:
    changes = []
    for key in sorted(set(before) | set(now)):
        if key not in before:
            changes.append(_change(part, key, "added", None, now[key]))
        elif key not in now:
            changes.append(_change(part, key, "removed", before[key], None))
        elif before[key] != now[key]:
            changes.append(_change(part, key, "changed", before[key], now[key]))
    return changes


def compare_parts(before: dict, now: dict) -> list[dict]:
    """What differs between two sets of reuse key parts, part by part (and key by key inside the
    parameters and inputs): `[{"part", "name", "change", "before", "now"}]`."""
    before, now = before or {}, now or {}
    changes: list[dict] = []
    for part in ("component", "code", "environment"):
        if before.get(part) != now.get(part):
            changes.append(_change(part, None, "changed", before.get(part), now.get(part)))
    for part in ("parameters", "inputs"):
        old, new = before.get(part) or {}, now.get(part) or {}
        if isinstance(old, dict) and isinstance(new, dict):
            changes.extend(_value_changes(part, old, new))
        elif old != new:
            changes.append(_change(part, None, "changed", old, new))
    return changes


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    for prefix in ("output:", "snapshot:"):
        if text.startswith(prefix) and len(text) > len(prefix) + 12:
            return text[: len(prefix) + 12] + "…"
    return text if len(text) <= 60 else text[:59] + "…"


def describe_change(change: dict, *, versions: tuple[str, str] | None = None) -> str:
    """One change in words, e.g. `parameter greeting changed from 'hello' to 'bonjour'`."""
    part, name = change["part"], change["name"]
    if part == "component":
        if versions and versions[0] != versions[1]:
            return f"component version changed from {versions[0]} to {versions[1]}"
        return "component definition changed"
    if part in ("code", "environment"):
        return f"{PART_LABELS[part]} changed"
    noun = "parameter" if part == "parameters" else "input"
    if change["change"] == "added":
        return f"{noun} {name} was added ({_short(change['now'])})"
    if change["change"] == "removed":
        return f"{noun} {name} was removed (was {_short(change['before'])})"
    if part == "inputs":
        return f"input {name} has different content"
    return f"parameter {name} changed from {change['before']!r} to {change['now']!r}"


def _sentence(note: str) -> str:
    return note[:1].upper() + note[1:].rstrip(".") + "."


def _run_label(run: StepRun) -> str:
    return f"{run.job.name}/{run.name}"


def explain(step: StepRun) -> dict:
    """The reuse key, its parts, and why the step was reused or ran (see the module docstring).

    `summary` is one sentence for people; `changes` lists what differs from `compared_with`.
    """
    result: dict[str, Any] = {
        "key": step.reuse_key,
        "parts": step.reuse_parts or {},
        "note": step.reuse_note,
        "reused": bool(step.reused_from_id),
        "reused_from": None,
        "compared_with": None,
        "changes": [],
        "summary": "",
    }
    if step.reused_from_id:
        original = step.reused_from
        result["reused_from"] = {"job": original.job.name, "step": original.name}
        result["summary"] = (
            f"Reused from {_run_label(original)}: the component, code, environment, parameters and "
            "input data were all the same."
        )
        return result
    if not step.reuse_parts:
        waiting = step.status in (StepStatus.NOT_STARTED,)
        result["summary"] = (
            "The reuse key is computed when the step's inputs are ready."
            if waiting
            else "This step never got a reuse key (it did not reach the point of running)."
        )
        return result
    pin = component_of(step)
    # A step that had to run (force rerun, not deterministic, a URL input) says so first.
    forced = step.reuse_note if step.reuse_note.startswith("not reused:") else ""
    forced = forced if any(word in forced for word in ("force", "deterministic", "is read from")) else ""
    previous = nearest_earlier_run(step)
    if previous is None:
        result["summary"] = (
            _sentence(forced)
            if forced
            else f"Not reused: no earlier job ran {pin.get('name', 'this component')} "
            "with a reuse key, so there was nothing to reuse."
        )
        return result
    changes = compare_parts(previous.reuse_parts, step.reuse_parts)
    versions = (component_of(previous).get("version", "?"), pin.get("version", "?"))
    for change in changes:
        change["text"] = describe_change(change, versions=versions)
    result["changes"] = changes
    result["compared_with"] = {
        "job": previous.job.name,
        "step": previous.name,
        "status": previous.status,
        "version": versions[0],
        "reused_from": _run_label(previous.reused_from) if previous.reused_from_id else None,
    }
    label = _run_label(previous)
    if forced:
        result["summary"] = _sentence(forced)
    elif changes:
        result["summary"] = f"Not reused: since {label}, " + "; ".join(c["text"] for c in changes) + "."
    elif previous.status != StepStatus.COMPLETED:
        result["summary"] = (
            f"Not reused: {label} had the same key but ended {previous.status}, so there was "
            "nothing to reuse."
        )
    elif not outputs_present((previous.reused_from or previous).outputs):
        result["summary"] = f"Not reused: {label} had the same key but its outputs no longer exist."
    else:
        result["summary"] = (
            f"Not reused: {label} has the same key; it may have finished after this step was scheduled."
        )
    return result
