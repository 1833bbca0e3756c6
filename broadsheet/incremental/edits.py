"""An edit that no listing's order sees, made from a few rows of the build cache.

The usual edit changes an article's text: its own page changes, its card wherever listings
show it (the summary is the start of the text), its feeds and its search document, nothing
else. When the inputs show that only articles already built changed, and each keeps its place
in the site (`_place`: address, dates, tags, draft, links, photo and images: all that decides
which listings, neighbours and related articles there are), the build reads only those
articles, the plans of the pages showing them (`plans`) and the articles those pages show,
and makes those pages again; every other file of site/ stays. Anything else is for the full
build (`prepare` says None), which gives the same site: the property tests check it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from .. import model, workers
from ..config import Config
from ..model import Article
from ..render import feeds, pages, views
from ..search import files as search_files
from ..search import state as search
from . import bookkeeping, cache, plans
from .inputs import Inputs

MOST = 20  # edited articles; more is a full build's work


def prepare(config: Config, inputs: Inputs, seen: dict[str, tuple[str, str]],
            progress: workers.Progress | None = None) -> bookkeeping.Job | None:
    """The build of an edit no listing's order sees, or None (then the full build runs)."""
    try:
        with cache.reader(config) as db:
            return _prepare(config, inputs, seen, db, progress) if db is not None else None
    except (sqlite3.Error, ValueError, OSError, cache.Missing):
        return None


def _prepare(config: Config, inputs: Inputs, seen: dict[str, tuple[str, str]],
             db: cache.Reader, progress: workers.Progress | None) -> bookkeeping.Job | None:
    keys = db.keys()  # (the quickest test first: a new or deleted article is not an edit)
    found = {name: (path, data, key) for path, name, data, key in inputs.sources}
    if found.keys() != keys.keys():
        return None
    store = db.site(seen)
    bookkeeping.trust_only_this_site(store, config)
    manifest = store.manifest
    if (manifest is None or not store.site_id or store.plan_id != store.site_id
            or manifest.rest != inputs.rest):
        return None
    edited = {name for name, (_, _, key) in found.items() if keys[name] != key}
    if not 0 < len(edited) <= MOST or any(d.path in edited for d in manifest.diagnostics):
        return None
    old = db.entries(edited)
    misses = [(Path(found[name][0]), name, *found[name][1:]) for name in sorted(edited)]
    if old.keys() != edited or any(data is None for _, _, data, _ in misses):
        return None
    parsed = workers.parse_all(misses, config, inputs.vocabulary, False, inputs.file_digests,
                               progress)
    new: dict[str, cache.ArticleEntry] = {}
    for (_, name, _, key), result in zip(misses, parsed, strict=True):
        article, before = result[0], old[name].result[0]
        photo = bookkeeping.photo_state(article, inputs)
        if (article is None or before is None or result[2] or old[name].result[2]
                or _place(article) != _place(before) or photo != old[name].photo):
            return None
        new[name] = cache.ArticleEntry(key, photo, result,
                                       pages.card_digest(views.card(article)))

    wanted = [plans.marks(s)[0] for s in sorted(edited)]  # pages showing them whole,
    wanted += [plans.marks(s)[1] for s in sorted(edited) if new[s].card != old[s].card]
    stored = db.plans(wanted)  # and those showing a card that changed
    redo = set(stored)
    shown = set().union(*map(plans.sources, stored.values()))
    store.articles = {**db.entries(shown - new.keys()), **old}
    saved = store.snapshot()  # what the database holds
    store.articles.update(new)
    articles = _articles(config, store, db)
    if not shown <= articles.keys():
        return None
    made = [plans.feed(plan, articles.__getitem__) if plans.is_feed(plan) else
            plans.page(path, plan, lambda s: views.card(articles[s]), articles.__getitem__)
            for path, plan in sorted(stored.items())]
    redone = [p for p in made if isinstance(p, pages.Page)]
    work = bookkeeping.pages_to_render(store, config, inputs, redone,
                                       [f for f in made if isinstance(f, feeds.Feed)])
    if not _in_site(config, store, store.outputs - redo):
        return None
    keep = store.outputs - redo - set(store.search_files) - store.copies.keys()
    work = bookkeeping.PageWork({**store.pages, **work.fingerprints}, work.keep | keep,
                                work.render, work.feeds)
    media = {rel: (None, digest) for rel, digest in store.copies.items()}
    return bookkeeping.Job(
        store, saved, model.Site(config, (), (), ()), work,
        {a.path: a.source for a in articles.values()}, list(manifest.diagnostics),
        manifest.articles, manifest.pages,
        search=lambda spill: _search(config, store, articles, edited),
        files=lambda: feeds.build_files(config, list(work.feeds)),
        media=lambda: (media, []),
    )


def _place(article: Article) -> tuple:
    """What decides where an article is listed, next to which, and what its page links to:
    equal for an edit that leaves every listing's order, every page's neighbours and related
    articles and every media file as they were."""
    return (article.source, article.path, repr(article.date), repr(article.updated),
            article.draft, article.tags, frozenset(target for target, _ in article.links),
            article.photo, article.assets)  # (dates as written: one moment at another offset
    # is equal, but falls in another month or sitemap day)


def _articles(config: Config, store: cache.BuildCache, db: cache.Reader
              ) -> dict[str, Article]:
    """The articles read (the edited ones new) with their links pointing at pages, by
    source; only those the site shows (a draft is not, unless drafts are built)."""
    read = {s: e.result[0] for s, e in store.articles.items()
            if e.result[0] is not None and (config.drafts or not e.result[0].draft)}
    targets = {t for a in read.values() for t, _ in a.links} - read.keys()
    path_of = {s: a.path for s, a in read.items()}
    for source, entry in db.entries(targets).items():
        target = entry.result[0]
        if target is not None and (config.drafts or not target.draft):
            path_of[source] = target.path
    return {s: model.resolve_links(a, path_of) for s, a in read.items()}


def _in_site(config: Config, store: cache.BuildCache, keep: set[str]) -> bool:
    """Whether the files kept are in site/ as the cache knows them. Those the spare holds
    alike need not be (the new site is the spare made up to date); without a spare the new
    site is made of links to all of them."""
    out = str(config.output) + os.sep
    spare = bookkeeping.spare(store)
    if spare is not None:
        keep = {p for p in keep
                if spare.get(p) != (store.written.get(p) or store.copies.get(p))}
    return all(bookkeeping.plain_file(out + p) for p in keep)


def _search(config: Config, store: cache.BuildCache, articles: dict[str, Article],
            edited: set[str]) -> search.Built:
    """The search files with the edited articles' documents made again (the documents are
    numbered as the last build numbered them: an edit moves none)."""
    keys = bookkeeping.article_keys(store)
    with cache.search_index(config) as previous:
        if previous is None:
            raise cache.Missing("search index")
        wanted = [(row.ident, keys[row.ident] if row.ident in edited else row.source)
                  for row in previous.docs]
        article: Callable[[int], Article] = lambda n: articles[wanted[n][0]]  # noqa: E731
        return search.build_documents(wanted, lambda n: search_files.document(article(n)),
                                      lambda n: search_files.store_entry(article(n)), previous)

