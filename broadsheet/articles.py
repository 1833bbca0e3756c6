"""Turn one source file into an `Article`: front-matter, Markdown, photo, summary.

A pure function of the file's text (and the photo's existence), so it can run in any order or
in parallel and its result can be cached by content hash.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from .config import Config
from .diagnostics import Diagnostic, error, has_errors, warning
from .frontmatter import split, validate
from .markdown import render
from .model import Article, LeadPhoto, TagRef
from .sources import Source
from .urls import slugify

SUMMARY_CHARS = 280


def load(source: Source, config: Config) -> tuple[Article | None, dict, list[Diagnostic]]:
    """The article, the line/column of each of its tags by slug, and diagnostics."""
    part, diagnostics = split(source)
    if part is None:
        return None, {}, diagnostics
    meta, diagnostics = validate(source, part, config.zone)
    if meta is None or has_errors(diagnostics):
        return None, {}, diagnostics

    slug = meta.slug or slugify(Path(source.name).stem)
    if not slug:
        diagnostics.append(
            error(
                source.name,
                0,
                0,
                "cannot make a URL slug from the file name",
                "add a 'slug:' field",
            )
        )
        return None, {}, diagnostics

    photo = None
    if meta.photo:
        file = source.path.parent / meta.photo.src
        where = (meta.photo.line, meta.photo.column)
        if not file.is_file():
            diagnostics.append(
                error(
                    source.name,
                    *where,
                    f"photo file {meta.photo.src!r} not found",
                    f"put it beside {Path(source.name).name}",
                )
            )
        elif not file.resolve().is_relative_to(config.root):
            diagnostics.append(
                error(source.name, *where, f"photo {meta.photo.src!r} links outside the repository")
            )
        else:
            photo = LeadPhoto(
                file, file.name, meta.photo.alt, meta.photo.caption, meta.photo.credit
            )
            if not meta.photo.credit:
                diagnostics.append(
                    warning(
                        source.name,
                        *where,
                        "photo has no credit",
                        'add credit: "Photographer/Agency"',
                    )
                )

    tags: dict[str, TagRef] = {}
    marks: dict = {}
    for name, mark in zip(meta.tags, meta.tag_marks, strict=True):
        ref = TagRef(name, slugify(name))
        if not ref.slug:
            diagnostics.append(error(source.name, *mark, f"tag {name!r} has no letters or digits"))
        elif ref.slug in tags:
            diagnostics.append(warning(source.name, *mark, f"tag {name!r} is listed twice"))
        else:
            tags[ref.slug] = ref
            marks[(source.name, ref.slug)] = mark
    if has_errors(diagnostics):
        return None, {}, diagnostics

    body = render(part.body)
    article = Article(
        source=source.name,
        slug=slug,
        title=meta.title,
        date=meta.date,
        has_time=meta.has_time,
        updated=meta.updated,
        tags=tuple(tags.values()),
        authors=meta.authors,
        origin=meta.origin,
        photo=photo,
        summary=meta.summary or shorten(body.first_paragraph, SUMMARY_CHARS),
        dek=meta.summary or "",
        html=body.html,
        text=body.text,
        words=body.words,
        reading_minutes=max(1, math.ceil(body.words / config.words_per_minute)),
        draft=meta.draft,
    )
    return article, marks, diagnostics


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and add an ellipsis when `text` is longer than `limit`."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    cut = cut[: cut.rfind(" ")] if " " in cut else cut[:limit]
    return re.sub(r"[\s,;:.\u2014\u2013-]+$", "", cut) + "\u2026"
