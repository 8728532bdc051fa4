"""How CLI verbs report results and errors, as text for people or JSON for scripts."""

from __future__ import annotations

import json
import sys
from typing import Any

from studio.errors import StudioError


class CommandError(StudioError):
    """Raised by a verb to stop with a message for the user instead of a traceback.

    The command's answer is its `exit_code`; the HTTP status of a StudioError means nothing here.
    """

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_output_option(parser) -> None:
    """Give a verb the `--output text|json` option."""
    parser.add_argument(
        "--output", "-o", choices=["text", "json"], default="text", help="text for people, json for scripts"
    )


def emit(value: Any, *, output: str, text: str) -> None:
    """Print a result: `value` as JSON, or the human-readable `text`."""
    if output == "json":
        print(json.dumps(value, indent=2, sort_keys=True, default=str))
    else:
        print(text)


def fail(message: str, *, code: int = 1, output: str = "text") -> int:
    """Print an error on stderr and return the exit code."""
    if output == "json":
        print(json.dumps({"error": message}), file=sys.stderr)
    else:
        print(f"studio: {message}", file=sys.stderr)
    return code
