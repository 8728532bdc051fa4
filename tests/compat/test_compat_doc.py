"""docs/azureml-compat.md lists every field of azure-ai-ml's YAML schemas, each with a status.

The field lists come from azure-ai-ml's own marshmallow schemas (tests/compat/schema_fields.py), so
a field that a new azure-ai-ml release within the pinned range adds makes this test fail until the
page says what Studio does with it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.compat.schema_fields import SECTIONS, field_paths

# azure-ai-ml's schemas use marshmallow 3 features that marshmallow 4 changes: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::marshmallow.warnings.Marshmallow4Warning")

DOC = Path(__file__).resolve().parents[2] / "docs" / "azureml-compat.md"
STATUSES = {"supported", "warned", "ignored", "refused"}
ROW = re.compile(r"^\|\s*`(?P<field>[^`]+)`\s*\|\s*(?P<status>[^|]*?)\s*\|(?P<rest>.*)\|\s*$")


def _sections() -> dict[str, dict[str, str]]:
    """The page's tables: section title (lower case) -> field -> status."""
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in DOC.read_text().splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip().lower(), {})
            continue
        match = ROW.match(line)
        if match and current is not None:
            current[match["field"]] = match["status"]
    return sections


def test_every_schema_has_a_section():
    assert sorted(set(SECTIONS) - set(_sections())) == []


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_every_field_of_the_schema_is_on_the_page(section):
    documented = _sections().get(section, {})
    missing = sorted(field_paths(section) - set(documented))
    assert missing == [], f"docs/azureml-compat.md, section {section!r}, does not list these fields"


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_every_row_has_a_status(section):
    rows = _sections().get(section, {})
    assert rows
    wrong = {field: status for field, status in rows.items() if status not in STATUSES}
    assert wrong == {}, f"statuses are {', '.join(sorted(STATUSES))}"
