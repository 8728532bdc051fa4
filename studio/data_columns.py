"""The columns of stored tabular data: a CSV file (uri_file), a folder holding one (uri_folder, as
the built-in components write them) or an MLTable folder (mltable), read from the header line and
the first rows of the file. The designer's column pickers and Validate's column checks use them.

A snapshot never changes (its digest is its content), so what was read is kept in memory.
"""

from __future__ import annotations

import csv
import functools
import io
import posixpath
import re
from dataclasses import dataclass
from fnmatch import fnmatch

import yaml

from studio.storage.layout import StorageError, snapshot_path
from studio.storage.reading import snapshot_files

DELIMITERS = {".csv": ",", ".tsv": "\t"}
HEAD_BYTES = 256 * 1024  # enough for the header and the rows the types are read from
TYPE_ROWS = 200
MLTABLE = "MLTable"
NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
BOOLEANS = {"true", "false"}
MISSING = {"", "na", "nan", "null", "none"}


@dataclass(frozen=True)
class Column:
    """A column and the kind of values it holds: numeric, boolean or string."""

    name: str
    type: str


@dataclass(frozen=True)
class Table:
    """The columns of a table and the file they were read from."""

    columns: tuple[Column, ...]
    source: str

    def as_dict(self) -> dict:
        return {"columns": [{"name": c.name, "type": c.type} for c in self.columns], "source": self.source}


class NotTabular(Exception):
    """The data has no columns Studio can read (why, in words)."""


def _kind(values: list[str]) -> str:
    present = [v.strip() for v in values if v.strip().lower() not in MISSING]
    if not present:
        return "string"
    if all(NUMBER.match(v) for v in present):
        return "numeric"
    if all(v.lower() in BOOLEANS for v in present):
        return "boolean"
    return "string"


def read_columns(head: bytes, *, delimiter: str, header: bool = True) -> tuple[Column, ...]:
    """The columns of the first bytes of a delimited text file (a cut last line is left out)."""
    text = head.decode("utf-8-sig", errors="replace")
    if len(head) >= HEAD_BYTES and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    rows = []
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        if row:
            rows.append(row)
        if len(rows) > TYPE_ROWS:
            break
    if not rows:
        raise NotTabular("the file is empty")
    width = max(len(row) for row in rows)
    names = rows[0] if header else [f"Column{i + 1}" for i in range(width)]
    body = rows[1:] if header else rows
    return tuple(
        Column(name.strip(), _kind([row[i] if i < len(row) else "" for row in body]))
        for i, name in enumerate(names)
    )


def _head(digest: str, relative: str) -> bytes:
    path = snapshot_path(digest).joinpath(*relative.split("/"))
    if path.is_symlink() or not path.is_file():
        raise NotTabular(f"{relative} is not a file")
    with path.open("rb") as file:
        return file.read(HEAD_BYTES)


def _delimited(digest: str, relative: str, *, delimiter: str | None = None, header: bool = True) -> Table:
    suffix = posixpath.splitext(relative)[1].lower()
    delimiter = delimiter or DELIMITERS.get(suffix)
    if delimiter is None:
        raise NotTabular(f"{relative} is not a .csv or .tsv file")
    return Table(read_columns(_head(digest, relative), delimiter=delimiter, header=header), relative)


def _mltable(digest: str, files: list[str]) -> Table:
    """The first file an MLTable's `paths` name, read as its `read_delimited` says."""
    if MLTABLE not in files:
        raise NotTabular("the folder has no MLTable file")
    try:
        document = yaml.safe_load(_head(digest, MLTABLE).decode("utf-8", errors="replace"))
    except yaml.YAMLError as error:
        raise NotTabular(f"the MLTable file is not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise NotTabular("the MLTable file is not a mapping")
    reading: dict = {}
    for step in document.get("transformations") or []:
        if isinstance(step, dict) and "read_delimited" in step:
            reading = step["read_delimited"] or {}
        elif isinstance(step, dict) and any(key.startswith("read_") for key in step):
            raise NotTabular(f"the MLTable reads {next(iter(step))}, not delimited text")
    delimiter = reading.get("delimiter", ",") if isinstance(reading, dict) else ","
    header = str(reading.get("header", "all_files_same_headers")) != "no_header"
    data = [f for f in files if f != MLTABLE]
    for entry in document.get("paths") or []:
        if not isinstance(entry, dict):
            continue
        for key, value in entry.items():
            if not isinstance(value, str) or "://" in value:
                continue
            wanted = posixpath.normpath(value.lstrip("./") or ".")
            if key == "file":
                matches = [f for f in data if f == wanted]
            elif key == "folder":
                matches = [f for f in data if wanted == "." or f.startswith(wanted + "/")]
            elif key == "pattern":
                matches = [f for f in data if fnmatch(f, wanted)]
            else:
                continue
            if matches:
                return _delimited(digest, matches[0], delimiter=str(delimiter or ","), header=header)
    raise NotTabular("the MLTable's paths name no file stored with it")


@functools.lru_cache(maxsize=512)
def snapshot_table(digest: str, data_type: str) -> Table:
    """The columns of stored data of this type; NotTabular says why there are none."""
    try:
        files = [path for path, _ in snapshot_files(digest)]
    except (OSError, StorageError) as error:
        raise NotTabular(str(error)) from None
    if data_type == "uri_file":
        if len(files) != 1:
            raise NotTabular("a uri_file holds one file")
        return _delimited(digest, files[0])
    if data_type == "mltable":
        return _mltable(digest, files)
    if data_type == "uri_folder":
        top = [f for f in files if "/" not in f]
        if "data.csv" in top:
            return _delimited(digest, "data.csv")
        tables = [f for f in top if posixpath.splitext(f)[1].lower() in DELIMITERS]
        if len(tables) == 1:
            return _delimited(digest, tables[0])
        if MLTABLE in top:
            return _mltable(digest, files)
        raise NotTabular("the folder holds no data.csv (nor a single .csv or .tsv file)")
    raise NotTabular(f"{data_type} data is not a table")


def table_or_none(digest: str | None, data_type: str) -> Table | None:
    """snapshot_table, or None when the data has no readable columns (or is not stored)."""
    if not digest:
        return None
    try:
        return snapshot_table(digest, data_type)
    except NotTabular:
        return None
