"""What each page and feed of the site shows, kept in the build cache with articles named by
their source file, so an edit can render again just the pages that show what it changed.

A page's plan is its template and its context with every card and article replaced by the
source of the article it is of: `plan` writes it, `marks` finds the plans that show an
article (its card, or the article whole), `page` and `feed` make the page again from it and
the articles read back. Every value of a context is written whole; a record of a kind added
to the views later must be named in `_KINDS` (until then it is an error, never a wrong page).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import fields

from ..model import Article
from ..render import feeds, pages, views

_KINDS = {kind.__name__: kind for kind in (
    pages.Pager, pages.TagHeading, views.TagEntry, views.YearEntry, views.YearView,
    views.MonthView, feeds.Feed)}


def plan(value: pages.Page | feeds.Feed, source_of: Mapping[str, str]) -> str:
    """The plan of a page or feed (JSON); `source_of` gives the source of each article by
    its page's path (cards carry the path only)."""
    def encode(item: object) -> object:
        if isinstance(item, views.Card):
            return ["card", source_of[item.path]]
        if isinstance(item, Article):
            return ["article", item.source]
        name = type(item).__name__
        if _KINDS.get(name) is type(item):
            return [name, [encode(getattr(item, f.name)) for f in fields(item)]]
        if isinstance(item, tuple):
            return ["tuple", [encode(v) for v in item]]
        if item is None or type(item) in (str, int, bool):
            return item
        raise TypeError(f"no plan rule for {name}; add one in incremental/plans.py")

    if isinstance(value, feeds.Feed):
        shown = ["feed", encode(value)]
    else:
        shown = [value.template, {key: encode(v) for key, v in sorted(value.context.items())}]
    return _json(shown)


def marks(source: str) -> tuple[str, str]:
    """The text of a plan that shows the article of `source` whole, and as a card: a plan
    holds one exactly when it shows that (strings inside are JSON-escaped, so no text of an
    article's can look like a mark)."""
    return _json(["article", source]), _json(["card", source])


def is_feed(plan: str) -> bool:
    return plan.startswith('["feed",')


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def sources(plan: str) -> set[str]:
    """The sources of every article the plan shows."""
    found: set[str] = set()

    def walk(item: object) -> None:
        if isinstance(item, list):
            if len(item) == 2 and item[0] in ("card", "article") and isinstance(item[1], str):
                found.add(item[1])
            else:
                for v in item:
                    walk(v)
        elif isinstance(item, dict):
            for v in item.values():
                walk(v)

    walk(json.loads(plan))
    return found


def page(path: str, plan: str, card: Callable[[str], views.Card],
         article: Callable[[str], Article]) -> pages.Page:
    """The page at `path` made again from its plan: `card` and `article` give them by source.
    Raises ValueError for a plan of the wrong shape."""
    try:
        template, context = json.loads(plan)
        return pages.Page(path, template, {key: _decode(v, card, article)
                                           for key, v in context.items()})
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"not a page plan: {exc}") from None


def feed(plan: str, article: Callable[[str], Article]) -> feeds.Feed:
    """The feed made again from its plan (see `page`)."""
    try:
        kind, value = json.loads(plan)
        made = _decode(value, _no_card, article)
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"not a feed plan: {exc}") from None
    if kind != "feed" or not isinstance(made, feeds.Feed):
        raise ValueError("not a feed plan")
    return made


def _decode(item: object, card: Callable[[str], views.Card],
            article: Callable[[str], Article]) -> object:
    if item is None or type(item) in (str, int, bool):
        return item
    if not isinstance(item, list) or len(item) != 2:
        raise ValueError(f"not a plan value: {item!r}")
    kind, value = item
    if kind == "card":
        return card(value)
    if kind == "article":
        return article(value)
    if kind == "tuple":
        return tuple(_decode(v, card, article) for v in value)
    if kind in _KINDS:
        return _KINDS[kind](*(_decode(v, card, article) for v in value))
    raise ValueError(f"not a plan value: {kind!r}")


def _no_card(source: str) -> views.Card:
    raise ValueError("a feed shows no cards")
