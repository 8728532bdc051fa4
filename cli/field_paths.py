"""Field names of problems (`jobs.train.inputs[0].x`) as path tuples, to find their lines."""

from __future__ import annotations

import re


def parse_field(text: str) -> tuple[str | int, ...]:
    """`jobs.train.inputs[0].x` (a field name from an API problem) as a path tuple."""
    path: list[str | int] = []
    for segment in text.split("."):
        match = re.match(r"^([^\[]*)((?:\[\d+\])*)$", segment)
        if match is None:
            path.append(segment)
            continue
        if match[1]:
            path.append(match[1])
        path += [int(number) for number in re.findall(r"\[(\d+)\]", match[2])]
    return tuple(path)
