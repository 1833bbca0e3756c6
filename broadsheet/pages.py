"""Plan every page of the site: its output path, its template and its explicit context.

Each page kind gets a documented context and nothing else (the renderer adds `site`, `url`,
`asset` and `page_path` to every page):

- `index.html`   pager (of articles)
- `article.html` article, previous (older), next (newer)
- `tags.html`    tags
- `tag.html`     tag, pager (of the tag's articles)
- `archive.html` years
- `year.html`    year, older, newer (neighbouring Year or None)
- `search.html`  (nothing more)
- `404.html`     (nothing more)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from . import urls
from .model import Site


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
