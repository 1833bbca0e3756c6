"""Split an article into front-matter and body, and validate the front-matter into `Meta`.

Every problem is collected with the line and column of the offending value, and a hint where
the fix is clear. Values keep the text the writer typed (see `yamldoc`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

from ..diagnostics import Diagnostic, error, warning
from ..urls import SLUG_RE
from . import yamldoc
from .sources import Source

MAX_TAGS = 50
# SVG is refused: a drawing can hold script, which runs on the site's origin when opened.
PHOTO_TYPES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
KNOWN_KEYS = (
    "title",
    "date",
    "updated",
    "tags",
    "author",
    "source",
    "photo",
    "summary",
    "slug",
    "draft",
)
# The draft switches of other generators, so an imported article keeps its state: Jekyll's
# `published:` and Pelican's and WordPress's `status:`.
STATE_KEYS = ("draft", "published", "status")
_STATUS_DRAFT = {"draft": True, "hidden": True, "private": True, "published": False,
                 "publish": False}
# Other generators' scheduling keys, lower-cased: publishing on a date or hiding an article
# cannot be done by a static build, so each is an error naming what to write instead.
_UNSUPPORTED = {
    "publishdate": "write the publication date as date:, and draft: true until then",
    "pubdate": "write the publication date as date:, and draft: true until then",
    "expirydate": "write draft: true to take the article down",
    "unpublishdate": "write draft: true to take the article down",
    "eleventyexcludefromcollections": "write draft: true to leave the article out",
    "headless": "write draft: true to leave the article out",
}
# Text shown to readers, where a ` #` cutting the value short would go unnoticed.
_PROSE = {("title",), ("summary",), ("author",), ("source", "name"), ("photo", "alt"),
          ("photo", "caption"), ("photo", "credit")}
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(?P<zone>Z|[+-]\d{2}:?\d{2})?"
)


@dataclass(frozen=True)
class Photo:
    src: str  # as written, relative to the article file
    alt: str
    caption: str
    credit: str
    line: int
    column: int


@dataclass(frozen=True)
class Origin:
    """Where the article first appeared."""

    name: str
    url: str


@dataclass(frozen=True)
class Meta:
    title: str
    date: datetime  # timezone-aware
    has_time: bool  # False when written as a plain date
    updated: datetime | None
    tags: tuple[str, ...]
    tag_marks: tuple[tuple[int, int], ...]  # line and column of each tag
    authors: tuple[str, ...]
    origin: Origin | None
    photo: Photo | None
    summary: str | None
    slug: str | None
    slug_mark: tuple[int, int]
    draft: bool
    date_mark: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Split:
    yaml: str
    yaml_line: int  # file line where the YAML starts
    body: str
    body_line: int  # file line where the body starts


def split(source: Source) -> tuple[Split | None, list[Diagnostic]]:
    lines = source.text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, [
            error(
                source.name,
                1,
                1,
                "missing front-matter",
                "start the file with a line '---', then title: and date:, then '---'",
            )
        ]
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return Split("\n".join(lines[1:i]) + "\n", 2, "\n".join(lines[i + 1 :]), i + 2), []
    return None, [
        error(
            source.name,
            1,
            1,
            "front-matter is never closed",
            "add a line '---' after the last front-matter field",
        )
    ]


def parse_date(text: str, zone: ZoneInfo) -> tuple[datetime, bool]:
    """`YYYY-MM-DD` (midnight in the site's zone) or an ISO 8601 date-time with offset."""
    if _DATE_RE.fullmatch(text):
        try:
            return datetime.combine(date.fromisoformat(text), time(), zone), False
        except ValueError:
            raise ValueError(f"{text!r} is not a real date") from None
    match = _DATETIME_RE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a date; write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+HH:MM")
    if not match.group("zone"):
        raise ValueError(f"{text!r} has a time but no UTC offset; add one, e.g. +00:00")
    try:
        return datetime.fromisoformat(text), True
    except ValueError:
        raise ValueError(f"{text!r} is not a real date and time") from None


def validate(source: Source, part: Split, zone: ZoneInfo) -> tuple[Meta | None, list[Diagnostic]]:
    name = source.name
    try:
        doc = yamldoc.parse(part.yaml, part.yaml_line)
    except yamldoc.YamlError as exc:
        return None, [error(name, exc.line, exc.column, exc.message, exc.hint)]
    if not isinstance(doc.data, dict):
        return None, [error(name, part.yaml_line, 1, "front-matter must be 'key: value' lines")]
    data: dict[str, object] = doc.data
    out: list[Diagnostic] = []

    def fail(path: tuple, message: str, hint: str = "") -> None:
        out.append(error(name, *doc.where(*path), message, hint))

    def text(key: str, required: bool = False, parent: tuple = ()) -> str:
        node = data
        for p in parent:
            node = node.get(p) or {}
        value = node.get(key)
        label = ".".join((*parent, key))
        if value is None:
            if required:
                line, col = doc.where(*parent) if parent else (part.yaml_line, 1)
                out.append(error(name, line, col, f"missing required field '{label}'"))
            return ""
        if not isinstance(value, str):
            fail(
                (*parent, key),
                f"'{label}' must be text, not a {_kind(value)}",
                "quote the value" if isinstance(value, list) else "",
            )
            return ""
        if required and not value.strip():
            fail((*parent, key), f"'{label}' is empty")
        return value.strip()

    for key in data:
        if key.lower() in _UNSUPPORTED:
            out.append(error(name, *doc.where_key(key), f"'{key}' is not supported",
                             _UNSUPPORTED[key.lower()]))
        elif key not in KNOWN_KEYS and key not in STATE_KEYS:
            close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
            out.append(
                warning(
                    name,
                    *doc.where_key(key),
                    f"unknown front-matter key '{key}'",
                    f"did you mean '{close[0]}'?"
                    if close
                    else "known keys: " + ", ".join(KNOWN_KEYS),
                )
            )
    for path, hash_mark in doc.comments.items():
        if path in _PROSE or (len(path) == 2 and path[0] in ("tags", "author")
                              and isinstance(path[1], int)):
            out.append(warning(name, *hash_mark, "the text after ' #' is a YAML comment and was "
                               "left out", "quote the value"))

    title = text("title", required=True)
    when, has_time = datetime.min, False
    date_text = text("date", required=True)
    if date_text:
        try:
            when, has_time = parse_date(date_text, zone)
        except ValueError as exc:
            fail(("date",), f"date {exc}")
    updated = None
    if updated_text := text("updated"):
        try:
            updated = parse_date(updated_text, zone)[0]
        except ValueError as exc:
            fail(("updated",), f"updated {exc}")

    tags, tag_marks = _strings(data, doc, "tags", fail)
    if len(tags) > MAX_TAGS:  # each tag page lists the article with all its tags: N² output
        fail(("tags", MAX_TAGS), f"an article may have at most {MAX_TAGS} tags, not {len(tags)}")
        tags, tag_marks = tags[:MAX_TAGS], tag_marks[:MAX_TAGS]
    authors = (text("author"),) if isinstance(data.get("author"), str) else None
    if authors is None:
        authors = _strings(data, doc, "author", fail)[0]
    authors = tuple(a for a in authors if a)

    origin = None
    if "source" in data and data["source"] is not None:
        if not isinstance(data["source"], dict):
            fail(("source",), "'source' must have 'name:' and 'url:' lines")
        else:
            url = text("url", parent=("source",))
            if url and not re.match(r"^https?://[^\s/]+", url):
                fail(("source", "url"), f"source url {url!r} must start with http:// or https://")
            origin = Origin(text("name", required=True, parent=("source",)), url)

    photo = None
    if "photo" in data and data["photo"] is not None:
        if not isinstance(data["photo"], dict):
            fail(("photo",), "'photo' must have 'src:', 'alt:', 'caption:' and 'credit:' lines")
        else:
            src = text("src", required=True, parent=("photo",))
            alt = text("alt", required=True, parent=("photo",))
            if src and (problem := bad_relative_path(src, PHOTO_TYPES)):
                fail(("photo", "src"), problem)
            photo = Photo(
                src,
                alt,
                text("caption", parent=("photo",)),
                _credit(text("credit", parent=("photo",))),
                *doc.where("photo", "src"),
            )

    slug = text("slug") or None
    if slug and not (SLUG_RE.fullmatch(slug) and slug == slug.lower()):
        fail(("slug",), f"slug {slug!r} may hold only lowercase letters, digits and hyphens")
    draft = _draft({key: text(key).lower() for key in data if key in STATE_KEYS}, fail)

    meta = Meta(
        title=title,
        date=when,
        has_time=has_time,
        updated=updated,
        tags=tags,
        tag_marks=tag_marks,
        authors=authors,
        origin=origin,
        photo=photo,
        summary=text("summary") or None,
        slug=slug,
        slug_mark=doc.where("slug"),
        draft=draft,
        date_mark=doc.where("date"),
    )
    return meta, out


def _strings(data: dict, doc: yamldoc.YamlDoc, key: str, fail) -> tuple[tuple, tuple]:
    value = data.get(key)
    if value is None:
        return (), ()
    if not isinstance(value, list):
        fail((key,), f"'{key}' must be a list", f"write {key}: [first, second]")
        return (), ()
    items, marks = [], []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            fail((key, i), f"each of '{key}' must be a non-empty word or phrase")
            continue
        items.append(" ".join(item.split()))
        marks.append(doc.where(key, i))
    return tuple(items), tuple(marks)


def _draft(states: dict[str, str], fail) -> bool:
    """Whether the article is a draft, from `draft:` and the `published:` or `status:` an
    imported article may carry (key -> value as typed, lower-cased, in the order written).
    Where they disagree the article stays out: publishing by mistake cannot be undone."""
    says: dict[str, bool] = {}  # key -> "draft"
    for key, value in states.items():
        if not value:
            continue
        if key == "status":
            if value in _STATUS_DRAFT:
                says[key] = _STATUS_DRAFT[value]
            else:
                fail((key,), "status must be draft, hidden, private, published or publish, "
                     f"not {value!r}", "write draft: true to leave the article out")
        elif value in ("true", "false"):
            says[key] = (value == "true") == (key == "draft")
        else:
            fail((key,), f"{key} must be true or false, not {value!r}",
                 "write the publication date as date:" if _DATE_RE.match(value) else "")
    first = next(iter(says), None)
    for key in says:
        if says[key] != says[first]:
            fail((key,), f"{key}: {states[key]} contradicts {first}: {states[first]}",
                 "keep only draft:")
            break
    return any(says.values())


def _credit(credit: str) -> str:
    """Store the credit without the parentheses that the theme puts around it."""
    if credit.startswith("(") and credit.endswith(")"):
        return credit[1:-1].strip()
    return credit


def bad_relative_path(src: str, suffixes: tuple[str, ...]) -> str:
    """Why `src` is not a safe path relative to the article, or ""."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith(("/", "\\")):
        return f"{src!r} must be a file path relative to the article, not a URL or absolute path"
    if "\\" in src:
        return f"{src!r}: use forward slashes in paths"
    if ".." in PurePosixPath(src).parts:
        return f"{src!r} must not leave the article's folder ('..')"
    if any(part.startswith(".") for part in PurePosixPath(src).parts):
        return f"{src!r} is a hidden file; give it a name without a leading '.'"
    if len(src.encode()) > 1024 or any(len(p.encode()) > 255 for p in PurePosixPath(src).parts):
        return f"{src[:40]!r}… is too long a file name"
    if src.lower().endswith((".svg", ".svgz")):
        return f"{src!r} is an SVG drawing, which can carry scripts; export it as PNG or WebP"
    if not src.lower().endswith(suffixes):
        return f"{src!r} is not a photo; use one of: {', '.join(suffixes)}"
    return ""


def _kind(value: object) -> str:
    return {list: "list", dict: "group of fields"}.get(type(value), "value")
