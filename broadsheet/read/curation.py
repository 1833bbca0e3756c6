"""The curator's rules, applied by `check` on top of every rule of the build.

A pull request from a stranger should arrive in the shape the archive keeps: photos credited
and not oversized, no article dated in the future unless it is a draft, and files named and
filed by the convention `content/articles/<year>/<slug>.md`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path, PurePosixPath

from ..config import Config
from ..diagnostics import Diagnostic, error
from ..urls import slugify
from .frontmatter import Meta
from .sources import Source

MAX_PHOTO_BYTES = 4 * 1024 * 1024


def review(
    source: Source, meta: Meta, slug: str, config: Config, now: datetime
) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    name = source.name
    if meta.photo:
        where = (meta.photo.line, meta.photo.column)
        if not meta.photo.credit:
            problems.append(
                error(
                    name,
                    *where,
                    "photo needs a credit",
                    'add credit: "Photographer/Agency" under photo:',
                )
            )
        file = source.path.parent / meta.photo.src
        if file.is_file() and (size := file.stat().st_size) > MAX_PHOTO_BYTES:
            problems.append(
                error(
                    name,
                    *where,
                    f"photo is {size / 2**20:.1f} MB; the limit is {MAX_PHOTO_BYTES // 2**20} MB",
                    "save it smaller, e.g. 2000 px wide, JPEG 85%",
                )
            )
    if not meta.draft and meta.date > now:
        problems.append(
            error(
                name,
                *meta.date_mark,
                f"date {meta.date.date()} is in the future",
                "use today's date, or add draft: true",
            )
        )
    expected = f"{config.content_dir}/articles/{meta.date.year}/{slug}.md"
    stem = PurePosixPath(name).stem
    if stem != slugify(stem):
        problems.append(
            error(
                name,
                0,
                0,
                "file name is not a slug",
                f"rename it to {slugify(stem)}.md (lowercase words and hyphens)",
            )
        )
    elif meta.slug is None and name != expected and Path(name).parent.name != str(meta.date.year):
        problems.append(
            error(
                name,
                0,
                0,
                f"file is not filed under its year {meta.date.year}",
                f"move it to {expected}",
            )
        )
    return problems
