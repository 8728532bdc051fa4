"""Command lines: placeholders, optional segments, values that stay data (issue #16)."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from studio.schemas import shell_contexts
from studio.schemas.command import (
    PLACEHOLDER,
    CommandTemplateError,
    command_problems,
    placeholders,
    render_command,
)

COMMAND = "python train.py --data ${{inputs.data}} $[[--lr ${{inputs.lr}}]] --out ${{outputs.model}}"

# Values that would run something, split, glob or break quoting were they pasted in as text.
HOSTILE = [
    "$(id -u)",
    "`id -u`",
    "a; id -u",
    "first line\nsecond $(id -u)",
    "it's",
    'say "hi"',
    "back\\slash \\' \\\" \\n",
    "$HOME ${PATH} * ?",
    "  spaced  out  ",
    "",
]
# Each of them with this behind: a step that ran it fails (`test ! -e pwned` ends EVERY_CONTEXT).
TOUCH = "$(touch pwned)`touch pwned`"

# One placeholder in every quoting context; each line writes one file of the output folder.
EVERY_CONTEXT = """\
out=${{outputs.out}}
printf %s ${{inputs.the_value}} > "$out/unquoted"
printf %s "${{inputs.the_value}}" > "$out/double"
printf %s "value='${{inputs.the_value}}'" > "$out/single_in_double"
printf %s '${{inputs.the_value}}' > "$out/single"
printf %s 'it'"'"'s: ${{inputs.the_value}}' > "$out/single_after_quotes"
printf %s $'${{inputs.the_value}}' > "$out/ansi"
printf %s "$(printf %s "${{inputs.the_value}}")" > "$out/substitution"
printf %s "`printf %s ${{inputs.the_value}}`" > "$out/backticks"
cat > "$out/heredoc" <<EOF
"${{inputs.the_value}}"
EOF
# don't: ${{inputs.the_value}}
$[[printf %s ${{inputs.maybe_value}} > "$out/optional"]]
$[[printf %s ${{inputs.unset_value}} > "$out/never"]]
printf %s ${{inputs.number}} > "$out/number"
test ! -e pwned"""


def every_context_files(value: str, number: object = 0.5) -> dict[str, str]:
    """What EVERY_CONTEXT must write with `value` as the_value and maybe_value: the value verbatim."""
    # $(…) and `…` drop trailing newlines, as bash does for any command's output.
    return {
        "unquoted": value,
        "double": value,
        "single_in_double": f"value='{value}'",
        "single": value,
        "single_after_quotes": f"it's: {value}",
        "ansi": value,
        "substitution": value.rstrip("\n"),
        "backticks": value.rstrip("\n"),
        "heredoc": f'"{value}"\n',
        "optional": value,
        "number": str(number),
    }


def run(command: str, tmp_path: Path, **inputs: object) -> subprocess.CompletedProcess:
    """Render `command` with `inputs` and an output folder `out`, and run it as a step does."""
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    rendered = render_command(command, inputs=inputs, outputs={"out": str(out)})
    return subprocess.run(
        ["bash", "-c", rendered.run],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", **rendered.environment},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_it_drops_an_optional_segment_whose_input_is_unset():
    rendered = render_command(COMMAND, inputs={"data": "/d", "lr": None}, outputs={"model": "/m"})
    assert rendered.shown == "python train.py --data /d --out /m"
    assert rendered.run == 'python train.py --data "${STUDIO_INPUT_data}" --out "${STUDIO_OUTPUT_model}"'
    assert rendered.environment == {"STUDIO_INPUT_data": "/d", "STUDIO_OUTPUT_model": "/m"}


def test_it_keeps_an_optional_segment_whose_input_is_set():
    rendered = render_command(COMMAND, inputs={"data": "/d", "lr": 0.5}, outputs={"model": "/m"})
    assert rendered.shown == "python train.py --data /d --lr 0.5 --out /m"
    assert '--lr "${STUDIO_INPUT_lr}"' in rendered.run
    assert rendered.environment["STUDIO_INPUT_lr"] == "0.5"


def test_the_log_form_writes_the_values_out_shell_quoted():
    rendered = render_command(COMMAND, inputs={"data": "/d; rm -rf /", "lr": None}, outputs={"model": "/m"})
    assert shlex.split(rendered.shown)[3] == "/d; rm -rf /"
    assert "rm" not in rendered.run  # the run form never holds a value


@pytest.mark.parametrize(
    ("command", "reference"),
    [
        ("echo ${{inputs.the_x}}", 'echo "${STUDIO_INPUT_the_x}"'),
        ('echo "a ${{inputs.the_x}} b"', 'echo "a ${STUDIO_INPUT_the_x} b"'),
        ("echo 'a ${{inputs.the_x}} b'", "echo 'a '\"${STUDIO_INPUT_the_x}\"' b'"),
        ("echo $'a ${{inputs.the_x}}'", "echo $'a '\"${STUDIO_INPUT_the_x}\"$''"),
        ("echo \"v='${{inputs.the_x}}'\"", "echo \"v='${STUDIO_INPUT_the_x}'\""),
        ("cat <<E\n${{inputs.the_x}}\nE", "cat <<E\n${STUDIO_INPUT_the_x}\nE"),
        ("cat <<'E'\n${{inputs.the_x}}\nE", "cat <<'E'\nV\nE"),  # not expanded there: text
    ],
)
def test_a_value_becomes_a_reference_written_for_its_quoting_context(command, reference):
    assert render_command(command, inputs={"the_x": "V"}, outputs={}).run == reference


@pytest.mark.parametrize("value", [value + TOUCH for value in HOSTILE])
def test_values_stay_data_in_every_quoting_context(value, tmp_path):
    finished = run(EVERY_CONTEXT, tmp_path, the_value=value, maybe_value=value, unset_value=None, number=0.5)
    assert finished.returncode == 0, finished.stderr
    written = {path.name: path.read_text() for path in (tmp_path / "out").iterdir()}
    assert written == every_context_files(value)
    assert not (tmp_path / "pwned").exists()


def test_an_unquoted_value_is_one_argument_never_split_nor_globbed(tmp_path):
    (tmp_path / "match-me").touch()
    finished = run("printf '<%s>' --lr ${{inputs.lr}} ${{inputs.words}}", tmp_path, lr=0.001, words="a  b *")
    assert finished.stdout == "<--lr><0.001><a  b *>"


def test_a_value_keeps_its_whitespace(tmp_path):
    script = "def main():\n    if True:\n        return  1"
    finished = run("printf %s ${{inputs.s}}", tmp_path, s=script)
    assert finished.stdout == script


def test_booleans_and_numbers_read_as_before():
    rendered = render_command(
        "x ${{inputs.a}} ${{inputs.b}} ${{inputs.c}}", inputs={"a": True, "b": 3, "c": 2.5}, outputs={}
    )
    assert rendered.shown == "x True 3 2.5"
    assert rendered.environment == {"STUDIO_INPUT_a": "True", "STUDIO_INPUT_b": "3", "STUDIO_INPUT_c": "2.5"}


def contexts_of(command: str) -> list[tuple[str, str]]:
    return [(m["name"], context) for m, context in shell_contexts.contexts(command, PLACEHOLDER)]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("a ${{inputs.x}}", [("x", "unquoted")]),
        ('a "${{inputs.x}}" ${{inputs.y}}', [("x", "double"), ("y", "unquoted")]),
        ("a 'b ${{inputs.x}}' \"${{inputs.y}}\"", [("x", "single"), ("y", "double")]),
        ('a "it\'s ${{inputs.x}}"', [("x", "double")]),  # ' is a plain character in "…"
        ("a 'say \"${{inputs.x}}'", [("x", "single")]),  # and " in '…'
        ("a \\' ${{inputs.x}}", [("x", "unquoted")]),  # an escaped quote opens nothing
        ('a "\\" ${{inputs.x}}"', [("x", "double")]),  # nor does an escaped one close
        ("a $'\\' ${{inputs.x}}'", [("x", "ansi")]),  # \' stays inside $'…'
        ("a 'b\\' ${{inputs.x}}", [("x", "unquoted")]),  # but ends '…': no escapes there
        ('a "$(b "${{inputs.x}}")"', [("x", "double")]),  # quoting afresh inside $(…)
        ('a "$(b ${{inputs.x}})"', [("x", "unquoted")]),
        ("a \"$(b ')' ${{inputs.x}}) ${{inputs.y}}\"", [("x", "unquoted"), ("y", "double")]),
        ('a "$( (b) ${{inputs.x}} )${{inputs.y}}"', [("x", "unquoted"), ("y", "double")]),
        ('a "`b ${{inputs.x}}`"', [("x", "unquoted")]),
        ("a # it's ${{inputs.x}}\nb ${{inputs.y}}", [("x", "comment"), ("y", "unquoted")]),
        ("a#b' ${{inputs.x}}'", [("x", "single")]),  # a # inside a word starts no comment
        ("cat <<-EOF\n\t${{inputs.x}} '\n\tEOF\nb ${{inputs.y}}", [("x", "heredoc"), ("y", "unquoted")]),
        ('cat <<"EOF" >f\n${{inputs.x}}\nEOF\n"${{inputs.y}}"', [("x", "heredoc-quoted"), ("y", "double")]),
        ("cat <<<${{inputs.x}}", [("x", "unquoted")]),  # a here-string is no here-document
    ],
)
def test_the_scanner_reads_the_quoting_context_of_each_placeholder(command, expected):
    assert contexts_of(command) == expected


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
