"""A small column-aligned table for CLI lists, without dependencies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

ELLIPSIS = "…"
GAP = "  "


def cell_text(value: Any, *, width: int | None = None) -> str:
    """One cell as a single line, cut to `width` characters with an ellipsis."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    else:
        text = " ".join(str(value).split())
    if width is not None and width > 0 and len(text) > width:
        text = text[: max(width - 1, 0)] + ELLIPSIS
    return text


def render_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    max_width: int = 40,
    widths: dict[int, int] | None = None,
) -> str:
    """Rows under their headers, each column as wide as its widest cell.

    Cells longer than `max_width` (or `widths[column]` for one column) are cut with an ellipsis;
    the last column is left unpadded so lines carry no trailing spaces.
    """
    limits = widths or {}
    table = [[cell_text(header) for header in headers]]
    for row in rows:
        cells = [
            cell_text(value, width=limits.get(column, max_width))
            for column, value in enumerate(list(row)[: len(headers)])
        ]
        cells += [""] * (len(headers) - len(cells))
        table.append(cells)
    column_widths = [max(len(line[column]) for line in table) for column in range(len(headers))]
    lines = []
    for line in table:
        padded = [cell.ljust(column_widths[column]) for column, cell in enumerate(line)]
        lines.append(GAP.join(padded).rstrip())
    return "\n".join(lines)
