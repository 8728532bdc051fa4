"""Command lines of command components: `${{inputs.x}}`, `${{outputs.y}}` and `$[[ … ]]`.

A `$[[ … ]]` segment is dropped when an optional input inside it has no value, as in Azure ML.

Values never become shell code. Azure ML pastes values into the command as text, so a parameter
(which an endpoint caller may set) holding `$(id -u)` inside `"…"` would run. Here each value is
put in an environment variable of the step (`STUDIO_INPUT_<name>`, `STUDIO_OUTPUT_<name>`) and
its placeholder becomes a reference to that variable, written for the quoting context it stands
in (`shell_contexts`): `"${V}"` unquoted (one argument: a value is never split into words nor
globbed, numbers included), `${V}` inside double quotes and unquoted here-documents, `'"${V}"'`
inside single quotes, `'"${V}"$'` inside `$'…'`. bash expands a reference without evaluating the
value, so even a misread context can at worst split a value, never run it. The one exception is
the body of a here-document with a quoted delimiter (`<<'EOF'`), which bash does not expand: the
value goes there as text, as in Azure ML. Whatever a command hands on to another interpreter
(`bash -c '…'`, `python -c`, `eval`, a quoted here-document) gets the value as text; such a
command can read `$STUDIO_INPUT_<name>` instead.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from studio.errors import StudioError
from studio.schemas import shell_contexts
from studio.schemas.shell_contexts import ANSI, DOUBLE, HEREDOC, HEREDOC_QUOTED, SINGLE

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


VARIABLE_PREFIXES = {"inputs": "STUDIO_INPUT_", "outputs": "STUDIO_OUTPUT_"}


def variable_name(kind: str, name: str) -> str:
    """The environment variable holding the value of `inputs.name` or `outputs.name`."""
    return VARIABLE_PREFIXES[kind] + name


@dataclass(frozen=True)
class RenderedCommand:
    """A command with its values: what runs, what the log shows, and the variables it reads."""

    run: str  # what the step's bash runs: placeholders are references to `environment`
    shown: str  # the same command with the values written out (shell-quoted), for people
    environment: dict[str, str] = field(default_factory=dict)  # STUDIO_INPUT_x / STUDIO_OUTPUT_y


def text_value(value: object) -> str:
    """A value as the text a step sees (`True`, `0.5`, a path)."""
    return str(value)


def _reference(variable: str, context: str, value: str) -> str:
    if context == SINGLE:
        return f"'\"${{{variable}}}\"'"
    if context == ANSI:
        return f"'\"${{{variable}}}\"$'"
    if context in (DOUBLE, HEREDOC):
        return f"${{{variable}}}"
    if context == HEREDOC_QUOTED:
        return value  # not expanded there: text, as Azure ML puts it
    return f'"${{{variable}}}"'  # unquoted (a comment too: nothing is read there)


def render_command(
    command: str, *, inputs: Mapping[str, object | None], outputs: Mapping[str, str]
) -> RenderedCommand:
    """The command with its values; optional segments whose inputs are unset disappear.

    `inputs` maps every input to its value (a parameter's, or a data input's path; None when
    unset), `outputs` every output to its path. The run form never contains a value itself.
    """

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

    environment = {
        variable_name(kind, name): text_value(value)
        for kind, values in (("inputs", inputs), ("outputs", outputs))
        for name, value in values.items()
        if value is not None
    }
    run: list[str] = []
    shown: list[str] = []
    position = 0
    for match, context in shell_contexts.contexts(template, PLACEHOLDER):
        values = inputs if match["kind"] == "inputs" else outputs
        value = values.get(match["name"])
        if value is None:
            raise CommandTemplateError(f"no value for {match['kind']}.{match['name']}")
        before = template[position : match.start()]
        text = text_value(value)
        run += [before, _reference(variable_name(match["kind"], match["name"]), context, text)]
        shown += [before, shlex.quote(text)]
        position = match.end()
    run.append(template[position:])
    shown.append(template[position:])
    return RenderedCommand(run="".join(run), shown="".join(shown), environment=environment)
