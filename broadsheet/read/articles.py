"""Turn one source file into an `Article`: front-matter, Markdown, photo, summary.

A pure function of the file's text and its photo file, so it can run in any order or
in parallel and its result can be cached by content hash.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from .. import lazy
from ..config import Config
from ..diagnostics import Diagnostic, error, has_errors, warning
from ..model import Article, Body, LeadPhoto, TagRef
from ..urls import slugify
from . import curation, images
from .frontmatter import PHOTO_TYPES, bad_relative_path, split, validate
from .sources import Source, file_digest, outside
from .vocabulary import EMPTY, VOCABULARY_FILE, Vocabulary

markdown = lazy.module("broadsheet.read.markdown")  # markdown-it-py and nh3: see `lazy`

SUMMARY_CHARS = 280
MAX_SLUG_BYTES = 200  # slugs are folder names; most file systems allow 255 bytes
DRAFTS_FOLDER = "_drafts"  # Jekyll's convention: articles in such a folder are drafts


def load(
    source: Source, config: Config, vocabulary: Vocabulary = EMPTY, strict: bool = False,
    digests: Mapping[str, str] | None = None,
) -> tuple[Article | None, dict, list[Diagnostic]]:
    """The article, the line/column of each of its tags by slug, and diagnostics. `digests`
    holds the content hash of files the build has read already (its photo, perhaps).

    Tags are folded into the vocabulary's spelling (aliases included). A tag the vocabulary
    lacks is a warning, or an error with suggestions when `strict` (the `check` command)."""
    part, diagnostics = split(source)
    if part is None:
        return None, {}, diagnostics
    meta, diagnostics = validate(source, part, config.zone)
    if meta is None or has_errors(diagnostics):
        return None, {}, diagnostics

    slug = meta.slug or slugify(Path(source.name).stem)
    if len(slug.encode()) > MAX_SLUG_BYTES:
        where = meta.slug_mark if meta.slug else (0, 0)
        diagnostics.append(error(
            source.name, *where, f"the URL slug is {len(slug.encode())} bytes long; the limit "
            f"is {MAX_SLUG_BYTES}", "give the article a shorter 'slug:' or file name",
        ))
        return None, {}, diagnostics
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

    if strict:
        diagnostics += curation.review(source, meta, slug, config, datetime.now(config.zone))
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
        elif problem := outside(file, config.content):
            diagnostics.append(error(source.name, *where, f"photo {meta.photo.src!r} {problem}"))
        else:
            try:
                digest = (digests or {}).get(str(file)) or file_digest(file)
            except OSError as exc:
                diagnostics.append(error(source.name, *where, f"photo {meta.photo.src!r} cannot "
                                         f"be read: {exc.strerror or exc}"))
                return None, {}, diagnostics
            try:
                probe = images.probe(file, copies=True, digest=digest)
            except images.ImageProblem as exc:
                diagnostics.append(error(source.name, *where, f"photo {meta.photo.src!r} {exc}"))
                return None, {}, diagnostics
            photo = LeadPhoto(
                file,
                digest,
                meta.photo.alt,
                meta.photo.caption,
                meta.photo.credit,
                probe.width,
                probe.height,
                probe.extension,
            )
            if not meta.photo.credit and not strict:  # strict: curation reports it
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
        info = vocabulary.resolve(name)
        ref = TagRef(info.name, info.slug) if info else TagRef(name, slugify(name))
        if info is None and vocabulary.known and ref.slug:
            close = vocabulary.suggest(name)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            report = error if strict else warning
            diagnostics.append(
                report(
                    source.name,
                    *mark,
                    f"tag {name!r} is not in {vocabulary_name(config)}",
                    hint + "use a known tag or add it to the vocabulary",
                )
            )
        if not ref.slug:
            diagnostics.append(error(source.name, *mark, f"tag {name!r} has no letters or digits"))
        elif len(ref.slug.encode()) > MAX_SLUG_BYTES:
            diagnostics.append(error(source.name, *mark, f"tag {shorten(name, 40)!r} is too long "
                                     f"for a URL (limit {MAX_SLUG_BYTES} bytes)"))
        elif ref.slug in tags:
            diagnostics.append(warning(source.name, *mark, f"tag {name!r} is listed twice"))
        else:
            tags[ref.slug] = ref
            marks[(source.name, ref.slug)] = mark
    if has_errors(diagnostics):
        return None, {}, diagnostics

    folder = Path(source.name).parent.as_posix()
    body = markdown.render(part.body, folder, frozenset(config.allow_html))
    links = tuple((target, line + part.body_line - 1) for target, line in body.links)
    for url, line in body.refused:
        report = error if strict else warning
        diagnostics.append(
            report(
                source.name,
                line + part.body_line - 1 if line else 0,
                0,
                f"link to {shorten(url, 60)!r} is not allowed and was left as text",
                "links may use http, https, mailto or a relative path",
            )
        )
    for char, line, column in body.controls:  # characters feeds (XML) cannot hold
        diagnostics.append(warning(source.name, line + part.body_line - 1, column,
                                   f"control character U+{ord(char):04X} removed"))
    if (more := body.controls_removed - len(body.controls)) > 0:
        diagnostics.append(warning(source.name, 0, 0, f"{more} more control characters removed"))
    assets = []
    for src, line in body.images:
        where = (line + part.body_line - 1 if line else 0, 0)
        file = source.path.parent / src
        if problem := bad_relative_path(src, PHOTO_TYPES):
            diagnostics.append(error(source.name, *where, f"image {problem}",
                                     "keep images beside the article and link them by name"))
        elif not file.is_file():
            diagnostics.append(error(source.name, *where, f"image file {src!r} not found",
                                     f"put it beside {Path(source.name).name}"))
        elif problem := outside(file, config.content):
            diagnostics.append(error(source.name, *where, f"image {src!r} {problem}"))
        else:
            try:
                images.probe(file)  # an HTML page named .jpg must not be published
            except images.ImageProblem as exc:
                diagnostics.append(error(source.name, *where, f"image {src!r} {exc}"))
                continue
            assets.append((src, file))
    if has_errors(diagnostics):
        return None, {}, diagnostics
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
        body=Body(body.html, body.text),
        words=body.words,
        reading_minutes=max(1, math.ceil(body.words / config.words_per_minute)),
        draft=meta.draft or DRAFTS_FOLDER in Path(source.name).parts,
        links=links,
        assets=tuple(dict.fromkeys(assets)),
    )
    return article, marks, diagnostics


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and add an ellipsis when `text` is longer than `limit`."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    cut = cut[: cut.rfind(" ")] if " " in cut else cut[:limit]
    return re.sub(r"[\s,;:.\u2014\u2013-]+$", "", cut) + "\u2026"


def vocabulary_name(config: Config) -> str:
    return f"{config.content_dir}/{VOCABULARY_FILE}"
