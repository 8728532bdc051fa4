"""The compatibility corpus is valid Azure ML YAML, and its manifest says what Studio must do with each file.

Every file loads with azure-ai-ml's own loader for its kind, offline (the oracle, tests/compat/oracle.py);
the manifest lists exactly the corpus's files and holds together (what it names exists). Neither needs
Studio: this is the ground the compiler's compatibility tests stand on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.compat.oracle import CORPUS, EXPECTS, KINDS, azure_reading, corpus_files, load, manifest

# azure-ai-ml's schemas use marshmallow 3 features that marshmallow 4 changes: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::marshmallow.warnings.Marshmallow4Warning")

FILES = manifest()["files"]
REGISTRABLE = {"component", "environment", "data", "datastore", "model"}


def _document(relative: str) -> dict:
    return yaml.safe_load((CORPUS / relative).read_text())


def _has_path(document: object, dotted: str) -> bool:
    node = document
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_the_manifest_lists_every_corpus_file_and_nothing_else():
    on_disk = set(corpus_files())
    listed = set(FILES)
    assert sorted(on_disk - listed) == [], "corpus files missing from manifest.yaml"
    assert sorted(listed - on_disk) == [], "manifest.yaml names files that do not exist"


def test_the_corpus_is_big_enough():
    assert len(FILES) >= 60
    jobs = [entry for entry in FILES.values() if entry["kind"] == "job"]
    runnable = [entry for entry in jobs if entry["expect"] != "refused"]
    assert len(runnable) >= 60, f"only {len(runnable)} jobs are expected to run"


@pytest.mark.parametrize("relative", sorted(FILES))
def test_a_manifest_entry_holds_together(relative):
    entry = FILES[relative]
    assert entry["kind"] in KINDS
    assert entry["expect"] in EXPECTS
    expect, kind = entry["expect"], entry["kind"]
    assert (expect == "used") == (kind == "conda")
    if expect == "runs":
        assert kind == "job"
    if expect == "registers":
        assert kind in REGISTRABLE
    assert bool(entry.get("warns")) == (expect == "warns"), "warns: lists the fields iff expect is warns"
    document = _document(relative)
    for warned in entry.get("warns", []):
        file, _, field = warned.rpartition("#")
        if file:
            assert file in FILES, f"{warned}: no such corpus file"
            assert _has_path(_document(file), field), f"{warned}: no such field"
        else:
            assert _has_path(document, field), f"{warned}: no such field in {relative}"
    if expect == "refused":
        assert entry.get("reason"), "a refusal says why"
        assert _has_path(document, entry["field"]), f"{entry['field']}: no such field"
    for needed in entry.get("needs", []):
        assert FILES.get(needed, {}).get("kind") in REGISTRABLE, f"{needed}: not a registrable corpus file"
    if "steps" in entry:
        assert list(document["jobs"]) == entry["steps"]
    for component in entry.get("anonymous_components", []):
        referenced = {
            (CORPUS / Path(relative).parent / str(step["component"]).removeprefix("file:")).resolve()
            for step in document["jobs"].values()
            if "component" in step
        }
        assert (CORPUS / component).resolve() in referenced
    for other in entry.get("same_name_version", []):
        mine, theirs = document, _document(other)
        assert (mine["name"], str(mine["version"])) == (theirs["name"], str(theirs["version"]))
        assert mine != theirs, f"{other} has the same content"


@pytest.mark.parametrize("relative", corpus_files())
def test_azure_ml_loads_the_file(relative):
    """azure-ai-ml's loader for the file's kind reads it without a workspace, credentials or network."""
    entry = FILES.get(relative)
    assert entry is not None, "not in manifest.yaml"
    loaded = load(relative, entry["kind"])
    if entry["kind"] == "job" and entry["expect"] != "refused":
        reading = azure_reading(relative)
        if "steps" in entry:
            assert list(reading["jobs"]) == entry["steps"]
    else:
        assert loaded is not None


def test_azure_reads_a_local_component_file_as_anonymous():
    """What Studio must match: a component a job names by file never takes its declared name."""
    reading = azure_reading("pipeline-collide-a.yml")
    assert reading["jobs"]["greet"]["component"]["name"] == "azureml_anonymous"
