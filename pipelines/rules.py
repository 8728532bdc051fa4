"""The rules the browser checks before the server does: port types and which output may feed which
input, parameter types and the type of a literal value, and the name patterns.

This module is their one definition. `python -m pipelines.rules` writes them to
`frontend/src/lib/rules.generated.json`, which the canvas imports (`make rules`); a test fails when
the checked-in file is stale, and one case table (`tests/fixtures/rules_cases.json`) is asserted
against this module by pytest and against the TypeScript side by vitest.

Patterns are written in the syntax JavaScript and Python share (no named groups, `\\A`, `\\Z`,
`\\d` or `\\w`, whose meaning differs between the two) and are applied to the whole text on both sides
(`name_ok` uses `fullmatch`, JavaScript tests `^...$` without the `m` flag).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from studio.schemas.common import ASSET_NAME, COMPONENT_NAME, VERSION
from studio.schemas.component import ASSET_TYPES, PORT_NAME, PRIMITIVE_TYPES

# --- types ---------------------------------------------------------------------------------------

#: Types of plain values: component parameters and literal pipeline inputs.
PARAMETER_TYPES: tuple[str, ...] = PRIMITIVE_TYPES

#: Data types that are folders on disk: an output of one may feed an input of any other.
FOLDER_LIKE = ("uri_folder", "mltable", "mlflow_model", "custom_model")


def port_types_compatible(source: str, target: str) -> bool:
    """Whether an output of type `source` may feed an input of type `target`."""
    if source == target:
        return True
    return source in FOLDER_LIKE and target in FOLDER_LIKE


#: What registered data may feed beyond `port_types_compatible`: as in Azure ML, a single file
#: (uri_file) may be bound to a uri_folder input, and the step gets the file's path (the built-in
#: components read a CSV file given there as they read a folder holding data.csv).
DATA_FEEDS: dict[str, tuple[str, ...]] = {"uri_file": ("uri_folder",)}


def data_fits(data: str, port: str) -> bool:
    """Whether a data asset (or other data input) of type `data` may be bound to an input of type
    `port`: the port rule, or one of DATA_FEEDS."""
    return port_types_compatible(data, port) or port in DATA_FEEDS.get(data, ())


def literal_type(value: Any) -> str | None:
    """The parameter type a literal value has (True -> boolean, 20 -> integer, 1.8 -> number,
    'x' -> string), or None for what is not a literal (None, lists, mappings)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


# --- names ---------------------------------------------------------------------------------------

#: A pipeline input (the designer's pipeline parameter): `${{parent.inputs.NAME}}`.
PIPELINE_INPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: A job of a pipeline, which is a node id of the designer graph.
JOB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
#: A published endpoint: its URL path segment.
ENDPOINT_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")

#: Every name rule the browser checks, by the name the case table and the TypeScript side use.
NAME_PATTERNS: dict[str, re.Pattern[str]] = {
    "pipeline_input": PIPELINE_INPUT_NAME,
    "job": JOB_NAME,
    "port": PORT_NAME,
    "component": COMPONENT_NAME,
    "asset": ASSET_NAME,
    "version": VERSION,
    "endpoint": ENDPOINT_NAME,
}


def name_ok(rule: str, name: str) -> bool:
    """Whether `name` follows the name rule `rule` (a key of NAME_PATTERNS), as the whole text."""
    return NAME_PATTERNS[rule].fullmatch(name) is not None


# --- the browser's copy --------------------------------------------------------------------------

GENERATED_JSON = Path(__file__).resolve().parent.parent / "frontend" / "src" / "lib" / "rules.generated.json"


def browser_rules() -> dict[str, Any]:
    """The rules as the browser reads them."""
    return {
        "asset_types": list(ASSET_TYPES),
        "parameter_types": list(PARAMETER_TYPES),
        "folder_like": list(FOLDER_LIKE),
        "data_feeds": {data: list(ports) for data, ports in DATA_FEEDS.items()},
        "name_patterns": {rule: pattern.pattern for rule, pattern in NAME_PATTERNS.items()},
    }


def browser_rules_json() -> str:
    """The text of `rules.generated.json`."""
    header = {"_generated": "from pipelines/rules.py by `make rules`; do not edit"}
    return json.dumps(header | browser_rules(), indent=2) + "\n"


def main(argv: list[str]) -> int:
    """Write the browser's copy; with `--check`, only say whether it is up to date."""
    text = browser_rules_json()
    if "--check" in argv:
        current = GENERATED_JSON.read_text() if GENERATED_JSON.exists() else "{}"
        if json.loads(current) != json.loads(text):
            print(f"{GENERATED_JSON} is stale: run `make rules`", file=sys.stderr)
            return 1
        return 0
    GENERATED_JSON.write_text(text)
    print(f"wrote {GENERATED_JSON}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
