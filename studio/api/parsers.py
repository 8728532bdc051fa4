"""Reading JSON request bodies with a depth limit.

Python's json module recurses once per level: a body of a few kilobytes of `[[[[…` raises
RecursionError (a 500, and a traceback a thousand frames long), and one just under the
interpreter's limit parses but breaks whatever walks it next. `StudioJSONParser` (the default
parser of every API view, `REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]`) refuses a body nested deeper
than MAX_DEPTH levels, the limit YAML definitions have too, with a 400 that says so.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from studio.schemas.loading import MAX_DEPTH

TOO_DEEP = f"request body: JSON nested deeper than {MAX_DEPTH} levels (objects and arrays inside one another)"


def deeper_than(value: Any, limit: int) -> bool:
    """Whether `value` has containers more than `limit` levels inside one another (no recursion)."""
    if not isinstance(value, (dict, list)):
        return False
    pending = [(value, 0)]  # only containers are ever pushed
    while pending:
        current, depth = pending.pop()
        if depth > limit:
            return True
        children = current.values() if isinstance(current, dict) else current
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def loads_limited(text: str | bytes, *, limit: int = MAX_DEPTH) -> Any:
    """`json.loads`, refusing documents nested deeper than `limit`, and NaN or Infinity as DRF's
    strict JSON does (ParseError, a 400)."""
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ParseError(TOO_DEEP) from None
    except ValueError as error:
        raise ParseError(f"request body: not valid JSON ({error})") from None
    if deeper_than(document, limit):
        raise ParseError(TOO_DEEP)
    return document


class StudioJSONParser(parsers.JSONParser):
    """DRF's JSON parser with the depth limit; UTF-8 only, as JSON is."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise ParseError(f"request body: not {encoding} text ({error})") from None
        return loads_limited(text)
