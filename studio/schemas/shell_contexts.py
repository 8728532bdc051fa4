"""Where a piece of a bash command line sits: unquoted, in "…", in '…', in $'…', a here-document, a comment.

`contexts(text, tokens)` reads the command's quoting the way bash does, far enough to say in which
context each match of `tokens` (the `${{inputs.x}}` placeholders) stands, so a value can be put
there in the form that context needs (`studio.schemas.command`). It follows backslashes, the
three kinds of quotes, `$(…)` and backticks (quoting starts afresh inside them), comments
(`#` at the start of a word) and here-documents (`<<`, `<<-`; a quoted delimiter means no
expansion in the body). It is not a full bash parser: what it does not know (`case` patterns
inside `$(…)`, arithmetic) it reads as unquoted text, which the references Studio puts in are
safe in anyway (see command.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

UNQUOTED = "unquoted"  # also inside $(…) and `…`: quoting starts afresh there
DOUBLE = "double"  # "…"
SINGLE = "single"  # '…'
ANSI = "ansi"  # $'…'
HEREDOC = "heredoc"  # the body of <<WORD: expanded, quotes are plain characters
HEREDOC_QUOTED = "heredoc-quoted"  # the body of <<'WORD': nothing expanded
COMMENT = "comment"

# After these (or at the start) a `#` begins a comment.
WORD_BREAKS = set(" \t\n;&|()<>")
HEREDOC_START = re.compile(r"<<(?P<dash>-?)[ \t]*")


@dataclass
class _Frame:
    kind: str  # "top", "sub" ($(…)), "tick" (`…`), "double", "single", "ansi"
    depth: int = 0  # open parentheses inside a $(…)


@dataclass
class _Heredoc:
    delimiter: str
    quoted: bool
    strip_tabs: bool


@dataclass
class _Scan:
    text: str
    tokens: re.Pattern
    found: list[tuple[re.Match, str]] = field(default_factory=list)
    stack: list[_Frame] = field(default_factory=lambda: [_Frame("top")])
    pending: list[_Heredoc] = field(default_factory=list)


def contexts(text: str, tokens: re.Pattern) -> list[tuple[re.Match, str]]:
    """Each match of `tokens` in `text`, in order, with the quoting context it stands in."""
    scan = _Scan(text, tokens)
    i = 0
    while i < len(text):
        i = _step(scan, i)
    return scan.found


def _step(scan: _Scan, i: int) -> int:
    text, frame = scan.text, scan.stack[-1]
    match = scan.tokens.match(text, i)
    if match:
        scan.found.append((match, _context(frame)))
        return match.end()
    char = text[i]
    if frame.kind == "single":
        if char == "'":
            scan.stack.pop()
        return i + 1
    if frame.kind == "ansi":
        if char == "\\":
            return i + 2
        if char == "'":
            scan.stack.pop()
        return i + 1
    if char == "\\":
        return i + 2
    if text.startswith("$(", i):
        scan.stack.append(_Frame("sub"))
        return i + 2
    if char == "`":
        if frame.kind == "tick":
            scan.stack.pop()
        else:
            scan.stack.append(_Frame("tick"))
        return i + 1
    if frame.kind == "double":
        if char == '"':
            scan.stack.pop()
        return i + 1
    # Unquoted: at the top, inside $(…) or inside `…`.
    if text.startswith("$'", i):
        scan.stack.append(_Frame("ansi"))
        return i + 2
    if text.startswith('$"', i):
        scan.stack.append(_Frame("double"))
        return i + 2
    if char == "'":
        scan.stack.append(_Frame("single"))
        return i + 1
    if char == '"':
        scan.stack.append(_Frame("double"))
        return i + 1
    if char == "(" and frame.kind == "sub":
        frame.depth += 1
        return i + 1
    if char == ")" and frame.kind == "sub":
        if frame.depth:
            frame.depth -= 1
        else:
            scan.stack.pop()
        return i + 1
    if char == "#" and (i == 0 or text[i - 1] in WORD_BREAKS):
        end = text.find("\n", i)
        end = len(text) if end < 0 else end
        for found in scan.tokens.finditer(text, i, end):
            scan.found.append((found, COMMENT))
        return end
    if text.startswith("<<<", i):
        return i + 3
    if text.startswith("<<", i):
        return _heredoc_operator(scan, i)
    if char == "\n" and scan.pending:
        return _heredoc_bodies(scan, i + 1)
    return i + 1


def _context(frame: _Frame) -> str:
    return {"double": DOUBLE, "single": SINGLE, "ansi": ANSI}.get(frame.kind, UNQUOTED)


def _heredoc_operator(scan: _Scan, i: int) -> int:
    """Note the here-document `<<WORD` (its body starts at the next line); returns where WORD ends."""
    text = scan.text
    start = HEREDOC_START.match(text, i)
    j = start.end()
    word = []
    quoted = False
    while j < len(text) and text[j] not in WORD_BREAKS:
        char = text[j]
        if char in "'\"":
            quoted = True
            close = text.find(char, j + 1)
            close = len(text) if close < 0 else close
            word.append(text[j + 1 : close])
            j = close + 1
        elif char == "\\":
            quoted = True
            word.append(text[j + 1 : j + 2])
            j += 2
        else:
            word.append(char)
            j += 1
    if word:
        scan.pending.append(_Heredoc("".join(word), quoted, strip_tabs=bool(start["dash"])))
    return j


def _heredoc_bodies(scan: _Scan, i: int) -> int:
    """Read the bodies of the pending here-documents from `i` (a line start); returns where they end."""
    text = scan.text
    for heredoc in scan.pending:
        while i < len(text):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            line = text[i:end]
            if (line.lstrip("\t") if heredoc.strip_tabs else line) == heredoc.delimiter:
                i = end + 1
                break
            kind = HEREDOC_QUOTED if heredoc.quoted else HEREDOC
            for found in scan.tokens.finditer(text, i, end):
                scan.found.append((found, kind))
            i = end + 1
    scan.pending = []
    return i
