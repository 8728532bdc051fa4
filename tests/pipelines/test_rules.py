"""The rules the browser checks come from pipelines/rules.py: the case table both sides assert, and
the generated copy the browser imports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pipelines import rules

CASES_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "rules_cases.json"
CASES: list[dict[str, Any]] = json.loads(CASES_FILE.read_text())["cases"]


def _text(arg: Any) -> Any:
    """A name of the table: `{"repeat": TEXT, "times": N}` is TEXT N times."""
    if isinstance(arg, dict) and "repeat" in arg:
        return arg["repeat"] * arg["times"]
    return arg


def _apply(rule: str, args: list[Any]) -> Any:
    if rule == "can_feed":
        return rules.port_types_compatible(*args)
    if rule == "data_fits":
        return rules.data_fits(*args)
    if rule == "is_asset_type":
        return args[0] in rules.ASSET_TYPES
    if rule == "is_parameter_type":
        return args[0] in rules.PARAMETER_TYPES
    if rule == "literal_type":
        return rules.literal_type(args[0])
    if rule == "name":
        return rules.name_ok(args[0], _text(args[1]))
    raise AssertionError(f"the case table names a rule this test does not know: {rule}")


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case['rule']}{json.dumps(case['args'])[:60]}")
def test_it_agrees_with_the_case_table(case: dict[str, Any]) -> None:
    assert _apply(case["rule"], case["args"]) == case["expect"]


def test_it_has_cases_that_accept_and_refuse_for_every_name_rule() -> None:
    seen = {(case["args"][0], case["expect"]) for case in CASES if case["rule"] == "name"}
    for rule in rules.NAME_PATTERNS:
        assert (rule, True) in seen and (rule, False) in seen, rule


def test_it_lets_every_folder_like_type_feed_every_other() -> None:
    # The compiler's rule, which the canvas used to narrow to "into uri_folder only".
    for source in rules.FOLDER_LIKE:
        for target in rules.FOLDER_LIKE:
            assert rules.port_types_compatible(source, target)
    assert not rules.port_types_compatible("uri_file", "uri_folder")


def test_it_keeps_the_checked_in_browser_copy_up_to_date() -> None:
    checked_in = json.loads(rules.GENERATED_JSON.read_text())
    assert checked_in == json.loads(rules.browser_rules_json()), "run `make rules` and commit the result"
    assert rules.main(["--check"]) == 0


def test_it_writes_patterns_that_mean_the_same_in_javascript() -> None:
    # Anchored at both ends, and nothing whose meaning differs between Python and JavaScript:
    # named groups, \A \Z, inline flags, and \d \w \s (Unicode in Python, ASCII in JavaScript).
    for rule, text in rules.browser_rules()["name_patterns"].items():
        assert text.startswith("^") and text.endswith("$"), rule
        assert not re.search(r"\(\?[P<=!a-zA-Z]|\\[AZdDwWsSb]", text.replace("(?:", "")), rule
