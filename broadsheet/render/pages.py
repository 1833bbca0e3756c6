"""Plan every page of the site: its output path, its template and its explicit context.

Each page kind gets a documented context and nothing else (the renderer adds `site`, `url`,
`asset` and `page_path` to every page):

- `index.html`   pager (of articles)
- `article.html` article, previous (older), next (newer), related (up to five)
- `tags.html`    tags
- `tag.html`     tag, pager (of the tag's articles)
- `archive.html` years
- `year.html`    year, older, newer (neighbouring Year or None)
- `search.html`  (nothing more)
- `404.html`     (nothing more)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .. import urls
from ..model import Article, Site, Tag, Year


@dataclass(frozen=True)
class Page:
    path: str  # site-relative output file
    template: str
    context: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Pager:
    """One page of a paginated listing."""

    number: int
    count: int
    items: tuple
    paths: tuple[str, ...]  # the path of every page of the listing

    @property
    def previous(self) -> str | None:
        """The page of newer items."""
        return self.paths[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> str | None:
        """The page of older items."""
        return self.paths[self.number] if self.number < self.count else None


def paginate(items: tuple, per_page: int, path_of: Callable[[int], str]) -> list[Pager]:
    count = max(1, -(-len(items) // per_page))
    paths = tuple(path_of(n) for n in range(1, count + 1))
    return [
        Pager(n, count, items[(n - 1) * per_page : n * per_page], paths)
        for n in range(1, count + 1)
    ]


def plan(site: Site) -> list[Page]:
    per_page = site.config.per_page
    pages = [
        Page(p.paths[p.number - 1], "index.html", {"pager": p})
        for p in paginate(site.articles, per_page, urls.home)
    ]

    articles = site.articles
    for i, article in enumerate(articles):
        pages.append(
            Page(
                article.path,
                "article.html",
                {
                    "article": article,
                    "previous": articles[i + 1] if i + 1 < len(articles) else None,
                    "next": articles[i - 1] if i > 0 else None,
                    "related": site.related.get(article.path, ()),
                },
            )
        )

    pages.append(Page(urls.tags_index(), "tags.html", {"tags": site.tags}))
    for tag in site.tags:
        for pager in paginate(tag.articles, per_page, lambda n, s=tag.slug: urls.tag(s, n)):
            pages.append(
                Page(pager.paths[pager.number - 1], "tag.html", {"tag": tag, "pager": pager})
            )

    pages.append(Page(urls.archive(), "archive.html", {"years": site.years}))
    years = site.years
    for i, year in enumerate(years):
        pages.append(
            Page(
                year.path,
                "year.html",
                {
                    "year": year,
                    "older": years[i + 1] if i + 1 < len(years) else None,
                    "newer": years[i - 1] if i > 0 else None,
                },
            )
        )
    pages.append(Page(urls.search(), "search.html"))
    pages.append(Page(urls.not_found(), "404.html"))
    return pages


def fingerprint(page: Page, base: str, digests: Digests) -> str:
    """A hash of everything rendering `page` reads: `base` (code, config, templates, static
    assets) and the page's context. The page's own `article` and `year` count in full; other
    articles count by what listings show of them (title, date, summary, tags, ...), and tags
    and years named in a listing by name and count. Templates keep to that contract (a tag
    page lists its articles through its pager); equal fingerprints then mean equal output,
    which the incremental-build property test checks against clean builds."""
    digest = hashlib.sha256(f"{base}\0{page.path}\0{page.template}".encode())
    for key in sorted(page.context):
        value = page.context[key]
        digest.update(f"\0{key}=".encode())
        if key == "article" and isinstance(value, Article):
            digest.update(digests.full(value).encode())
        elif key == "year" and isinstance(value, Year):
            digest.update(digests.of(tuple((m.number, m.articles) for m in value.months)).encode())
        else:
            digest.update(digests.of(value).encode())
    return digest.hexdigest()


class Digests:
    """Digests of context values, each computed once per build (a tag's digest is shared by
    all its pages). `full` gives an article's complete digest, `listing` what lists show."""

    def __init__(self, full: Callable[[Article], str]) -> None:
        self.full = full
        self._memo: dict[int, str] = {}

    def listing(self, a: Article) -> str:
        return self._memoized(
            a,
            lambda: repr(
                (
                    a.path,
                    a.title,
                    a.date.isoformat(),
                    a.has_time,
                    a.summary,
                    a.tags,
                    a.authors,
                    a.photo_path,
                    a.photo and (a.photo.alt, a.photo.width, a.photo.height, a.photo.extension),
                    a.reading_minutes,
                )
            ),
        )

    def of(self, value: object) -> str:
        if isinstance(value, Article):
            return self.listing(value)
        if isinstance(value, Pager):
            return f"pager {value.number} {value.count} {value.paths} " + self.of(value.items)
        if isinstance(value, Tag):  # a tag page's own articles arrive through its pager
            return f"tag {value.name}\0{value.slug}\0{value.description}\0{len(value.articles)}"
        if isinstance(value, Year):  # a year page's own months count in `fingerprint`
            return f"year {value.number} {value.count}"
        if isinstance(value, tuple | list):
            return self._hash("[" + ",".join(self.of(item) for item in value) + "]")
        if value is None or isinstance(value, str | int):
            return repr(value)
        raise TypeError(f"no digest rule for {type(value).__name__}; add one in pages.py")

    def _memoized(self, value: object, text: Callable[[], str]) -> str:
        key = id(value)
        if key not in self._memo:
            self._memo[key] = self._hash(text())
        return self._memo[key]

    @staticmethod
    def _hash(text: str) -> str:
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
