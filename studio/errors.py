"""Studio's errors: one base with the HTTP status that says why, and one error that lists problems.

Every failure a user should read (a definition that does not validate, a reference to nothing, a
draft saved elsewhere, a Docker engine that does not answer) is a `StudioError`. The API's
exception handler (`studio.api.errors`) renders one as `{"detail", "errors"}` (plus `problems`
for a `ProblemsError`) with its status; pages render it with `templates/error.html`
(`config.middleware.StudioErrorMiddleware`). Views raise them and never build that body by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


class StudioError(Exception):
    """Raised for a failure the user should read; `status` is the HTTP status that says why."""

    status: int = 400

    def __init__(self, message: str = "", *, status: int | None = None, field: str = "") -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.field = field

    @property
    def detail(self) -> str:
        """The one line an API body or an error page shows."""
        return str(self)

    def errors_by_field(self) -> dict[str, list[str]]:
        """`{field: [message]}` of the API's error shape; empty when the error is not on a field."""
        return {self.field: [self.detail]} if self.field else {}

    def extra(self) -> dict[str, Any]:
        """More keys of the API body beside `detail` and `errors` (none by default)."""
        return {}


@dataclass(frozen=True)
class Problem:
    """One thing wrong: what (message), on which field, and where — in a file (file, line) or on
    a graph (node, port). A problem without a file is on a graph: it says its node and port."""

    file: str | None = None
    field: str = ""
    message: str = ""
    line: int | None = None
    node: str | None = None
    port: str | None = None

    def __post_init__(self) -> None:
        if not self.message:
            raise TypeError("a Problem needs a message")

    @property
    def where(self) -> str:
        """`file:line` (or the file alone), empty for a problem on a graph."""
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        where = f"{self.where}: " if self.file is not None else ""
        return f"{where}{self.field}: {self.message}" if self.field else f"{where}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        """The problem as JSON for API error bodies: with its file, or with its node and port."""
        if self.file is None:
            return {
                "node": self.node,
                "port": self.port,
                "field": self.field,
                "line": self.line,
                "message": self.message,
            }
        return {"file": self.file, "field": self.field, "line": self.line, "message": self.message}


class ProblemsError(StudioError):
    """Raised when something has one or more problems; `problems` lists every one found."""

    whole_field: ClassVar[str] = "document"  # the key of problems not on a field

    def __init__(self, problems: list[Problem], *, status: int | None = None) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems), status=status)

    @property
    def detail(self) -> str:
        if not self.problems:
            return "invalid input"
        first = str(self.problems[0])
        return first if len(self.problems) == 1 else f"{len(self.problems)} problems; first: {first}"

    def errors_by_field(self) -> dict[str, list[str]]:
        """`{field: [messages]}`, each message of a problem in a file with its `(file:line)`."""
        grouped: dict[str, list[str]] = {}
        for problem in self.problems:
            message = problem.message if problem.file is None else f"{problem.message} ({problem.where})"
            grouped.setdefault(problem.field or self.whole_field, []).append(message)
        return grouped

    def extra(self) -> dict[str, Any]:
        return {"problems": [problem.as_dict() for problem in self.problems]}
