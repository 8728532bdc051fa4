"""Command lines: placeholders, optional segments, quoting."""

from __future__ import annotations

import shlex

import pytest

from studio.schemas.command import CommandTemplateError, command_problems, placeholders, render_command

COMMAND = "python train.py --data ${{inputs.data}} $[[--lr ${{inputs.lr}}]] --out ${{outputs.model}}"


def test_it_drops_an_optional_segment_whose_input_is_unset():
    rendered = render_command(COMMAND, inputs={"data": "/d", "lr": None}, outputs={"model": "/m"})
    assert rendered == "python train.py --data /d --out /m"


def test_it_keeps_an_optional_segment_whose_input_is_set():
    rendered = render_command(COMMAND, inputs={"data": "/d", "lr": 0.5}, outputs={"model": "/m"})
    assert rendered == "python train.py --data /d --lr 0.5 --out /m"


def test_it_quotes_values_so_they_cannot_inject_shell_syntax():
    rendered = render_command(COMMAND, inputs={"data": "/d; rm -rf /", "lr": None}, outputs={"model": "/m"})
    assert shlex.split(rendered)[3] == "/d; rm -rf /"


def test_it_keeps_the_whitespace_inside_values():
    script = "def main():\n    if True:\n        return  1"
    rendered = render_command("python -c ${{inputs.s}}", inputs={"s": script}, outputs={})
    assert shlex.split(rendered)[2] == script


def test_it_refuses_to_render_without_a_required_value():
    with pytest.raises(CommandTemplateError, match="inputs.data"):
        render_command(COMMAND, inputs={"lr": None}, outputs={"model": "/m"})


def test_it_lists_placeholders_and_whether_they_are_optional():
    found = {(p.kind, p.name, p.in_optional_segment) for p in placeholders(COMMAND)}
    assert found == {("inputs", "data", False), ("inputs", "lr", True), ("outputs", "model", False)}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("echo ${{inputs.nope}}", "names no declared input"),
        ("echo ${{outputs.nope}}", "names no declared output"),
        ("echo $[[--d ${{inputs.data}}]]", "required input inside"),
        ("echo $[[--o ${{outputs.model}}]]", "output inside"),
        ("echo $[[ --x ]]", "names no input"),
        ("echo $[[ --lr ${{inputs.lr}}", "not closed"),
        ("echo ${{ input.lr }}", "is not ${{inputs.NAME}}"),
    ],
)
def test_it_reports_what_is_wrong_with_a_command(command, expected):
    problems = command_problems(command, inputs={"data": False, "lr": True}, outputs={"model"})
    assert any(expected in problem for problem in problems), problems


def test_it_finds_nothing_wrong_with_a_valid_command():
    assert command_problems(COMMAND, inputs={"data": False, "lr": True}, outputs={"model"}) == []
