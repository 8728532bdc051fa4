"""Per-column statistics and a page of rows of a CSV/TSV file, read as a stream (Azure's "Visualize").

The file is read line by line and never held whole: statistics cover at most `MAX_STAT_ROWS` rows
and `MAX_STAT_BYTES` bytes (the result says when it stopped early), and a page keeps only its own
rows. A cell is missing when it is empty or one of `MISSING_TOKENS` (pandas' usual spellings); a
column is a number column when every present cell is a finite decimal number, else a string
column. Numbers get count, missing, unique, mean, sample std, min, median, max and a histogram of
equal-width bins; strings get count, missing, unique and their most frequent values.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

MAX_STAT_ROWS = 100_000
MAX_STAT_BYTES = 64 * 1024 * 1024
MAX_PAGE_ROWS = 200
HISTOGRAM_BINS = 20
TOP_VALUES = 10
MISSING_TOKENS = frozenset({"", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "<NA>"})
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class TableError(ValueError):
    """Raised when a file cannot be read as a table (not UTF-8 text, or a broken CSV record)."""


@dataclass
class ColumnTally:
    """What one pass has seen of one column."""

    name: str
    missing: int = 0
    numbers: list[float] = field(default_factory=list)
    texts: Counter = field(default_factory=Counter)
    all_numbers: bool = True

    def add(self, cell: str) -> None:
        value = cell.strip()
        if value in MISSING_TOKENS:
            self.missing += 1
            return
        self.texts[value] += 1
        if self.all_numbers:
            if NUMBER.fullmatch(value) and math.isfinite(number := float(value)):
                self.numbers.append(number)
            else:
                self.all_numbers = False
                self.numbers = []

    def summary(self) -> dict:
        count = sum(self.texts.values())
        base = {"name": self.name, "count": count, "missing": self.missing, "unique": len(self.texts)}
        if count and self.all_numbers:
            return {**base, **number_summary(self.numbers)}
        top = sorted(self.texts.items(), key=lambda item: (-item[1], item[0]))[:TOP_VALUES]
        shown = sum(n for _, n in top)
        return {
            **base,
            "type": "string",
            "top": [{"value": value, "count": n} for value, n in top],
            "other": count - shown,
        }


def number_summary(values: list[float]) -> dict:
    """Mean, sample std, min, median, max, distinct values and a histogram of `values` (not empty)."""
    ordered = sorted(values)
    n = len(ordered)
    mean = math.fsum(ordered) / n
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in ordered) / (n - 1)) if n > 1 else None
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {
        "type": "number",
        "unique": len(set(ordered)),
        "mean": mean,
        "std": std,
        "min": ordered[0],
        "median": median,
        "max": ordered[-1],
        "histogram": histogram(ordered),
    }


def histogram(ordered: list[float]) -> dict:
    """Equal-width bins from min to max (the last includes max): `edges` (bins + 1) and `counts`."""
    low, high = ordered[0], ordered[-1]
    bins = min(HISTOGRAM_BINS, len(set(ordered)))
    if high == low:
        return {"edges": [low, high], "counts": [len(ordered)]}
    width = (high - low) / bins
    counts = [0] * bins
    for value in ordered:
        counts[min(bins - 1, int((value - low) / width))] += 1
    return {"edges": [low + i * width for i in range(bins)] + [high], "counts": counts}


def _lines(handle: BinaryIO, budget: list[int]) -> Iterator[str]:
    """The file's lines as text (a byte-order mark dropped), subtracting their bytes from `budget`."""
    first = True
    for raw in handle:
        budget[0] -= len(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise TableError("the file is not UTF-8 text") from None
        if "\x00" in text:
            raise TableError("the file holds binary data (NUL bytes), not a table")
        if first:
            text, first = text.removeprefix("\ufeff"), False
        yield text


def _records(lines: Iterable[str], delimiter: str) -> Iterator[list[str]]:
    try:
        for record in csv.reader(lines, delimiter=delimiter):
            if record and record != [""]:
                yield record
    except csv.Error as error:
        raise TableError(f"not a readable CSV record: {error}") from None


def explore_table(
    handle: BinaryIO,
    *,
    delimiter: str = ",",
    offset: int = 0,
    limit: int = 50,
    with_stats: bool = True,
    max_rows: int = MAX_STAT_ROWS,
    max_bytes: int = MAX_STAT_BYTES,
) -> dict:
    """The header, rows `offset`..`offset+limit` and (with `with_stats`) each column's statistics.

    `scanned` counts the data rows read; `complete` is true when that was the whole file (then
    `scanned` is its row count). Without statistics the read stops after the page.
    """
    budget = [max_bytes]
    records = _records(_lines(handle, budget), delimiter)
    header = next(records, None)
    if header is None:
        raise TableError("the file is empty: no header line")
    tallies = [ColumnTally(name) for name in header]
    page: list[list[str]] = []
    scanned = 0
    complete = True
    for record in records:
        if offset <= scanned < offset + limit:
            page.append(record[: len(header)] + [""] * (len(header) - len(record)))
        scanned += 1
        if with_stats:
            for index, tally in enumerate(tallies):
                tally.add(record[index] if index < len(record) else "")
        if scanned >= offset + limit and not with_stats:
            complete = next(records, None) is None
            break
        if with_stats and (scanned >= max_rows or budget[0] <= 0):
            complete = next(records, None) is None
            break
    return {
        "columns": header,
        "offset": offset,
        "rows": page,
        "scanned": scanned,
        "complete": complete,
        "stats": [tally.summary() for tally in tallies] if with_stats else None,
    }
