"""`python build.py new "Title"`: start an article that already passes `check`.

The file lands where the convention wants it (`content/articles/<year>/<slug>.md`) with every
front-matter field present or shown commented out, so a contributor only writes the body. An
existing file is never overwritten.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime

from .config import Config
from .read import vocabulary
from .read.articles import vocabulary_name
from .urls import SLUG_RE, slugify

TEMPLATE = """---
title: {title}
date: {date}
tags: [{tags}]
author: ""
# source:                 # where the article first appeared, if elsewhere
#   name: ""
#   url: "https://"
# photo:                  # the file goes beside this one; alt and credit are required
#   src: "{slug}.jpg"
#   alt: ""
#   caption: ""
#   credit: "Photographer/Agency"
---
Write the article here, in Markdown.
"""


MAX_SLUG = 80  # characters of a slug made from the title; longer titles are cut at a word


def main(config: Config, title: str, tags: str, when: str | None, slug: str | None) -> int:
    title = " ".join(title.split())
    if slug is not None:
        if not SLUG_RE.fullmatch(slug) or slug != slug.lower() or len(slug) > MAX_SLUG:
            print(
                f"error: --slug {slug!r} must be lowercase letters, digits and hyphens, "
                f"at most {MAX_SLUG} characters",
                file=sys.stderr,
            )
            return 2
    else:
        slug = short_slug(title)
    if not title or not slug:
        print(f"error: cannot make a file name from {title!r}; pass --slug", file=sys.stderr)
        return 2
    try:
        day = date.fromisoformat(when) if when else datetime.now(config.zone).date()
    except ValueError:
        print(f"error: --date {when!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    known, _ = vocabulary.load(config.content, vocabulary_name(config))
    names = []
    for tag in (t.strip() for t in tags.split(",")):
        if tag:
            info = known.resolve(tag)
            names.append(info.name if info else tag)
    path = config.content / "articles" / str(day.year) / f"{slug}.md"
    text = TEMPLATE.format(
        title=_quote(title),
        date=day.isoformat(),
        slug=slug,
        tags=", ".join(_quote(n) for n in dict.fromkeys(names)),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        print(
            f"error: {path.relative_to(config.root)} already exists; not overwriting it",
            file=sys.stderr,
        )
        return 1
    print(path.relative_to(config.root).as_posix())
    return 0


def short_slug(title: str, limit: int = MAX_SLUG) -> str:
    """The title's slug, cut after the last whole word that fits in `limit` characters."""
    slug = slugify(title)
    if len(slug) <= limit:
        return slug
    cut = slug[: limit + 1].rpartition("-")[0]
    return cut or slug[:limit]


def _quote(text: str) -> str:
    """A YAML double-quoted string (JSON's string syntax is a subset of YAML's)."""
    return json.dumps(text, ensure_ascii=False)
