"""The curated tag vocabulary in `content/tags.yml`: display names, descriptions, aliases.

The build uses it to show each tag's description and to fold aliases into their tag (a
contributor who writes `letterpress` files the article under `printing`). `check` goes further
and refuses tags that are not in the vocabulary, suggesting the nearest known ones.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Diagnostic, error
from ..urls import slugify
from . import yamldoc

VOCABULARY_FILE = "tags.yml"


@dataclass(frozen=True)
class TagInfo:
    slug: str
    name: str
    description: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    tags: dict[str, TagInfo]  # by slug
    by_alias: dict[str, str]  # slug of an alias -> slug of its tag

    def resolve(self, name: str) -> TagInfo | None:
        """The tag `name` means: itself, or the tag it is an alias of."""
        slug = slugify(name)
        return self.tags.get(self.by_alias.get(slug, slug))

    def suggest(self, name: str) -> list[str]:
        """The nearest known tag names, for an unknown `name`."""
        words = {info.name: info.name for info in self.tags.values()}
        words.update({alias: self.tags[slug].name for alias, slug in self.by_alias.items()})
        close = difflib.get_close_matches(slugify(name), list(words), n=3, cutoff=0.6)
        return list(dict.fromkeys(words[c] for c in close))

    @property
    def known(self) -> bool:
        return bool(self.tags)


EMPTY = Vocabulary({}, {})


def load(content: Path, name: str) -> tuple[Vocabulary, list[Diagnostic]]:
    """Read `content/tags.yml`; `name` is its repository-relative path for messages."""
    path = content / VOCABULARY_FILE
    if not path.is_file() or path.is_symlink():  # a link is reported by sources.walk
        return EMPTY, []
    try:
        doc = yamldoc.parse(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return EMPTY, [error(name, 0, 0, "not valid UTF-8 text")]
    except OSError as exc:
        return EMPTY, [error(name, 0, 0, f"cannot read: {exc.strerror or exc}")]
    except yamldoc.YamlError as exc:
        return EMPTY, [error(name, exc.line, exc.column, exc.message, exc.hint)]
    if doc.data is None:
        return EMPTY, []
    if not isinstance(doc.data, dict):
        return EMPTY, [error(name, 1, 1, "tags.yml must map each tag to its name and description")]
    tags: dict[str, TagInfo] = {}
    by_alias: dict[str, str] = {}
    problems: list[Diagnostic] = []
    for key, entry in doc.data.items():
        line, col = doc.where_key(key)
        entry = entry if isinstance(entry, dict) else {}
        display = entry.get("name") if isinstance(entry.get("name"), str) else key
        slug = slugify(display)
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            problems.append(error(name, line, col, f"aliases of '{key}' must be a list of words"))
            aliases = []
        if slug in tags or slug in by_alias:
            problems.append(error(name, line, col, f"tag '{display}' is defined twice"))
            continue
        description = entry.get("description")
        tags[slug] = TagInfo(
            slug, display, description if isinstance(description, str) else "", tuple(aliases)
        )
        for alias in aliases:
            alias_slug = slugify(alias)
            if alias_slug in by_alias or alias_slug in tags:
                problems.append(
                    error(
                        name,
                        *doc.where(key, "aliases"),
                        f"alias '{alias}' is already a tag or another alias",
                    )
                )
            elif alias_slug and alias_slug != slug:
                by_alias[alias_slug] = slug
    return Vocabulary(tags, by_alias), problems
