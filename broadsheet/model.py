"""The site model: frozen values built once from the articles, never mutated afterwards.

`assemble` groups articles into tags and years and reports the conflicts that only show
across files: two articles with one permalink, two spellings of one tag slug.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from html import unescape
from pathlib import Path

from . import urls
from .config import Config
from .diagnostics import Diagnostic, error
from .read import images
from .read.frontmatter import Origin

LINK_MARK = "broadsheet-article:"  # stands in for a link to another article until resolved


@dataclass(frozen=True)
class TagRef:
    name: str  # display name as written
    slug: str


@dataclass(frozen=True)
class LeadPhoto:
    file: Path  # absolute source file
    digest: str  # SHA-256 of its bytes: names its copies in the site's media folder
    alt: str
    caption: str
    credit: str
    width: int = 0  # upright pixel size of the source
    height: int = 0
    extension: str = ""  # format of the resized copies besides WebP; "" = used as it is

    def variants(self) -> tuple[tuple[str, int, str], ...]:
        """(site path, width, extension) of every copy readers get, WebP first; width 0 is the
        source itself (a kind that is not resized)."""
        kind = self.extension or self.file.suffix.lower().lstrip(".")
        return _variants(self.digest, self.width, kind, bool(self.extension))


@functools.lru_cache(maxsize=1 << 16)  # asked for by every listing and page of an article
def _variants(
    digest: str, width: int, kind: str, resized: bool
) -> tuple[tuple[str, int, str], ...]:
    if not resized:
        return ((urls.media(digest, 0, kind), 0, ""),)
    return tuple(
        (urls.media(digest, w, ext), w, ext) for ext in ("webp", kind) for w in images.widths(width)
    )


@dataclass(frozen=True)
class Body:
    """An article's rendered body and its plain text: most of an article's bytes, needed only
    to render its own page, the feeds and the search index (the build cache reads bodies on
    demand: see `cache.StoredBody`)."""

    html: str
    text: str


@dataclass(frozen=True)
class Article:
    source: str  # repository-relative file name
    slug: str
    title: str
    date: datetime
    has_time: bool
    updated: datetime | None
    tags: tuple[TagRef, ...]
    authors: tuple[str, ...]
    origin: Origin | None
    photo: LeadPhoto | None
    summary: str  # written, or the start of the first paragraph
    dek: str  # the written summary only, shown under the title
    body: Body
    words: int
    reading_minutes: int
    draft: bool
    links: tuple[tuple[str, int], ...] = ()  # linked article files and the lines of the links
    assets: tuple[tuple[str, Path], ...] = ()  # images of the body: (path as written, file)

    @property
    def html(self) -> str:
        return self.body.html

    @property
    def text(self) -> str:
        return self.body.text

    @property
    def year(self) -> int:
        return self.date.year

    @functools.cached_property
    def path(self) -> str:
        """(Kept once made: a build asks some ten times an article, 10,000 articles.)"""
        return urls.article(self.year, self.slug)

    @functools.cached_property
    def photo_path(self) -> str | None:
        """The photo readers' browsers fall back to: the largest copy in its own format."""
        if not self.photo:
            return None
        return [v for v in self.photo.variants() if v[2] == self.photo.extension][-1][0]

    def photo_sources(self, extension: str, limit: int = 10**6) -> tuple[tuple[str, int], ...]:
        """(site path, width) of the copies in `extension` ("webp" or the photo's own format)
        up to `limit` pixels wide (the smallest always), for `srcset`."""
        if not self.photo or not self.photo.extension:
            return ()
        smallest = images.widths(self.photo.width)[0]
        return tuple(
            (path, w)
            for path, w, ext in self.photo.variants()
            if ext == extension and w <= max(limit, smallest)
        )

    def asset_files(self) -> dict[str, Path]:
        """Site path -> source file of the body's images, copied beside the article's page
        so that the paths written in the Markdown work unchanged. The photo's copies live in
        the media folder, so they can never take one of these names."""
        return {urls.article_asset(self.year, self.slug, src): file for src, file in self.assets}

    @functools.cached_property
    def sort_key(self) -> tuple:
        """Newest first; ties broken by slug so the order never depends on file order."""
        return (-self.date.timestamp(), self.slug)


@dataclass(frozen=True)
class Tag:
    name: str
    slug: str
    articles: tuple[Article, ...]  # newest first
    description: str = ""

    @property
    def path(self) -> str:
        return urls.tag(self.slug)


@dataclass(frozen=True)
class Month:
    number: int
    articles: tuple[Article, ...]

    @property
    def name(self) -> str:
        return calendar.month_name[self.number]


@dataclass(frozen=True)
class Year:
    number: int
    months: tuple[Month, ...]  # newest first

    @property
    def count(self) -> int:
        return sum(len(m.articles) for m in self.months)

    @property
    def path(self) -> str:
        return urls.year(self.number)


@dataclass(frozen=True)
class Site:
    config: Config
    articles: tuple[Article, ...]  # newest first
    tags: tuple[Tag, ...]  # by name
    years: tuple[Year, ...]  # newest first
    related: dict[str, tuple[Article, ...]] = field(default_factory=dict)  # by article path


RelatedNumbers = Callable[[tuple[tuple[str, ...], ...], int], tuple[tuple[int, ...], ...]]


def related_articles(
    articles: tuple[Article, ...], limit: int = 5, numbers: RelatedNumbers | None = None
) -> dict[str, tuple]:
    """For each article, up to `limit` others sharing the most tags, the newest first among
    equals. Each tag is a bit set over the articles (newest = bit 0); adding an article's tag
    sets into a counter kept as bit planes (plane b holds bit b of every article's count)
    counts the shared tags of all articles at once, in a few big-integer operations per tag
    (the union of all k-tag intersections doubled with every tag: 25 tags took 14 s).
    Depends only on each article's tags: kept while they stay the same (a preview's save;
    `numbers`, given, may answer from a build cache)."""
    chosen = (numbers or related_numbers)(tuple(tuple(t.slug for t in a.tags) for a in articles),
                                          limit)
    return {a.path: tuple(articles[n] for n in numbers)
            for a, numbers in zip(articles, chosen, strict=True)}


@functools.lru_cache(maxsize=1)
def related_numbers(tags: tuple[tuple[str, ...], ...], limit: int) -> tuple[tuple[int, ...], ...]:
    """`related_articles` by number, from each article's tag slugs."""
    bits: dict[str, int] = {}
    for number, slugs in enumerate(tags):
        for slug in slugs:
            bits[slug] = bits.get(slug, 0) | (1 << number)
    related = []
    for number, slugs in enumerate(tags):
        planes = _count_planes(bits[slug] for slug in slugs)
        chosen: list[int] = []
        taken = 1 << number
        for shared in range(len(slugs), 0, -1):
            pool = _at_least(planes, shared) & ~taken
            while pool and len(chosen) < limit:
                lowest = pool & -pool
                chosen.append(lowest.bit_length() - 1)
                pool ^= lowest
                taken |= lowest
            if len(chosen) == limit:
                break
        related.append(tuple(chosen))
    return tuple(related)


def related_numbers_with_newest(
    tags: tuple[tuple[str, ...], ...], limit: int, before: tuple[tuple[int, ...], ...]
) -> tuple[tuple[int, ...], ...]:
    """`related_numbers(tags, limit)` when `before` is `related_numbers(tags[1:], limit)`: one
    new article, the newest (a new article usually is). Every other article's choice is the
    first `limit` of its others by (most shared tags, newest), so its new choice is the first
    `limit` of its old choice and the new article: only articles sharing a tag with it
    change, and nothing is counted again for the rest."""
    newest, mine = tags[0], set(tags[0])
    shared = [sum(slug in mine for slug in slugs) for slugs in tags]  # with the newest
    own = sorted((-sum(slug in set(slugs) for slug in newest), n)
                 for n, slugs in enumerate(tags) if n and shared[n])
    result = [tuple(n for count, n in own[:limit] if count)]
    for n, (slugs, chosen) in enumerate(zip(tags[1:], before, strict=True), start=1):
        moved = tuple(c + 1 for c in chosen)
        if not shared[n]:
            result.append(moved)
            continue
        counts = {c: sum(slug in set(tags[c]) for slug in slugs) for c in moved}
        counts[0] = shared[n]
        result.append(tuple(sorted(counts, key=lambda c: (-counts[c], c))[:limit]))
    return tuple(result)


def _count_planes(masks) -> list[int]:
    """Bit planes of the per-bit count of `masks`: a ripple-carry addition of each mask."""
    planes: list[int] = []
    for carry in masks:
        for b, plane in enumerate(planes):
            planes[b], carry = plane ^ carry, plane & carry
            if not carry:
                break
        if carry:
            planes.append(carry)
    return planes


def _at_least(planes: list[int], k: int) -> int:
    """The bits whose count in `planes` is at least `k` (k >= 1), comparing from the top plane
    down: `greater` holds counts already above k's leading bits, `equal` those equal to them."""
    if k >= 1 << len(planes):
        return 0
    greater, equal = 0, -1  # k has a bit set, where `equal` becomes finite
    for b in range(len(planes) - 1, -1, -1):
        if k >> b & 1:
            equal &= planes[b]
        else:
            greater |= equal & planes[b]
            equal &= ~planes[b]
    return greater | equal


def assemble(
    config: Config,
    articles: list[Article],
    tag_marks: dict,
    descriptions: dict | None = None,
    sources: frozenset[str] = frozenset(),
    related: RelatedNumbers | None = None,
) -> tuple[Site, list[Diagnostic]]:
    """Build the site from valid articles. `tag_marks[(source, slug)]` is the line/column of a
    tag in its file, for messages about tag spellings; `sources` names every article file
    found, valid or not, so a link to a file with errors of its own is not reported twice."""
    diagnostics: list[Diagnostic] = []
    ordered = sorted(articles, key=lambda a: a.sort_key)

    by_path: dict[str, Article] = {}
    for a in sorted(articles, key=lambda a: a.source):
        if (other := by_path.get(a.path)) is not None:
            diagnostics.append(
                error(
                    a.source,
                    0,
                    0,
                    f"has the same permalink {a.path!r} as {other.source}",
                    "give one of them a different 'slug:' or file name",
                )
            )
        else:
            by_path[a.path] = a
    ordered = [a for a in ordered if by_path.get(a.path) is a]

    spellings: dict[str, tuple[str, str]] = {}  # slug -> (name, first file using it)
    for a in sorted(ordered, key=lambda a: (a.date.timestamp(), a.source)):
        for t in a.tags:
            first = spellings.setdefault(t.slug, (t.name, a.source))
            if first[0] != t.name:
                line, col = tag_marks.get((a.source, t.slug), (0, 0))
                diagnostics.append(
                    error(
                        a.source,
                        line,
                        col,
                        f"tag '{t.name}' has the same URL slug as tag '{first[0]}' in {first[1]}",
                        f"write it as '{first[0]}'",
                    )
                )

    ordered, problems = _resolve_links(ordered, sources)
    diagnostics += problems

    tagged: dict[str, list[Article]] = {}
    for a in ordered:
        for t in a.tags:
            tagged.setdefault(t.slug, []).append(a)
    tags = sorted(
        (
            Tag(spellings[slug][0], slug, tuple(arts), (descriptions or {}).get(slug, ""))
            for slug, arts in tagged.items()
        ),
        key=lambda t: (t.name.casefold(), t.slug),
    )

    years: dict[int, dict[int, list[Article]]] = {}
    for a in ordered:
        years.setdefault(a.year, {}).setdefault(a.date.month, []).append(a)
    year_list = tuple(
        Year(y, tuple(Month(m, tuple(arts)) for m, arts in sorted(months.items(), reverse=True)))
        for y, months in sorted(years.items(), reverse=True)
    )
    ordered = tuple(ordered)
    related_to = related_articles(ordered, numbers=related)
    return Site(config, ordered, tuple(tags), year_list, related_to), diagnostics


def _resolve_links(
    articles: list[Article], sources: frozenset[str]
) -> tuple[list[Article], list[Diagnostic]]:
    """Point links to other articles' files at those articles' pages; report the broken ones."""
    path_of = {a.source: a.path for a in articles}
    problems = [
        error(a.source, line, 0, f"link to {target!r}: no such article",
              "link to the other article's .md file by its relative path")
        for a in articles for target, line in a.links
        if target not in path_of and target not in sources  # else told in the target's file
    ]
    return [resolve_links(a, path_of) for a in articles], problems


def resolve_links(article: Article, path_of: Mapping[str, str]) -> Article:
    """`article` with its links to other articles' files pointing at their pages (`path_of`:
    each page's path by its source, for the articles of the site); a link to any other file
    keeps its mark. All marks are replaced in one pass over the HTML (a replace per link was
    quadratic for an article full of links)."""
    pages = {target: urls.relative(article.path, path_of[target])
             for target, _ in article.links if target in path_of}
    if not pages:
        return article
    html = _MARKED_HREF.sub(functools.partial(_page_href, pages), article.html)
    return replace(article, body=Body(html, article.text)) if html != article.html else article


_MARKED_HREF = re.compile('href="' + re.escape(LINK_MARK) + '([^"]*)')


def _page_href(pages: dict[str, str], match: re.Match) -> str:
    """The href of a marked link to an article's file (`file` or `file#part`, HTML-escaped)
    pointing at that article's page; the mark is kept when the file is not an article."""
    value = match.group(1)
    ends = [i for i, c in enumerate(value) if c == "#"] + [len(value)]
    for end in reversed(ends):  # a file name may hold a '#' too: the longest that is an article
        if (page := pages.get(unescape(value[:end]))) is not None:
            return f'href="{page}{value[end:]}'
    return match.group(0)
