"""`--set PATH=VALUE`: overriding fields of a pipeline document before it is submitted."""

from __future__ import annotations

import math
from typing import Any

import yaml

from cli.asset_verbs import INVALID
from cli.output import CommandError


def parse_value(text: str) -> Any:
    """A `--set` value as a YAML scalar: true/false, whole and decimal numbers, null; else the text."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if text.strip() == "":
        return text
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else text
    return text if not isinstance(value, str) else value


def parse_assignment(text: str) -> tuple[tuple[str, ...], Any]:
    """`a.b.c=VALUE` as (("a", "b", "c"), parsed value); CommandError (exit 2) when malformed."""
    path_text, equals, value_text = text.partition("=")
    path = tuple(part.strip() for part in path_text.strip().split("."))
    if not equals or not path_text.strip() or any(not part for part in path):
        raise CommandError(f"--set {text!r}: expected PATH=VALUE, e.g. inputs.lr=0.5", exit_code=INVALID)
    return path, parse_value(value_text)


def apply_overrides(document: dict, assignments: list[str]) -> dict:
    """The document with every `--set PATH=VALUE` applied, creating missing mappings on the way."""
    for assignment in assignments:
        path, value = parse_assignment(assignment)
        node: Any = document
        for depth, key in enumerate(path[:-1]):
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            elif not isinstance(child, dict):
                where = ".".join(path[: depth + 1])
                raise CommandError(
                    f"--set {assignment!r}: {where} is {child!r}, not a mapping", exit_code=INVALID
                )
            node = child
        node[path[-1]] = value
    return document
