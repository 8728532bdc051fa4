"""Schema propagation: which columns each step's tables have, and the check that a column parameter
names one of them (Validate and submit run it, so a typo fails before anything runs).

A built-in component declares how it treats columns in `columns.yml` beside its `component.yml`
(not part of the definition, so its content hash is unchanged):

    parameters:                        # parameters that name columns of a table input
      stratify_column: {of: dataset}               # one column
      columns: {of: dataset, many: true}           # columns separated by commas
    outputs:                           # tables written, from a table input's columns
      first_dataset: {keep: dataset}               # the same columns
      scored_dataset: {keep: dataset, add: [scored_label], more: ["scored_probability_*"]}
                                                   # and more, named by the data, like these
      result_dataset: {keep: dataset, select: columns, mode: mode}       # those listed (mode include),
                                                                         # or all but those (exclude)
      cleaned: {keep: dataset, remove: [row_id]}   # all but these
      dataset: {keep: source_file, when: {has_header: true}}             # only with these values

An output it does not list has unknown columns, and so has everything downstream of it: nothing
is checked there. A data input's columns are read from its stored file (studio.data_columns).
The designer does the same in the browser (frontend/src/lib/columns.ts) from the same declarations.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from studio.data_columns import Column, table_or_none

LIBRARY_COMPONENTS = Path(__file__).resolve().parent.parent / "studio" / "library" / "components"
COLUMNS_FILE = "columns.yml"
OUTPUT_FIELDS = {"keep", "add", "remove", "select", "mode", "more", "when"}


@dataclass(frozen=True)
class ColumnParameter:
    """A string parameter that names one column (or, `many`, columns separated by commas) of the
    table input `of`."""

    of: str
    many: bool = False


@dataclass(frozen=True)
class OutputColumns:
    """How an output table's columns follow from the table input `keep`."""

    keep: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    select: str | None = None  # a parameter listing columns: only those are kept, in its order
    mode: str | None = None  # a parameter: `exclude` drops `select`'s columns instead
    more: tuple[str, ...] = ()  # patterns of more columns the data names (scored_probability_*)
    when: dict[str, Any] = field(default_factory=dict)  # parameter values the rule holds for


@dataclass(frozen=True)
class ColumnRules:
    """A component's column declarations."""

    parameters: dict[str, ColumnParameter]
    outputs: dict[str, OutputColumns]

    def as_dict(self) -> dict[str, Any]:
        """As the designer reads them (GET /api/v1/components/<name>/<version>/columns/)."""
        return {
            "parameters": {name: {"of": p.of, "many": p.many} for name, p in self.parameters.items()},
            "outputs": {
                name: {
                    "keep": o.keep,
                    "add": list(o.add),
                    "remove": list(o.remove),
                    "select": o.select,
                    "mode": o.mode,
                    "more": list(o.more),
                    "when": dict(o.when),
                }
                for name, o in self.outputs.items()
            },
        }


NO_RULES = ColumnRules({}, {})


@dataclass(frozen=True)
class Known:
    """The columns a table is known to have, and patterns (fnmatch) of more it may have."""

    columns: tuple[Column, ...]
    more: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def has(self, name: str) -> bool:
        """Whether the table has, or may have, this column."""
        return name in self.names or any(fnmatchcase(name, pattern) for pattern in self.more)


def _names(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{where}: expected a list of column names")
    return tuple(value)


def parse_rules(document: Any, spec: dict[str, Any]) -> ColumnRules:
    """The declarations of `columns.yml`, checked against the component's ports; ValueError names
    the first mistake."""
    if not isinstance(document, dict) or set(document) - {"parameters", "outputs"}:
        raise ValueError("expected a mapping with `parameters` and `outputs`")
    inputs = spec.get("inputs") or {}
    outputs = spec.get("outputs") or {}

    def table_input(name: Any, where: str) -> str:
        if not isinstance(name, str) or (inputs.get(name) or {}).get("type") not in (
            "uri_file",
            "uri_folder",
            "mltable",
        ):
            raise ValueError(f"{where}: {name!r} is not a data input of the component")
        return name

    def string_parameter(name: Any, where: str) -> str:
        if not isinstance(name, str) or (inputs.get(name) or {}).get("type") != "string":
            raise ValueError(f"{where}: {name!r} is not a string parameter of the component")
        return name

    parameters = {}
    for name, value in (document.get("parameters") or {}).items():
        where = f"parameters.{name}"
        string_parameter(name, where)
        if not isinstance(value, dict) or set(value) - {"of", "many"}:
            raise ValueError(f"{where}: expected {{of: <data input>, many: true|false}}")
        if not isinstance(value.get("many", False), bool):
            raise ValueError(f"{where}.many: expected true or false")
        parameters[name] = ColumnParameter(
            table_input(value.get("of"), f"{where}.of"), value.get("many", False)
        )
    rules = {}
    for name, value in (document.get("outputs") or {}).items():
        where = f"outputs.{name}"
        if name not in outputs:
            raise ValueError(f"{where}: the component has no output {name!r}")
        if not isinstance(value, dict) or set(value) - OUTPUT_FIELDS:
            raise ValueError(f"{where}: expected a mapping of {', '.join(sorted(OUTPUT_FIELDS))}")
        when = value.get("when") or {}
        if not isinstance(when, dict):
            raise ValueError(f"{where}.when: expected a mapping of parameter values")
        for parameter in when:
            if parameter not in inputs:
                raise ValueError(f"{where}.when: the component has no input {parameter!r}")
        rules[name] = OutputColumns(
            keep=table_input(value.get("keep"), f"{where}.keep"),
            add=_names(value.get("add", []), f"{where}.add"),
            remove=_names(value.get("remove", []), f"{where}.remove"),
            select=string_parameter(value["select"], f"{where}.select") if "select" in value else None,
            mode=string_parameter(value["mode"], f"{where}.mode") if "mode" in value else None,
            more=_names(value.get("more", []), f"{where}.more"),
            when=dict(when),
        )
    return ColumnRules(parameters, rules)


@functools.cache
def library_rules() -> dict[str, tuple[dict[str, Any], ColumnRules]]:
    """The built-in components' declarations by "NAME:VERSION", with the ports they were checked
    against."""
    found = {}
    for path in sorted(LIBRARY_COMPONENTS.glob(f"*/{COLUMNS_FILE}")):
        spec = yaml.safe_load((path.parent / "component.yml").read_text())
        try:
            rules = parse_rules(yaml.safe_load(path.read_text()), spec)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
        found[f"{spec['name']}:{spec['version']}"] = (spec, rules)
    return found


def _ports(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "inputs": {k: v.get("type") for k, v in (spec.get("inputs") or {}).items()},
        "outputs": {k: v.get("type") for k, v in (spec.get("outputs") or {}).items()},
    }


def component_rules(name: str, version: str, spec: dict[str, Any]) -> ColumnRules:
    """The column declarations of a component: a built-in one's, when its ports are still those the
    declarations were written for; none for any other."""
    found = library_rules().get(f"{name}:{version}")
    if found is None or _ports(found[0]) != _ports(spec):
        return NO_RULES
    return found[1]


def column_names(value: Any, many: bool) -> list[str]:
    """The columns a parameter value names (as the built-in scripts read it)."""
    if not isinstance(value, str):
        return []
    if not many:
        return [value.strip()] if value.strip() else []
    return [name.strip() for name in value.split(",") if name.strip()]


def output_columns(
    rule: OutputColumns, source: Known | None, parameter: Callable[[str], Any]
) -> Known | None:
    """An output's columns from its rule, the `keep` input's columns and the step's parameters."""
    if source is None:
        return None
    for name, wanted in rule.when.items():
        if parameter(name) != wanted:
            return None
    by_name = {c.name: c for c in source.columns}
    columns = list(source.columns)
    if rule.select is not None:
        listed = column_names(parameter(rule.select), many=True)
        if not all(source.has(name) for name in listed):
            return None  # reported at the parameter; guessing further would only repeat it
        if rule.mode is not None and parameter(rule.mode) == "exclude":
            columns = [c for c in columns if c.name not in listed]
        else:
            columns = [by_name.get(name, Column(name, "string")) for name in listed]
    columns = [c for c in columns if c.name not in rule.remove]
    columns += [Column(name, "string") for name in rule.add if name not in {c.name for c in columns}]
    more = source.more + tuple(p for p in rule.more if p not in source.more)
    return Known(tuple(columns), more=more)


class Propagation:
    """The known columns of every step's table inputs and outputs, computed on demand."""

    def __init__(self, steps: dict[str, dict]) -> None:
        self.steps = steps
        self._outputs: dict[tuple[str, str], Known | None] = {}
        self._busy: set[str] = set()

    def rules(self, name: str) -> ColumnRules:
        component = self.steps[name]["component"]
        if component is None:
            return NO_RULES
        return component_rules(component.name, component.version, component.spec)

    def parameter(self, name: str, port: str) -> Any:
        binding = self.steps[name]["inputs"].get(port)
        if binding is None:
            return ((self.steps[name]["component"].spec.get("inputs") or {}).get(port) or {}).get("default")
        return binding.get("value") if binding.get("kind") == "literal" else None

    def input(self, name: str, port: str) -> Known | None:
        binding = self.steps[name]["inputs"].get(port)
        if binding is None:
            return None
        if binding["kind"] == "data":
            table = table_or_none(binding.get("snapshot"), binding.get("type") or "uri_folder")
            return None if table is None else Known(table.columns)
        if binding["kind"] == "step_output" and binding["step"] in self.steps:
            return self.output(binding["step"], binding["output"])
        return None

    def output(self, name: str, port: str) -> Known | None:
        key = (name, port)
        if key in self._outputs:
            return self._outputs[key]
        if name in self._busy:  # a cycle (reported elsewhere)
            return None
        self._busy.add(name)
        try:
            rule = self.rules(name).outputs.get(port)
            known = None
            if rule is not None:
                known = output_columns(rule, self.input(name, rule.keep), lambda p: self.parameter(name, p))
        finally:
            self._busy.discard(name)
        self._outputs[key] = known
        return known


def unknown_column_problem(names: list[str], table: Known, port: str) -> str | None:
    """Why these column names are wrong for this table (None when they are all in it)."""
    missing = [n for n in names if not table.has(n)]
    if not missing:
        return None
    listed = ", ".join(table.names)
    if len(missing) == 1:
        close = difflib.get_close_matches(missing[0], table.names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"{missing[0]!r} is not a column of {port} (its columns: {listed}){hint}"
    quoted = ", ".join(repr(n) for n in missing)
    return f"{quoted} are not columns of {port} (its columns: {listed})"


def check_columns(report, steps: dict[str, dict]) -> None:
    """Report every column parameter that names a column its table does not have."""
    propagation = Propagation(steps)
    for name, step in steps.items():
        if step["component"] is None:
            continue
        for port, declared in propagation.rules(name).parameters.items():
            binding = step["inputs"].get(port)
            if binding is None or binding.get("kind") != "literal":
                continue
            names = column_names(binding.get("value"), declared.many)
            if not names:
                continue
            table = propagation.input(name, declared.of)
            if table is None:
                continue
            problem = unknown_column_problem(names, table, declared.of)
            if problem:
                report(("jobs", name, "inputs", port), problem)
