"""Parse YAML into plain values while keeping the line of every value.

Front-matter is written by people, so YAML 1.1's implicit typing is a trap: an unquoted `no`
becomes False, `1984` an int, `2019-03-14` a date. Here every scalar stays the text the writer
typed (only an empty value or `~`/`null` means "nothing"), and the validator decides what each
field means. Nothing is ever constructed as an object, anchors/aliases are refused (no
billion-laughs expansion), and size and nesting are bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

MAX_BYTES = 256 * 1024
MAX_NODES = 10_000
MAX_DEPTH = 20

Path_ = tuple[str | int, ...]


class YamlError(Exception):
    """A problem at a 1-based line and column of the YAML text."""

    def __init__(self, message: str, line: int, column: int, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint


@dataclass(frozen=True)
class YamlDoc:
    """Plain data (dict, list, str, None) and where each value stands."""

    data: object
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, *path: str | int) -> tuple[int, int]:
        """Line and column of the value at `path`, or of its nearest ancestor."""
        p = tuple(path)
        while p and p not in self.marks:
            p = p[:-1]
        return self.marks.get(p, (1, 1))

    def where_key(self, *path: str | int) -> tuple[int, int]:
        """Line and column of the key that introduces `path` (falls back to the value)."""
        return self.key_marks.get(tuple(path)) or self.where(*path)


_NULLS = {"", "~", "null", "Null", "NULL"}
_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
} | {"!"}


def parse(text: str, first_line: int = 1) -> YamlDoc:
    """Parse one YAML document; `first_line` is the file line the text starts on."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlError(f"front-matter is larger than {MAX_BYTES // 1024} KB", first_line, 1)
    offset = first_line - 1
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + offset if mark else first_line
        column = mark.column + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(f"invalid YAML: {problem}", line, column, _yaml_hint(problem)) from None
    except yaml.YAMLError as exc:  # reader errors (control characters) carry no mark
        raise YamlError(f"invalid YAML: {exc}", first_line, 1) from None
    if root is None:
        return YamlDoc(None)
    marks: dict[Path_, tuple[int, int]] = {}
    key_marks: dict[Path_, tuple[int, int]] = {}
    seen: set[int] = set()

    def at(node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1 + offset, node.start_mark.column + 1

    def convert(node: yaml.Node, path: Path_, depth: int) -> object:
        if id(node) in seen:
            raise YamlError("anchors and aliases are not allowed here", *at(node))
        seen.add(id(node))
        if len(seen) > MAX_NODES:
            raise YamlError(f"more than {MAX_NODES} values", *at(node))
        if depth > MAX_DEPTH:
            raise YamlError(f"nested deeper than {MAX_DEPTH} levels", *at(node))
        if node.tag not in _PLAIN_TAGS:
            raise YamlError(f"YAML tag {node.tag!r} is not allowed here", *at(node))
        marks[path] = at(node)
        if isinstance(node, yaml.ScalarNode):
            if node.style is None and node.value in _NULLS:
                return None
            return node.value
        if isinstance(node, yaml.SequenceNode):
            return [convert(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        result: dict[str, object] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError("keys must be plain words", *at(key_node))
            key = key_node.value
            if key == "<<":
                raise YamlError("merge keys (<<) are not allowed here", *at(key_node))
            if key in result:
                raise YamlError(f"key {key!r} appears twice", *at(key_node))
            key_marks[(*path, key)] = at(key_node)
            result[key] = convert(value_node, (*path, key), depth + 1)
        return result

    return YamlDoc(convert(root, (), 0), marks, key_marks)


def _yaml_hint(problem: str) -> str:
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be quoted"
    if "found character '\\t'" in problem:
        return "indent with spaces, not tabs"
    if "could not find expected ':'" in problem:
        return "each line needs 'key: value'; quote values that span lines"
    return ""
