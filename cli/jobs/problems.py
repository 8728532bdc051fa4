"""Problems of a pipeline, each with its file and line, and how they are printed."""

from __future__ import annotations

import json
import sys

from cli.asset_verbs import INVALID
from cli.field_paths import parse_field as parse_field  # where callers found it
from studio.errors import Problem, ProblemsError


class ProblemsFound(ProblemsError):
    """Problems of the pipeline (or of a component it registers), each with its file and line;
    `summary`, when given, is the one line printed above them."""

    def __init__(self, problems: list[Problem], summary: str = "") -> None:
        super().__init__(problems)
        self.summary = summary


def report_problems(problems: list[Problem], *, output: str, detail: str = "") -> int:
    """Print every problem as `file:line: field: message` (or as JSON) and return exit code 2."""
    if output == "json":
        body = {"error": detail or str(problems[0]), "problems": [p.as_dict() for p in problems]}
        print(json.dumps(body, indent=2), file=sys.stderr)
        return INVALID
    for problem in problems:
        print(str(problem), file=sys.stderr)
    count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
    print(f"studio: not submitted ({count})", file=sys.stderr)
    return INVALID
