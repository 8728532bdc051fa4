"""What changed between two versions of an endpoint: its parameters and its steps.

Pure functions over the stored JSON (a version's `parameters` list and frozen `spec`), so the
endpoint page can show a diff without touching the database. Values are rendered as short text
(JSON for literals, `NAME:VERSION` for data, `step.output` for wires) because that is what a person
compares; a side that lacks the field shows as "—".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pipelines.document import fold_flat_names

ABSENT = "—"
ADDED, REMOVED, CHANGED = "added", "removed", "changed"

# The parameter fields a caller cares about, in the order they are shown.
PARAMETER_FIELDS = (
    "kind",
    "type",
    "default",
    "optional",
    "required",
    "min",
    "max",
    "enum",
    "description",
    "feeds",
)
STEP_FIELDS = (
    "display_name",
    "component",
    "environment",
    "compute",
    "retry_settings.max_retries",
    "retry_settings.retry_on_failure",
    "limits.timeout",
    "force_rerun",
)


@dataclass(frozen=True)
class FieldChange:
    """One field of a parameter or step, before and after."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Change:
    """A parameter or step that is new, gone, or different (with the fields that differ)."""

    name: str
    kind: str
    fields: tuple[FieldChange, ...] = ()
    summary: str = ""


@dataclass(frozen=True)
class VersionDiff:
    parameters: tuple[Change, ...] = field(default_factory=tuple)
    steps: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        return not self.parameters and not self.steps

    def counts(self) -> dict[str, int]:
        changes = (*self.parameters, *self.steps)
        return {
            kind: sum(1 for change in changes if change.kind == kind) for kind in (ADDED, REMOVED, CHANGED)
        }


def show(value: Any) -> str:
    """A value as a person reads it in a diff."""
    if value is None:
        return ABSENT
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return ", ".join(value) if value else "none"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _show_parameter_field(name: str, value: Any) -> str:
    if value is None:
        return ABSENT
    if name in ("kind", "type", "description") and isinstance(value, str):
        return value or '""'
    if isinstance(value, bool) and name in ("optional", "required"):
        return "yes" if value else "no"
    return show(value)


def _compare_parameters(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    changes = []
    for name in PARAMETER_FIELDS:
        old, new = before.get(name), after.get(name)
        if old != new:
            changes.append(
                FieldChange(name, _show_parameter_field(name, old), _show_parameter_field(name, new))
            )
    return tuple(changes)


def _merged_order(first: list[str], second: list[str]) -> list[str]:
    """The names of `second` in its order, then those only `first` has, in theirs."""
    return [*second, *(name for name in first if name not in second)]


# --- parameters ----------------------------------------------------------------------------------


def _parameter_summary(parameter: dict[str, Any]) -> str:
    kind = parameter.get("type") or "?"
    if parameter.get("kind") == "data":
        return f"data input ({kind}), default {parameter.get('default') or ABSENT}"
    parts = [kind]
    if parameter.get("required"):
        parts.append("required")
    elif parameter.get("optional"):
        parts.append("optional")
    if parameter.get("default") is not None:
        parts.append(f"default {show(parameter['default'])}")
    return ", ".join(parts)


def diff_parameters(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> tuple[Change, ...]:
    """Parameters added, removed or changed from `before` to `after` (lists of schema entries)."""
    old = {p["name"]: p for p in before or []}
    new = {p["name"]: p for p in after or []}
    changes = []
    for name in _merged_order(list(old), list(new)):
        if name not in old:
            changes.append(Change(name, ADDED, summary=_parameter_summary(new[name])))
        elif name not in new:
            changes.append(Change(name, REMOVED, summary=_parameter_summary(old[name])))
        else:
            fields = _compare_parameters(old[name], new[name])
            if fields:
                changes.append(Change(name, CHANGED, fields, summary=_parameter_summary(new[name])))
    return tuple(changes)


# --- steps ---------------------------------------------------------------------------------------


def _binding_text(binding: Any, source: str | None) -> str:
    """What feeds a step input: a pipeline input, a literal, data or another step's output."""
    if source:
        return f"pipeline input {source}"
    if not isinstance(binding, dict):
        return show(binding)
    kind = binding.get("kind")
    if kind == "literal":
        return show(binding.get("value"))
    if kind == "data":
        return f"data {binding.get('asset') or binding.get('url') or 'upload'} ({binding.get('type', '?')})"
    if kind == "step_output":
        return f"{binding.get('step')}.{binding.get('output')}"
    return show(binding)


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _step_view(step: dict[str, Any]) -> dict[str, str]:
    """The comparable fields of a frozen step, flat and as text (what a person compares)."""
    step = fold_flat_names(step)  # versions published before the settings took Azure ML's names
    component = step.get("component") or {}
    retry = step.get("retry_settings") or {}
    timeout = (step.get("limits") or {}).get("timeout")
    view = {
        "display_name": step.get("display_name") or ABSENT,
        "component": f"{component.get('name')}:{component.get('version')}" if component else ABSENT,
        "environment": component.get("environment") or ABSENT,
        "compute": step.get("compute") or ABSENT,
        "retry_settings.max_retries": str(retry.get("max_retries", 0)),
        "retry_settings.retry_on_failure": _yes_no(retry.get("retry_on_failure")),
        "limits.timeout": f"{timeout} s" if timeout else "none",
        "force_rerun": _yes_no(step.get("force_rerun")),
    }
    sources = step.get("input_sources") or {}
    for port, binding in (step.get("inputs") or {}).items():
        view[f"inputs.{port}"] = _binding_text(binding, sources.get(port))
    for port in sources:
        view.setdefault(f"inputs.{port}", _binding_text(None, sources[port]))
    for port, mode in (step.get("outputs") or {}).items():
        view[f"outputs.{port}"] = mode or "default"
    return view


def _step_summary(view: dict[str, str]) -> str:
    return f"{view['component']} on {view['compute']}"


def _text_compare(old: dict[str, str], new: dict[str, str]) -> tuple[FieldChange, ...]:
    """The fields whose text differs: the fixed ones in order, then ports by name."""
    ports = sorted((set(old) | set(new)) - set(STEP_FIELDS))
    changes = []
    for name in (*STEP_FIELDS, *ports):
        before, after = old.get(name, ABSENT), new.get(name, ABSENT)
        if before != after:
            changes.append(FieldChange(name, before, after))
    return tuple(changes)


def diff_steps(before: dict[str, Any], after: dict[str, Any]) -> tuple[Change, ...]:
    """Steps added, removed or changed from spec `before` to spec `after` (frozen PipelineSpecs)."""
    old = {name: _step_view(step) for name, step in ((before or {}).get("steps") or {}).items()}
    new = {name: _step_view(step) for name, step in ((after or {}).get("steps") or {}).items()}
    changes = []
    for name in _merged_order(list(old), list(new)):
        if name not in old:
            changes.append(Change(name, ADDED, summary=_step_summary(new[name])))
        elif name not in new:
            changes.append(Change(name, REMOVED, summary=_step_summary(old[name])))
        else:
            fields = _text_compare(old[name], new[name])
            if fields:
                changes.append(Change(name, CHANGED, fields, summary=_step_summary(new[name])))
    return tuple(changes)


def diff_versions(before: Any, after: Any) -> VersionDiff:
    """The diff of two versions (anything with `parameters` and `spec`, such as EndpointVersion)."""
    return VersionDiff(
        parameters=diff_parameters(before.parameters, after.parameters),
        steps=diff_steps(before.spec, after.spec),
    )
