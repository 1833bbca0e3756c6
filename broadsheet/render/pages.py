"""Plan every page of the site: its output path, its template and its explicit context.

Each page kind gets a documented context and nothing else (the renderer adds `site`, `url`,
`asset` and `page_path` to every page):

- `index.html`   pager (of `views.Card`s)
- `article.html` article (the `Article`), previous (older), next (newer), related (up to
  five): cards
- `tags.html`    tags (`views.TagEntry`: name, slug, description, count)
- `tag.html`     tag (a `TagHeading`: name, slug, description), pager (of the tag's cards)
- `archive.html` years (`views.YearEntry`: number, count)
- `year.html`    year (`views.YearView`: its months' cards), older, newer (`YearEntry`s)
- `search.html`  (nothing more)
- `404.html`     (nothing more)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import urls
from ..model import Article, Site
from . import views
from .views import Card, Cards


@dataclass(frozen=True)
class Page:
    path: str  # site-relative output file
    template: str
    context: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Pager:
    """One page of a listing (newest items first). The pages after the first are numbered
    from the oldest: page 1 holds the oldest `per_page` items, and the first page takes the
    newest ones, from `per_page` to twice that less one. A new article then changes the
    first page only (and every `per_page` new articles make one more numbered page): every
    other page keeps its address, its items and its links, so it is not written again."""

    number: int  # 0 for the first page; else counted from the oldest
    path: str
    items: tuple
    previous: str | None  # the page of newer items
    next: str | None  # the page of older items
    total: int  # the listing's length, on the first page (0 on the others: they never show it)


@dataclass(frozen=True)
class TagHeading:
    """What a tag's page shows of the tag itself (its length comes with the first pager)."""

    name: str
    slug: str
    description: str


def paginate(items: tuple, per_page: int, path_of: Callable[[int], str]) -> list[Pager]:
    numbered = max(0, len(items) // per_page - 1)  # full pages besides the first
    first = len(items) - numbered * per_page
    pagers = [Pager(0, path_of(0), items[:first], None, path_of(numbered) if numbered else None,
                    len(items))]
    for n in range(numbered, 0, -1):
        start = first + (numbered - n) * per_page
        pagers.append(Pager(n, path_of(n), items[start : start + per_page],
                            path_of(n + 1 if n < numbered else 0),
                            path_of(n - 1) if n > 1 else None, 0))
    return pagers


def plan(site: Site, cards: Cards | None = None) -> list[Page]:
    """Every page of the site with its context. Only an article's own page sees the
    `Article`; every listing sees `views` (cards), which are what fingerprints hash."""
    per_page, card = site.config.per_page, cards or Cards()
    articles = tuple(map(card, site.articles))
    pages = [Page(p.path, "index.html", {"pager": p})
             for p in paginate(articles, per_page, urls.home)]

    for i, article in enumerate(site.articles):
        pages.append(
            Page(
                article.path,
                "article.html",
                {
                    "article": article,
                    "previous": articles[i + 1] if i + 1 < len(articles) else None,
                    "next": articles[i - 1] if i > 0 else None,
                    "related": tuple(map(card, site.related.get(article.path, ()))),
                },
            )
        )

    entries = tuple(views.TagEntry(t.name, t.slug, t.description, len(t.articles))
                    for t in site.tags)
    pages.append(Page(urls.tags_index(), "tags.html", {"tags": entries}))
    for tag in site.tags:
        heading = TagHeading(tag.name, tag.slug, tag.description)
        listed = tuple(map(card, tag.articles))
        for pager in paginate(listed, per_page, lambda n, s=tag.slug: urls.tag(s, n)):
            pages.append(Page(pager.path, "tag.html", {"tag": heading, "pager": pager}))

    years = tuple(views.YearEntry(y.number, y.count) for y in site.years)
    pages.append(Page(urls.archive(), "archive.html", {"years": years}))
    for i, year in enumerate(site.years):
        months = tuple(views.MonthView(m.number, m.name, tuple(map(card, m.articles)))
                       for m in year.months)
        pages.append(
            Page(
                year.path,
                "year.html",
                {
                    "year": views.YearView(year.number, year.count, months),
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
    assets) and the page's context, where the page's own `article` counts in full and the
    rest are `views`, each counted whole: a template can show nothing that is not hashed.
    Equal fingerprints then mean equal output, which the incremental-build property tests
    check against clean builds."""
    digest = hashlib.sha256(f"{base}\0{page.path}\0{page.template}".encode())
    for key in sorted(page.context):
        value = page.context[key]
        digest.update(f"\0{key}=".encode())
        if key == "article" and isinstance(value, Article):
            digest.update(digests.full(value).encode())
        else:
            digest.update(digests.of(value).encode())
    return digest.hexdigest()


class Digests:
    """Digests of context values, each computed once per build (a card's digest is shared by
    all the pages that list it). `full` gives an article's complete digest.

    `kept` and `pages` carry digests from one build to the next in a preview session, where
    unchanged articles, and so their cards, are the same objects (immutable, and each entry
    holds what its key names by id, so an id is never reused while the entry lives): card
    digests, and each page's fingerprint with the `identity` of its context."""

    def __init__(
        self,
        full: Callable[[Article], str],
        kept: dict[int, tuple[Card, str]] | None = None,
        pages: dict[str, tuple[object, str, Page]] | None = None,
    ) -> None:
        self.full = full
        self._memo: dict[int, tuple[Card, str]] = {} if kept is None else kept
        self._pages = pages or {}
        # this build's, to keep (None: nothing is kept, as in a one-off build)
        self.pages: dict[str, tuple[object, str, Page]] | None = None if pages is None else {}

    def page(self, page: Page, base: str) -> str:
        """`fingerprint(page, base, self)`, taken from the last build when the page's
        context holds the same objects and values (0.2 s a preview save at 10,000)."""
        if self.pages is None:
            return fingerprint(page, base, self)
        key = _context_identity(page.context)
        key = key and (base, page.template, key)
        found = self._pages.get(page.path)
        if key is None or found is None or found[0] != key:
            found = (key, fingerprint(page, base, self), page)
        if key is not None:
            self.pages[page.path] = found
        return found[1]

    def of(self, value: object) -> str:
        if isinstance(value, Card):
            return self._card(value)
        if isinstance(value, Pager):
            return (f"pager {value.number} {value.path} {value.previous} {value.next} "
                    f"{value.total} " + self.of(value.items))
        if isinstance(value, TagHeading | views.TagEntry | views.YearEntry):
            return repr(value)  # every field, strings and numbers
        if isinstance(value, views.YearView):
            return f"year {value.number} {value.count} " + self.of(
                tuple((m.number, m.name, m.articles) for m in value.months))
        if isinstance(value, tuple | list):
            return self._hash("[" + ",".join(map(self.of, value)) + "]")
        if value is None or isinstance(value, str | int):
            return repr(value)
        raise TypeError(f"no digest rule for {type(value).__name__}; add one in pages.py")

    def _card(self, value: Card) -> str:
        found = self._memo.get(id(value))
        if found is None or found[0] is not value:
            found = self._memo[id(value)] = (value, card_digest(value))
        return found[1]

    @staticmethod
    def _hash(text: str) -> str:
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def card_digest(card: Card) -> str:
    """What a listing's fingerprint counts of a listed article: its card, every field."""
    return hashlib.sha1(repr(card).encode(), usedforsecurity=False).hexdigest()


def identity(value: object) -> object:
    """A key that is equal for two context values only when `fingerprint` cannot tell them
    apart: articles by object (see `Digests`), the rest by the values `Digests.of` reads, or
    more; None for a value with no such rule."""
    rule = _IDENTITY.get(type(value))
    return rule(value) if rule else None


def _sequence_identity(value: tuple | list) -> object:
    if set(map(type, value)) <= {Card}:  # the common case, at C speed
        return tuple(map(id, value))
    parts = tuple(map(identity, value))
    return None if None in parts else ("items", parts)


def _pager_identity(value: Pager) -> object:
    items = _sequence_identity(value.items)
    return items and ("pager", value.number, value.path, value.previous, value.next,
                      value.total, items)


_IDENTITY: dict[type, Callable[[Any], object]] = {
    Article: id,
    Card: id,
    tuple: _sequence_identity,
    list: _sequence_identity,
    Pager: _pager_identity,
    TagHeading: lambda v: ("heading", v.name, v.slug, v.description),
    views.TagEntry: lambda v: ("tag", v.name, v.slug, v.description, v.count),
    views.YearEntry: lambda v: ("years", v.number, v.count),
    views.YearView: lambda v: ("year", v.number, v.count, tuple(
        (m.number, m.name, tuple(map(id, m.articles))) for m in v.months)),
    type(None): lambda v: ("none",),
    str: lambda v: ("str", v),
    int: lambda v: ("int", v),
    bool: lambda v: ("bool", v),
}


def _context_identity(context: Mapping[str, object]) -> tuple | None:
    keys = tuple(sorted(context))
    values = tuple(identity(context[k]) for k in keys)
    return None if None in values else (keys, values)
