"""Site settings: one file, `broadsheet.yml` at the repository root, with documented defaults.

Every setting is optional. Folder settings are resolved inside the repository and may not
point outside it, so a hostile config cannot make a build read or write elsewhere.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, fields, replace
from pathlib import Path

from . import yamldoc
from .diagnostics import Diagnostic, error, warning

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
    path = root / CONFIG_FILE
    if path.is_file():
        config, diagnostics = _read(config, path)
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    diagnostics += _check(config)
    return config, diagnostics


def _read(config: Config, path: Path) -> tuple[Config, list[Diagnostic]]:
    name = CONFIG_FILE
    try:
        doc = yamldoc.parse(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return config, [error(name, 0, 0, "not valid UTF-8 text")]
    except yamldoc.YamlError as exc:
        return config, [error(name, exc.line, exc.column, exc.message, exc.hint)]
    if doc.data is None:
        return config, []
    if not isinstance(doc.data, dict):
        return config, [error(name, 1, 1, "the config must be a mapping of settings")]
    known = {f.name for f in fields(Config)} - {"root", "drafts"}
    values: dict[str, object] = {}
    diagnostics: list[Diagnostic] = []
    for key, value in doc.data.items():
        line, col = doc.where_key(key)
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
        elif key in _INT:
            if not value.isdigit() or int(value) < 1:
                diagnostics.append(error(name, line, col, f"{key} must be a positive number"))
            else:
                values[key] = int(value)
        else:
            values[key] = value
    return replace(config, **values), diagnostics


def _check(config: Config) -> list[Diagnostic]:
    diagnostics = []
    for key in _DIRS:
        value = getattr(config, key)
        target = (config.root / value).resolve()
        if (
            not value
            or Path(value).is_absolute()
            or re.match(r"^[A-Za-z]:", value)
            or (target != config.root and config.root not in target.parents)
        ):
            diagnostics.append(
                error(CONFIG_FILE, 0, 0, f"{key} {value!r} must be a folder inside the repository")
            )
    if (config.root / config.output_dir).resolve() == config.root:
        diagnostics.append(error(CONFIG_FILE, 0, 0, "output_dir cannot be the repository itself"))
    try:
        config.zone  # noqa: B018 - validates the name
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        diagnostics.append(error(CONFIG_FILE, 0, 0, f"unknown timezone {config.timezone!r}"))
    if config.base_url and not re.match(r"^(https?://[^/\s]+)?/?[^\s]*$", config.base_url):
        diagnostics.append(
            error(
                CONFIG_FILE,
                0,
                0,
                f"base_url {config.base_url!r} is not a URL or path",
                "use https://example.org/archive/ or /archive/",
            )
        )
    return diagnostics
