"""Site settings: one file, `broadsheet.yml` at the repository root, with documented defaults.

Every setting is optional. Folder settings are resolved inside the repository and may not
point outside it, so a hostile config cannot make a build read or write elsewhere.
"""

from __future__ import annotations

import itertools
import re
import zoneinfo
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .diagnostics import Diagnostic, error, warning
from .read import yamldoc

CONFIG_FILE = "broadsheet.yml"


@dataclass(frozen=True)
class Config:
    """Settings with their defaults; see README "Configuration" for each one."""

    root: Path  # the repository; everything read or written stays below it
    title: str = "Broadsheet"
    description: str = "A curated reading archive."
    language: str = "en"
    base_url: str = ""  # public URL, e.g. https://user.github.io/archive/ ("" = unknown)
    per_page: int = 10  # articles per listing page
    timezone: str = "UTC"  # the zone of dates written without a time
    words_per_minute: int = 230
    content_dir: str = "content"
    templates_dir: str = "templates"
    static_dir: str = "static"
    output_dir: str = "site"
    allow_html: tuple[str, ...] = ()  # raw HTML tags articles may use, from HARMLESS_TAGS
    drafts: bool = False  # set by --drafts, not by the file

    @property
    def content(self) -> Path:
        return self.root / self.content_dir

    @property
    def templates(self) -> Path:
        return self.root / self.templates_dir

    @property
    def static(self) -> Path:
        return self.root / self.static_dir

    @property
    def output(self) -> Path:
        return self.root / self.output_dir

    @property
    def base_path(self) -> str:
        """The URL path the site is served under ("/" or "/archive/")."""
        match = re.match(r"^[a-z]+://[^/]*(/.*)?$", self.base_url)
        path = (match.group(1) if match else self.base_url) or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


# The only raw HTML tags a site may allow in articles: inline, no attributes but abbr's title.
HARMLESS_TAGS = frozenset(
    [
        "sup",
        "sub",
        "abbr",
        "kbd",
        "mark",
        "small",
        "cite",
        "q",
        "s",
        "u",
        "b",
        "i",
        "br",
        "dfn",
        "var",
        "samp",
        "ins",
        "del",
    ]
)
_TEXT = ("title", "description", "language", "base_url", "timezone")
_INT = ("per_page", "words_per_minute")
_DIRS = ("content_dir", "templates_dir", "static_dir", "output_dir")


def load(root: Path, **overrides: object) -> tuple[Config, list[Diagnostic]]:
    """Read `broadsheet.yml` below `root` (if present) and apply command-line overrides."""
    root = root.resolve()
    config = Config(root=root)
    diagnostics: list[Diagnostic] = []
    marks: dict[str, tuple[int, int]] = {}
    path = root / CONFIG_FILE
    if path.is_file():
        config, diagnostics, marks = _read(config, path)
    given = {k: v for k, v in overrides.items() if v is not None}
    config = replace(config, **given)
    for key in given:  # a value from the command line has no line in the file
        marks.pop(key, None)
    diagnostics += _check(config, marks)
    return config, diagnostics


def _read(config: Config, path: Path) -> tuple[Config, list[Diagnostic], dict]:
    name = CONFIG_FILE
    try:
        doc = yamldoc.parse(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return config, [error(name, 0, 0, "not valid UTF-8 text")], {}
    except OSError as exc:
        return config, [error(name, 0, 0, f"cannot read: {exc.strerror or exc}")], {}
    except yamldoc.YamlError as exc:
        return config, [error(name, exc.line, exc.column, exc.message, exc.hint)], {}
    if doc.data is None:
        return config, [], {}
    if not isinstance(doc.data, dict):
        return config, [error(name, 1, 1, "the config must be a mapping of settings")], {}
    known = {f.name for f in fields(Config)} - {"root", "drafts"}
    values: dict[str, object] = {}
    marks: dict[str, tuple[int, int]] = {}
    diagnostics: list[Diagnostic] = []
    for key, value in doc.data.items():
        line, col = doc.where_key(key)
        marks[key] = doc.where(key)
        if key not in known:
            diagnostics.append(warning(name, line, col, f"unknown setting {key!r}"))
        elif key == "allow_html":
            tags = value if isinstance(value, list) else []
            bad = [t for t in tags if not isinstance(t, str) or t.lower() not in HARMLESS_TAGS]
            if not isinstance(value, list) or bad:
                diagnostics.append(
                    error(
                        name,
                        line,
                        col,
                        f"allow_html may list only: {', '.join(sorted(HARMLESS_TAGS))}",
                    )
                )
            else:
                values[key] = tuple(sorted({t.lower() for t in tags}))
        elif not isinstance(value, str):
            diagnostics.append(error(name, line, col, f"{key} must be a single value"))
        elif key in ("title", "description") and (key,) in doc.comments:
            diagnostics.append(warning(
                name, *doc.comments[(key,)],
                "the text after ' #' is a YAML comment and was left out", "quote the value",
            ))
            values[key] = value
        elif key in _INT:
            if not re.fullmatch(r"[0-9]{1,6}", value) or int(value) < 1:
                diagnostics.append(error(name, line, col, f"{key} must be a positive number"))
            else:
                values[key] = int(value)
        else:
            values[key] = value
    return replace(config, **values), diagnostics, marks


def _check(config: Config, marks: dict[str, tuple[int, int]]) -> list[Diagnostic]:
    def fail(key: str, message: str, hint: str = "", also: str = "") -> None:
        where = marks.get(key) or marks.get(also) or (0, 0)
        diagnostics.append(error(CONFIG_FILE, *where, message, hint))

    diagnostics: list[Diagnostic] = []
    folders: dict[str, Path] = {}
    for key in _DIRS:
        value = getattr(config, key)
        target = (config.root / value).resolve()
        if (
            not value
            or Path(value).is_absolute()
            or re.match(r"^[A-Za-z]:", value)
            or (target != config.root and config.root not in target.parents)
        ):
            fail(key, f"{key} {value!r} must be a folder inside the repository")
        elif len(value.encode()) > 1024 or any(len(p.encode()) > 255 for p in Path(value).parts):
            fail(key, f"{key} is too long a folder name")
        elif target == config.root:
            fail(key, f"{key} cannot be the repository itself", "name a folder inside it")
        elif hidden := [p for p in target.relative_to(config.root).parts if p.startswith(".")]:
            fail(key, f"{key} {value!r} is inside the hidden folder {hidden[0]!r}",
                 "hidden folders hold the repository's history and the build cache")
        else:
            folders[key] = target
    for key, other in itertools.combinations(folders, 2):
        a, b = folders[key], folders[other]
        if a == b or a in b.parents or b in a.parents:
            fail(other, f"{other} {getattr(config, other)!r} overlaps {key} "
                 f"{getattr(config, key)!r}", "the four folders must be separate", also=key)
    try:
        config.zone  # noqa: B018 - validates the name
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        fail("timezone", f"unknown timezone {config.timezone!r}")
    if config.base_url and not _BASE_URL.fullmatch(config.base_url):
        fail(
            "base_url",
            f"base_url {config.base_url!r} is not an http(s) URL or a path",
            "use https://example.org/archive/ or /archive/",
        )
    return diagnostics


# An http(s) URL or an absolute path (not `//host`), without spaces, quotes, brackets or controls.
_PATH = r"/(?!/)[A-Za-z0-9._~!$&()*+,;=:@%/-]*"
_BASE_URL = re.compile(rf"https?://[A-Za-z0-9.-]+(:[0-9]{{1,5}})?({_PATH})?|{_PATH}")
