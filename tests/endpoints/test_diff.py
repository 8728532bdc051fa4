"""endpoints/diff.py: what changed between two versions' parameters and steps (pure, no database)."""

from __future__ import annotations

import copy
from types import SimpleNamespace

from endpoints.diff import ABSENT, Change, FieldChange, diff_parameters, diff_steps, diff_versions, show

FRACTION = {
    "name": "fraction",
    "kind": "value",
    "type": "number",
    "default": 0.7,
    "optional": False,
    "required": False,
    "min": 0.01,
    "max": 0.99,
    "description": "Share of rows",
    "feeds": ["split.fraction"],
}
SEED = {
    "name": "seed",
    "kind": "value",
    "type": "integer",
    "default": 7,
    "optional": False,
    "required": False,
}
RAW = {
    "name": "raw",
    "kind": "data",
    "type": "uri_file",
    "default": "iris:1",
    "default_binding": {"kind": "data", "type": "uri_file", "snapshot": "abc", "asset": "iris:1"},
}


def step(name: str, component: str = "split_data:1", **fields) -> dict:
    component_name, _, version = component.partition(":")
    return {
        "name": name,
        "display_name": "",
        "component": {"name": component_name, "version": version, "environment": "sklearn:1"},
        "compute": "docker",
        "inputs": {},
        "outputs": {},
        "input_sources": {},
        **fields,
    }


SPEC = {
    "steps": {
        "load": step(
            "load",
            "import_csv:1",
            inputs={"source_file": {"kind": "data", "type": "uri_file", "asset": "iris:1"}},
            input_sources={"source_file": "raw"},
        ),
        "split": step(
            "split",
            inputs={
                "dataset": {"kind": "step_output", "step": "load", "output": "dataset"},
                "fraction": {"kind": "literal", "value": 0.7},
                "stratify_column": {"kind": "literal", "value": "species"},
            },
            input_sources={"fraction": "fraction"},
        ),
    }
}


def test_the_same_version_has_no_changes():
    assert diff_parameters([FRACTION, SEED, RAW], [FRACTION, SEED, RAW]) == ()
    assert diff_steps(SPEC, copy.deepcopy(SPEC)) == ()
    version = SimpleNamespace(parameters=[FRACTION], spec=SPEC)
    diff = diff_versions(version, version)
    assert diff.is_empty and diff.counts() == {"added": 0, "removed": 0, "changed": 0}


def test_parameters_added_removed_and_changed_name_the_fields_that_differ():
    changed = {**FRACTION, "default": 0.6, "max": None, "description": "Share of rows"}
    added = {"name": "label", "kind": "value", "type": "string", "default": None, "required": True}

    changes = diff_parameters([FRACTION, SEED, RAW], [changed, RAW, added])

    assert changes == (
        Change(
            "fraction",
            "changed",
            (FieldChange("default", "0.7", "0.6"), FieldChange("max", "0.99", ABSENT)),
            summary="number, default 0.6",
        ),
        Change("label", "added", summary="string, required"),
        Change("seed", "removed", summary="integer, default 7"),
    )


def test_parameter_fields_read_as_a_person_compares_them():
    before = {**SEED, "type": "integer", "optional": False, "enum": [1, 2], "default": "7"}
    after = {**SEED, "type": "string", "optional": True, "enum": [1, 2, 3], "default": 7}

    (change,) = diff_parameters([before], [after])

    assert {f.field: (f.before, f.after) for f in change.fields} == {
        "type": ("integer", "string"),  # kinds and types as words
        "default": ('"7"', "7"),  # text quoted, so "7" and 7 differ visibly
        "optional": ("no", "yes"),
        "enum": ("[1, 2]", "[1, 2, 3]"),
    }


def test_a_data_parameter_compares_its_default_not_its_snapshot():
    moved = {**RAW, "default_binding": {**RAW["default_binding"], "snapshot": "def"}}
    newer = {**RAW, "default": "iris:2"}

    assert diff_parameters([RAW], [moved]) == ()
    (change,) = diff_parameters([RAW], [newer])
    assert change.fields == (FieldChange("default", '"iris:1"', '"iris:2"'),)
    assert change.summary == "data input (uri_file), default iris:2"


def test_steps_added_removed_and_changed_name_component_compute_and_inputs():
    after = copy.deepcopy(SPEC)
    split = after["steps"]["split"]
    split["component"]["version"] = "2"
    split["compute"] = "local"
    split["inputs"]["fraction"] = {"kind": "literal", "value": 0.5}
    split["input_sources"] = {}
    split["inputs"]["stratify_column"] = {"kind": "literal", "value": "variety"}
    split["inputs"]["seed"] = {"kind": "literal", "value": 3}
    split["retry_settings"] = {"max_retries": 2, "retry_on_failure": False}
    split["limits"] = {"timeout": 600}
    del after["steps"]["load"]
    after["steps"]["train"] = step("train", "train_model:1", compute="local")

    changes = diff_steps(SPEC, after)

    assert [(c.name, c.kind) for c in changes] == [
        ("split", "changed"),
        ("train", "added"),
        ("load", "removed"),
    ]
    assert {f.field: (f.before, f.after) for f in changes[0].fields} == {
        "component": ("split_data:1", "split_data:2"),
        "compute": ("docker", "local"),
        "retry_settings.max_retries": ("0", "2"),
        "limits.timeout": ("none", "600 s"),
        "inputs.fraction": ("pipeline input fraction", "0.5"),
        "inputs.seed": (ABSENT, "3"),
        "inputs.stratify_column": ('"species"', '"variety"'),
    }
    assert [f.field for f in changes[0].fields][:4] == [
        "component",
        "compute",
        "retry_settings.max_retries",
        "limits.timeout",
    ]
    assert changes[0].summary == "split_data:2 on local"
    assert changes[1].summary == "train_model:1 on local" and changes[1].fields == ()
    assert changes[2].summary == "import_csv:1 on docker"


def test_a_version_frozen_with_the_old_flat_names_compares_by_meaning():
    before = copy.deepcopy(SPEC)
    before["steps"]["split"].update(max_retries=2, retry_on_failure=True, timeout_seconds=600)
    after = copy.deepcopy(SPEC)
    after["steps"]["split"].update(
        retry_settings={"max_retries": 2, "retry_on_failure": True}, limits={"timeout": 900}
    )

    changes = diff_steps(before, after)

    assert [(c.name, c.kind) for c in changes] == [("split", "changed")]
    assert {f.field: (f.before, f.after) for f in changes[0].fields} == {"limits.timeout": ("600 s", "900 s")}


def test_wires_data_and_outputs_are_compared_as_text():
    after = copy.deepcopy(SPEC)
    split = after["steps"]["split"]
    split["inputs"]["dataset"] = {"kind": "data", "type": "uri_folder", "asset": "penguins:3"}
    split["outputs"] = {"first_dataset": "upload"}
    split["display_name"] = "Split 80/20"
    split["force_rerun"] = True

    (change,) = diff_steps(SPEC, after)

    assert {f.field: (f.before, f.after) for f in change.fields} == {
        "display_name": (ABSENT, "Split 80/20"),
        "force_rerun": ("no", "yes"),
        "inputs.dataset": ("load.dataset", "data penguins:3 (uri_folder)"),
        "outputs.first_dataset": (ABSENT, "upload"),
    }


def test_a_version_diff_counts_changes_of_both_kinds():
    before = SimpleNamespace(parameters=[FRACTION, SEED], spec=SPEC)
    after_spec = copy.deepcopy(SPEC)
    after_spec["steps"]["load"]["compute"] = "local"
    after = SimpleNamespace(parameters=[{**FRACTION, "default": 0.5}, RAW], spec=after_spec)

    diff = diff_versions(before, after)

    assert not diff.is_empty
    assert [c.name for c in diff.parameters] == ["fraction", "raw", "seed"]
    assert [c.name for c in diff.steps] == ["load"]
    assert diff.counts() == {"added": 1, "removed": 1, "changed": 2}


def test_missing_parts_are_tolerated():
    assert diff_parameters(None, [SEED]) == (Change("seed", "added", summary="integer, default 7"),)
    assert diff_steps({}, None) == ()
    assert show(None) == ABSENT and show("x") == '"x"' and show(["a", "b"]) == "a, b" and show([]) == "none"
    assert show({"b": 1, "a": True}) == '{"a": true, "b": 1}'
