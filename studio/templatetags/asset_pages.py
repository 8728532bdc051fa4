"""Filters of the asset pages: highlighted component commands, tag chips, port details."""

from __future__ import annotations

import json
import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# `${{inputs.x}}`, `${{outputs.y}}` and other `${{...}}` expressions, and `$[[` / `]]` brackets.
_TOKEN = re.compile(r"\$\{\{\s*(?P<expression>.*?)\s*\}\}|(?P<open>\$\[\[)|(?P<close>\]\])")
_KIND = re.compile(r"(inputs|outputs)\.")


@register.filter
def command_html(command: str) -> SafeString:
    """The command, escaped, with placeholders in <mark> and optional `$[[...]]` parts in <span>."""
    command = str(command or "")
    parts: list[str] = []
    position = 0
    depth = 0
    for match in _TOKEN.finditer(command):
        parts.append(escape(command[position : match.start()]))
        position = match.end()
        if match["expression"] is not None:
            kind = _KIND.match(match["expression"])
            css = f"placeholder placeholder--{kind[1][:-1]}" if kind else "placeholder"
            parts.append(format_html('<mark class="{}">{}</mark>', css, match[0]))
        elif match["open"]:
            depth += 1
            parts.append(
                '<span class="optional-part" title="Left out when its optional inputs are not given">'
                '<span class="optional-bracket">$[[</span>'
            )
        elif depth:
            depth -= 1
            parts.append('<span class="optional-bracket">]]</span></span>')
        else:
            parts.append(escape(match[0]))
    parts.append(escape(command[position:]))
    parts.append("</span>" * depth)
    return mark_safe("".join(parts))


@register.filter
def tag_items(tags) -> list[tuple[str, str]]:
    """(key, value) of an asset's tags, sorted, without the studio's internal ones."""
    if not isinstance(tags, dict):
        return []
    return sorted((str(key), str(value)) for key, value in tags.items() if key != "anonymous")


@register.filter
def without_tag(tags: list[tuple[str, str]], key: str) -> list[tuple[str, str]]:
    """The tag pairs other than `key`."""
    return [(name, value) for name, value in tags if name != key]


@register.filter
def port_value(value) -> str:
    """A port's default, min, max or enum value as YAML-ish text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return "" if value is None else str(value)


@register.filter
def get_item(mapping, key):
    """mapping[key], or None; for dictionaries whose keys clash with attribute names."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None
