"""Parse YAML into plain values while keeping the line of every value.

Front-matter is written by people, so YAML 1.1's implicit typing is a trap: an unquoted `no`
becomes False, `1984` an int, `2019-03-14` a date. Here every scalar stays the text the writer
typed (only an empty value or `~`/`null` means "nothing"), and the validator decides what each
field means. Nothing is ever constructed as an object, anchors/aliases are refused (no
billion-laughs expansion), and size and nesting are bounded.

The values are built straight from PyYAML's event stream in one loop rather than through its
composer, which recurses once per level and so crashed on a few thousand `[`; the loop stops
at the first node deeper than the limit. Every value holds only characters XML 1.0 allows
(feeds and sitemaps are XML), with a surrogate pair written as two escapes joined into its
character.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import yaml
import yaml.reader
import yaml.scanner

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
    """Plain data (dict, list, str, None) and where each value stands. `comments` holds, for
    each unquoted value followed by a comment on its line, where the `#` stands: the writer
    may have meant the text after it to be part of the value."""

    data: object
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    comments: dict[Path_, tuple[int, int]] = field(default_factory=dict)

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
_RAW_REFUSED = yaml.reader.Reader.NON_PRINTABLE  # what PyYAML's reader refuses, unplaced
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
_ESCAPE = re.compile(r"\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)
_KEY = object()  # a mapping waits for its next key


@dataclass
class _Open:
    """A collection being filled: a list, or a dict with the key of its next value."""

    value: list | dict
    path: Path_
    key: object = _KEY


def parse(text: str, first_line: int = 1) -> YamlDoc:
    """Parse one YAML document; `first_line` is the file line the text starts on."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlError(f"front-matter is larger than {MAX_BYTES // 1024} KB", first_line, 1)
    if raw := _RAW_REFUSED.search(text):
        raise _bad_character(raw.group(), *_place(text, raw.start(), first_line))
    if (events := _fast_events(text)) is not None:
        return _build(iter(events), text, first_line)
    loader = yaml.SafeLoader(text)
    try:
        return _build(_events(loader), text, first_line)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else first_line
        column = mark.column + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(f"invalid YAML: {problem}", line, column, _yaml_hint(problem)) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", first_line, 1) from None
    except (ValueError, OverflowError):  # PyYAML's chr() of an escape past U+10FFFF
        mark = loader.get_mark()  # just after the `\U`
        raise YamlError(
            f"escape \\U{text[mark.index:mark.index + 8]} is not a character",
            mark.line + first_line,
            max(mark.column - 1, 1),
            "the last character is \\U0010FFFF",
        ) from None
    finally:
        loader.dispose()


def _fast_events(text: str) -> list[yaml.Event] | None:
    """The events of libyaml's parser (25 times faster than PyYAML's own, same events and
    marks), or None when it is missing or refuses the text: PyYAML's parser then reads it
    again, so an error is always reported in its words. The two place an empty value
    differently, and libyaml reads tabs and BOMs where PyYAML does not: those are left to
    PyYAML too (`test_libyaml_and_pyyaml_give_the_same_document_or_the_same_error`)."""
    if not yaml.__with_libyaml__ or "\t" in text or "\ufeff" in text:
        return None
    loader = yaml.CSafeLoader(text)
    try:
        events = list(_events(loader))
    except (yaml.YAMLError, ValueError, OverflowError, UnicodeError):
        return None
    finally:
        loader.dispose()
    for event in events:
        if isinstance(event, yaml.ScalarEvent) and not event.value and not event.style:
            return None
    return events


def _events(loader: yaml.SafeLoader) -> Iterator[yaml.Event]:
    while loader.check_event():
        yield loader.get_event()


def _build(events: Iterator[yaml.Event], text: str, first_line: int) -> YamlDoc:
    """Plain values from parser events, one event at a time (never recursing)."""
    marks: dict[Path_, tuple[int, int]] = {}
    key_marks: dict[Path_, tuple[int, int]] = {}
    comments: dict[Path_, tuple[int, int]] = {}
    stack: list[_Open] = []
    root: object = None
    documents = nodes = 0

    def at(mark: yaml.Mark) -> tuple[int, int]:
        return mark.line + first_line, mark.column + 1

    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise YamlError("invalid YAML: a second document starts here",
                                *at(event.start_mark),
                                "keep one document: a line '---' or '...' ends the first")
        if isinstance(event, yaml.CollectionEndEvent):
            stack.pop()
        if not isinstance(event, yaml.NodeEvent):
            continue
        where = at(event.start_mark)
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            raise YamlError("anchors and aliases are not allowed here", *where)
        parent = stack[-1] if stack else None
        if parent and isinstance(parent.value, dict) and parent.key is _KEY:
            parent.key = _key(event, text, first_line, parent, where)
            key_marks[(*parent.path, parent.key)] = where
            continue
        path: Path_ = ()
        if parent:
            path = (*parent.path, parent.key if isinstance(parent.value, dict)
                    else len(parent.value))
        nodes += 1
        if nodes > MAX_NODES:
            raise YamlError(f"more than {MAX_NODES} values", *where)
        if len(stack) > MAX_DEPTH:
            raise YamlError(f"nested deeper than {MAX_DEPTH} levels", *where)
        _check_tag(event, where)
        marks[path] = where
        if isinstance(event, yaml.ScalarEvent):
            value: object = _scalar(event, text, first_line)
            if value is not None and not event.style and (
                    hash_mark := _comment_after(event.end_mark, text, first_line)):
                comments[path] = hash_mark
        else:
            value = [] if isinstance(event, yaml.SequenceStartEvent) else {}
        if parent is None:
            root = value
        elif isinstance(parent.value, dict):
            parent.value[parent.key] = value
            parent.key = _KEY
        else:
            parent.value.append(value)
        if isinstance(value, (list, dict)):
            stack.append(_Open(value, path))
    return YamlDoc(root, marks, key_marks, comments)


def _key(event: yaml.NodeEvent, text: str, first_line: int, parent: _Open,
         where: tuple[int, int]) -> str:
    if not isinstance(event, yaml.ScalarEvent):
        raise YamlError("keys must be plain words", *where)
    _check_tag(event, where)
    key = _characters(event, text, first_line)
    if key == "<<":
        raise YamlError("merge keys (<<) are not allowed here", *where)
    if key in parent.value:
        raise YamlError(f"key {key!r} appears twice", *where)
    return key


def _check_tag(event: yaml.NodeEvent, where: tuple[int, int]) -> None:
    if event.tag is not None and event.tag not in _PLAIN_TAGS:
        raise YamlError(f"YAML tag {event.tag!r} is not allowed here", *where)


def _scalar(event: yaml.ScalarEvent, text: str, first_line: int) -> str | None:
    value = _characters(event, text, first_line)
    return None if not event.style and value in _NULLS else value  # plain: None or ''


def _characters(event: yaml.ScalarEvent, text: str, first_line: int) -> str:
    """The scalar's text with escaped surrogate pairs joined; refuses what XML cannot hold."""
    value = _PAIR.sub(lambda m: m.group().encode("utf-16-le", "surrogatepass").decode(
        "utf-16-le"), event.value)
    if bad := _NOT_XML.search(value):
        raise _bad_character(bad.group(), *_escape_place(event, text, first_line))
    return value


def _escape_place(event: yaml.ScalarEvent, text: str, first_line: int) -> tuple[int, int]:
    """Where the first escape that makes a forbidden character stands (such characters can
    only come from the escapes of a double-quoted scalar; the raw ones are refused first)."""
    start = event.start_mark
    base = (start.index, start.line + first_line, start.column + 1)
    pending = None  # the escape of a high surrogate, waiting for its low half
    for match in _ESCAPE.finditer(text, start.index, event.end_mark.index):
        char = _unescape(match.group())
        if pending is not None:
            if "\udc00" <= char <= "\udfff" and match.start() == pending.end():
                pending = None
                continue
            break
        if "\ud800" <= char <= "\udbff":
            pending = match
        elif char and _NOT_XML.match(char):
            return _place(text, match.start(), *base[1:], base[0])
    if pending is not None:
        return _place(text, pending.start(), *base[1:], base[0])
    return base[1:]


def _unescape(escape: str) -> str:
    if escape[1] in yaml.scanner.Scanner.ESCAPE_CODES:
        return chr(int(escape[2:], 16)) if len(escape) > 2 else ""
    return yaml.scanner.Scanner.ESCAPE_REPLACEMENTS.get(escape[1], "")


def _comment_after(end: yaml.Mark, text: str, first_line: int) -> tuple[int, int] | None:
    """Line and column of a `#` that follows an unquoted value on its line, or None."""
    index = end.index
    while index < len(text) and text[index] in " \t":
        index += 1
    if index > end.index and text[index:index + 1] == "#":
        return end.line + first_line, end.column + 1 + index - end.index
    return None


def _place(text: str, index: int, line: int = 1, column: int = 1,
           base: int = 0) -> tuple[int, int]:
    """Line and column of `text[index]`, counting from `text[base]` at (`line`, `column`)."""
    breaks = text.count("\n", base, index)
    if not breaks:
        return line, column + index - base
    return line + breaks, index - text.rfind("\n", base, index)


def _bad_character(char: str, line: int, column: int) -> YamlError:
    """The error for a character that no value may hold."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        kind, hint = "lone surrogate", (
            "write the character itself, or both halves of its pair, as in \\ud83d\\ude00")
    elif code in (0xFFFE, 0xFFFF):
        kind, hint = "non-character", "remove it"
    else:
        kind, hint = "control character", "remove it; write \\n for a line break"
    return YamlError(f"{kind} U+{code:04X} is not allowed in YAML text", line, column, hint)


def _yaml_hint(problem: str) -> str:
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be quoted"
    if "found character '\\t'" in problem:
        return "indent with spaces, not tabs"
    if "could not find expected ':'" in problem:
        return "each line needs 'key: value'; quote values that span lines"
    return ""
