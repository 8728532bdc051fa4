"""Reading asset definitions (YAML or JSON) safely, remembering the line of every field.

Documents are read with PyYAML's safe loader only. Anchors and aliases are allowed, but a
document whose aliases expand to an absurd size (a "billion laughs" bomb) is refused before
anything walks it, and so is one nested deeper than MAX_DEPTH levels (as written, or once its
aliases and merge keys are expanded): a 400 at the line, never a RecursionError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from studio.errors import Problem, ProblemsError

MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_EXPANDED_NODES = 100_000
# Mappings and lists inside one another; real definitions nest a dozen levels at most.
MAX_DEPTH = 100
TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels (mappings and lists inside one another); refusing"

Path = tuple[str | int, ...]


class DefinitionError(ProblemsError, ValueError):
    """Raised when an asset definition cannot be registered; lists every problem found (400)."""

    @classmethod
    def single(cls, file: str, field: str, message: str, line: int | None = None) -> DefinitionError:
        """An error with one problem."""
        return cls([Problem(file, field, message, line)])


def format_path(path: Path) -> str:
    """`("inputs", "lr", "min")` as `inputs.lr.min`, list indexes as `[0]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class LineIndex:
    """The 1-based line of every field path in a document."""

    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor the document has."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _CountingLoader(yaml.SafeLoader):
    """The safe loader, reading dates as plain strings (definitions are JSON-like data), refusing
    to compose a node more than MAX_DEPTH levels down (PyYAML's composer recurses once per level)."""

    _depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH + 1:  # the root is level 0
                raise _TooDeep(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_CountingLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _index_and_measure(root: yaml.Node) -> tuple[LineIndex, int]:
    index = LineIndex()
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values once expanded, levels below it)

    def child_line(parent: yaml.Node, child: yaml.Node) -> int:
        """Where `child` sits in `parent`: the line of its key, or the parent's own line for an
        alias (an alias node is its anchor's node, which starts elsewhere)."""
        line = child.start_mark.line
        if not parent.start_mark.line <= line <= parent.end_mark.line:
            line = parent.start_mark.line
        return line + 1

    def size_of(node: yaml.Node, stack: set[int], depth: int) -> tuple[int, int]:
        """The node's expanded size and height; refuses more than MAX_DEPTH levels in all, which
        aliases of deep anchors (or chains of merge keys) reach with few lines."""
        key = id(node)
        if key in sizes:  # an alias of an anchor measured before: the line is the alias's parent's
            return sizes[key]
        if key in stack:  # an alias inside its own anchor: infinitely deep
            raise DefinitionError.single(
                "", "", "an alias refers to its own anchor (a recursive document)", node.start_mark.line + 1
            )
        if depth > MAX_DEPTH:
            raise DefinitionError.single("", "", TOO_DEEP, node.start_mark.line + 1)
        stack.add(key)
        total, height = 1, 0
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = []
        for child in children:
            size, below = size_of(child, stack, depth + 1)
            if depth + 1 + below > MAX_DEPTH:
                raise DefinitionError.single("", "", TOO_DEEP, child_line(node, child))
            total += size
            height = max(height, below + 1)
            if total > MAX_EXPANDED_NODES:
                break
        stack.discard(key)
        sizes[key] = (total, height)
        return total, height

    def walk(node: yaml.Node, path: Path, depth: int) -> None:
        index.lines.setdefault(path, node.start_mark.line + 1)
        if depth > 50:
            return
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in seen and key_node.value != "<<":
                        raise DefinitionError.single(
                            "",
                            format_path((*path, key_node.value)),
                            "appears twice in the same mapping; only one can count",
                            key_node.start_mark.line + 1,
                        )
                    seen.add(key_node.value)
                    child = (*path, key_node.value)
                    index.lines.setdefault(child, key_node.start_mark.line + 1)
                    walk(value_node, child, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                walk(item, (*path, position), depth + 1)

    expanded, _ = size_of(root, set(), 0)
    if expanded <= MAX_EXPANDED_NODES:
        walk(root, (), 0)
    return index, expanded


def load_document(text: str | bytes, *, filename: str) -> tuple[dict[str, Any], LineIndex]:
    """Parse a YAML or JSON definition into a mapping and the line index of its fields."""
    if isinstance(text, bytes):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise DefinitionError.single(filename, "", f"larger than {MAX_DOCUMENT_BYTES // 1024} KiB")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DefinitionError.single(filename, "", f"not UTF-8 text ({error.reason})") from None
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        raise DefinitionError.single(filename, "", f"larger than {MAX_DOCUMENT_BYTES // 1024} KiB")
    loader = None
    try:
        loader = _CountingLoader(text)
        try:
            root = loader.get_single_node()
        except _TooDeep as error:
            raise DefinitionError.single(filename, "", TOO_DEEP, error.line) from None
        if root is None:
            raise DefinitionError.single(filename, "", "the document is empty")
        try:
            index, expanded = _index_and_measure(root)
        except DefinitionError as error:
            first = error.problems[0]
            raise DefinitionError.single(filename, first.field, first.message, first.line) from None
        if expanded > MAX_EXPANDED_NODES:
            raise DefinitionError.single(
                filename,
                "",
                f"anchors and aliases expand to more than {MAX_EXPANDED_NODES} values; refusing",
                root.start_mark.line + 1,
            )
        document = loader.construct_document(root)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = " ".join(part for part in (error.context, error.problem) if part)
        if "could not determine a constructor" in message:
            message = f"{message} (tags such as !!python/object are never loaded)"
        raise DefinitionError.single(filename, "", message, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as error:
        raise DefinitionError.single(filename, "", str(error)) from None
    except RecursionError:  # a last guard: the limits above keep documents far from it
        raise DefinitionError.single(filename, "", TOO_DEEP) from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(document, dict):
        raise DefinitionError.single(
            filename, "", f"expected a mapping of fields, got {type(document).__name__}", 1
        )
    return document, index
