"""Command lines of command components: `${{inputs.x}}`, `${{outputs.y}}` and `$[[ … ]]`.

A `$[[ … ]]` segment is dropped when an optional input inside it has no value, as in Azure ML.
Values are shell-quoted when substituted, so a parameter (which an endpoint caller may set) can
never inject shell syntax; commands should therefore not put quotes around placeholders.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from studio.errors import StudioError

PLACEHOLDER = re.compile(r"\$\{\{\s*(?P<kind>inputs|outputs)\.(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
ANY_PLACEHOLDER = re.compile(r"\$\{\{(?P<body>.*?)\}\}", re.S)
OPTIONAL_SEGMENT = re.compile(r"\$\[\[(?P<body>.*?)\]\]", re.S)


class CommandTemplateError(StudioError, ValueError):
    """Raised when a command line cannot be rendered with the values given (400)."""


@dataclass(frozen=True)
class Placeholder:
    """One `${{inputs.x}}` or `${{outputs.y}}` in a command."""

    kind: str  # "inputs" or "outputs"
    name: str
    in_optional_segment: bool


def placeholders(command: str) -> list[Placeholder]:
    """Every placeholder of a command, in order, noting which sit inside `$[[ … ]]`."""
    found: list[Placeholder] = []
    optional_spans = [match.span() for match in OPTIONAL_SEGMENT.finditer(command)]
    for match in PLACEHOLDER.finditer(command):
        inside = any(start <= match.start() < end for start, end in optional_spans)
        found.append(Placeholder(match["kind"], match["name"], inside))
    return found


def command_problems(command: str, *, inputs: Mapping[str, bool], outputs: set[str]) -> list[str]:
    """What is wrong with a command, given each input's `optional` flag and the output names."""
    problems: list[str] = []
    for match in ANY_PLACEHOLDER.finditer(command):
        if not PLACEHOLDER.fullmatch(match.group(0)):
            problems.append(
                f"placeholder {match.group(0)!r} is not ${{{{inputs.NAME}}}} or ${{{{outputs.NAME}}}}"
            )
    for match in OPTIONAL_SEGMENT.finditer(command):
        body = match["body"]
        if "$[[" in body:
            problems.append("optional segments $[[ … ]] cannot be nested")
        if not any(p["kind"] == "inputs" for p in PLACEHOLDER.finditer(body)):
            problems.append(f"optional segment {match.group(0)!r} names no input")
    unclosed = command.count("$[[") - len(OPTIONAL_SEGMENT.findall(command))
    if unclosed > 0:
        problems.append("an optional segment $[[ is not closed with ]]")
    for placeholder in placeholders(command):
        label = f"${{{{{placeholder.kind}.{placeholder.name}}}}}"
        if placeholder.kind == "inputs":
            if placeholder.name not in inputs:
                problems.append(f"{label} names no declared input")
            elif placeholder.in_optional_segment and not inputs[placeholder.name]:
                problems.append(f"{label} is a required input inside $[[ … ]]; only optional inputs may be")
        elif placeholder.name not in outputs:
            problems.append(f"{label} names no declared output")
        elif placeholder.in_optional_segment:
            problems.append(f"{label} is an output inside $[[ … ]]; only optional inputs may be")
    return problems


def _render_value(value: object) -> str:
    return shlex.quote(str(value))


def render_command(command: str, *, inputs: Mapping[str, object | None], outputs: Mapping[str, str]) -> str:
    """The command with values substituted; optional segments whose inputs are unset disappear."""

    def substitute(match: re.Match) -> str:
        values = inputs if match["kind"] == "inputs" else outputs
        value = values.get(match["name"])
        if value is None:
            raise CommandTemplateError(f"no value for {match['kind']}.{match['name']}")
        return _render_value(value)

    def optional(match: re.Match) -> str:
        body = match["body"]
        names = [p["name"] for p in PLACEHOLDER.finditer(body) if p["kind"] == "inputs"]
        if any(inputs.get(name) is None for name in names):
            return ""
        return body

    template = OPTIONAL_SEGMENT.sub(optional, command)
    # Dropped segments leave double spaces: tidy the template before values go in, so that
    # spaces inside values (indented Python in a string parameter) stay as they are.
    template = "\n".join(re.sub(r"[ \t]{2,}", " ", line).rstrip() for line in template.splitlines()).strip()
    return PLACEHOLDER.sub(substitute, template)
