"""What templates see of articles, tags and years listed on a page other than their own.

A listing page is rendered again only when its fingerprint changes, and the fingerprint of a
listed article is the digest of its `Card`: so a card holds exactly what a listing may show,
and a theme cannot show anything else (a field that is not here is an error when the page is
rendered, not a stale page after an edit). An article's own page gets the whole `Article`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from .. import urls
from ..model import Article, TagRef


@dataclass(frozen=True)
class CardPhoto:
    """What a listing shows of a lead photo: a thumbnail."""

    alt: str
    width: int
    height: int
    extension: str  # "" for a kind that is not resized (then only `Card.photo_path` exists)


@dataclass(frozen=True)
class Card:
    """An article as listings show it (front page, tag pages, year pages, related, next)."""

    path: str
    title: str
    date: datetime
    has_time: bool
    summary: str
    tags: tuple[TagRef, ...]
    authors: tuple[str, ...]
    reading_minutes: int
    photo: CardPhoto | None
    photo_path: str | None  # the photo's largest copy in its own format
    sources: tuple[tuple[str, int, str], ...]  # (site path, width, extension) of its copies

    def photo_sources(self, extension: str, limit: int = 10**6) -> tuple[tuple[str, int], ...]:
        """As `Article.photo_sources`: (site path, width) of the copies in `extension` up to
        `limit` pixels wide (the smallest always)."""
        widths = [w for _, w, ext in self.sources if ext == extension]
        if not widths:
            return ()
        top = max(limit, min(widths))
        return tuple((path, w) for path, w, ext in self.sources if ext == extension and w <= top)


def card(article: Article) -> Card:
    photo = article.photo
    return Card(
        article.path, article.title, article.date, article.has_time, article.summary,
        article.tags, article.authors, article.reading_minutes,
        CardPhoto(photo.alt, photo.width, photo.height, photo.extension) if photo else None,
        article.photo_path, photo.variants() if photo and photo.extension else (),
    )


@dataclass(frozen=True)
class TagEntry:
    """A tag as the list of tags shows it."""

    name: str
    slug: str
    description: str
    count: int  # its articles

    @property
    def path(self) -> str:
        return urls.tag(self.slug)


@dataclass(frozen=True)
class YearEntry:
    """A year as the archive shows it."""

    number: int
    count: int

    @property
    def path(self) -> str:
        return urls.year(self.number)


@dataclass(frozen=True)
class MonthView:
    number: int
    name: str
    articles: tuple[Card, ...]  # newest first


@dataclass(frozen=True)
class YearView:
    """A year's own page: its months and their articles."""

    number: int
    count: int
    months: tuple[MonthView, ...]  # newest first

    @property
    def path(self) -> str:
        return urls.year(self.number)


class Cards:
    """Each article's card, made once per article object (and, with `kept`, across a preview
    session's builds, where unchanged articles are the same objects: see `pages.Digests`)."""

    def __init__(self, kept: dict[int, tuple[Article, Card]] | None = None) -> None:
        self.kept = {} if kept is None else kept

    def __call__(self, article: Article) -> Card:
        found = self.kept.get(id(article))
        if found is None or found[0] is not article:
            found = self.kept[id(article)] = (article, card(article))
        return found[1]

    def keep_only(self, articles: tuple[Article, ...]) -> None:
        """Forget the cards of articles that are gone."""
        live = set(map(id, articles))
        self.kept = {k: v for k, v in self.kept.items() if k in live}


def shown(message: str) -> tuple[str, ...]:
    """What the view named in a template error ("'...views.Card object' has no attribute")
    shows, for the error's hint; () when it names none."""
    for kind in (Card, TagEntry, YearEntry, MonthView, YearView):
        if f"views.{kind.__name__} object'" in message:
            extra = [name for name, value in vars(kind).items() if not name.startswith("_")
                     and (callable(value) or isinstance(value, property))]
            return (*(f.name for f in fields(kind)), *extra)
    return ()
