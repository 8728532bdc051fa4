"""Pieces shared by the asset schemas: strict models, names, versions, tags, error mapping."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from studio.schemas.loading import DefinitionError, LineIndex, Problem, format_path

ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
COMPONENT_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SNAPSHOT_REFERENCE = re.compile(r"^studio://snapshots/(?P<digest>[0-9a-f]{64})$")

UNKNOWN_FIELD = "is not a field of this schema, or one Studio does not support"


def _version_text(value: Any) -> Any:
    # `version: 1` in YAML is an integer; Azure treats versions as strings.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    return value


def _tag_values(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: ("" if item is None else str(item) if isinstance(item, (int, float, bool)) else item)
            for key, item in value.items()
        }
    return value


Version = Annotated[str, BeforeValidator(_version_text)]
Tags = Annotated[dict[str, str], BeforeValidator(_tag_values)]


class StrictModel(BaseModel):
    """A schema model that refuses unknown fields and does not coerce types."""

    model_config = ConfigDict(
        extra="forbid", strict=True, populate_by_name=True, frozen=True, allow_inf_nan=False
    )


def validate_document(
    model: type[StrictModel], document: dict[str, Any], *, index: LineIndex, filename: str, prefix: tuple = ()
) -> Any:
    """Validate a parsed document, turning pydantic's errors into problems with field and line."""
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise DefinitionError(
            problems_from_validation(error, index=index, filename=filename, prefix=prefix, document=document)
        ) from None


PYDANTIC_TYPE_NAMES = {"str", "int", "float", "bool", "dict", "list", "none"}


def _is_field_name(part: Any) -> bool:
    return (
        isinstance(part, str)
        and part.isidentifier()
        and part not in PYDANTIC_TYPE_NAMES
        and not part[0].isupper()
    )


def _document_path(document: Any, loc: tuple) -> tuple:
    """The part of a pydantic error location that names something in the document.

    Pydantic adds union member names (`int`, `float`) and key markers (`[key]`) to locations;
    people only know the fields they wrote, so the location stops where the document does,
    keeping the name of a missing or unknown field.
    """
    if document is None:
        return loc
    path: list = []
    node = document
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            if isinstance(node, dict) and _is_field_name(part):
                path.append(part)
            break
        path.append(part)
    return tuple(path)


def problems_from_validation(
    error: ValidationError, *, index: LineIndex, filename: str, prefix: tuple = (), document: Any = None
) -> list[Problem]:
    """Pydantic's errors as Studio problems."""
    problems = []
    seen: set[tuple] = set()
    for item in error.errors(include_url=False):
        path = (*prefix, *_document_path(document, tuple(item["loc"])))
        if path in seen:
            continue
        seen.add(path)
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = UNKNOWN_FIELD
        elif item["type"] == "missing":
            message = "is required"
        elif item["type"] == "literal_error":
            message = f"{message}, got {item.get('input')!r}"
        problems.append(Problem(filename, format_path(path), message, index.line_of(path)))
    return problems


def check_name(value: str | None, *, pattern: re.Pattern, what: str) -> str | None:
    """The problem with an asset name, or None."""
    if value is None:
        return "is required"
    if not pattern.match(value):
        if pattern is COMPONENT_NAME:
            return f"{value!r} is not a valid {what} name: use lowercase letters, digits and '_'"
        return f"{value!r} is not a valid {what} name: use letters, digits, '-', '_' and '.'"
    return None


def check_version(value: str | None) -> str | None:
    """The problem with a version string, or None (None means: assign the next version)."""
    if value is not None and not VERSION.match(value):
        return f"{value!r} is not a valid version: use letters, digits, '.', '-' and '_'"
    return None


def raise_problems(
    problems: list[tuple[tuple, str]], *, index: LineIndex, filename: str, prefix: tuple = ()
) -> None:
    """Raise a DefinitionError for `(field path, message)` problems, if there are any."""
    if problems:
        raise DefinitionError(
            [
                Problem(filename, format_path((*prefix, *path)), message, index.line_of((*prefix, *path)))
                for path, message in problems
            ]
        )
