"""What an incremental build may skip: what changed -> which outputs to produce -> what to write.

Every decision compares this build's inputs with what the build cache recorded of the site now
in `site/` (`cache.BuildCache`): a page is rendered again unless its fingerprint is the one
recorded and its file is still a plain file there; a photo's copies are made again unless they
are the recorded ones; a file is written unless its bytes are the ones recorded. After the
site was written, `record` tells the cache what the new site holds (committed by the caller
once the swap succeeded).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import model, output, urls
from ..config import Config
from ..diagnostics import Diagnostic, error
from ..model import Article, Site
from ..read import images
from ..render import feeds, pages, views
from ..search import state as search
from ..workers import Rendered
from . import cache, plans
from .inputs import Inputs


@dataclass(frozen=True)
class PageWork:
    """Which planned pages must be rendered, and the fingerprints to record of all of them."""

    fingerprints: dict[str, str]  # site path -> fingerprint, every planned page and feed
    keep: frozenset[str]  # pages and feeds whose file in site/ is already right
    render: tuple[pages.Page, ...]
    feeds: tuple[feeds.Feed, ...]  # the feeds to build


@dataclass(frozen=True)
class Job:
    """What a build makes: the pages `work` names, then (asked for once the pages are
    rendered) the search files, the other generated files and the media. A full build and
    an edit's (`edits`) make them differently; the rest of the build is the same."""

    store: cache.BuildCache  # what the build knows, to record what it made
    saved: cache.BuildCache  # what the cache database holds (to save only the changes)
    site: Site  # for the templates (see `templates.render`)
    work: PageWork
    source_of: dict[str, str]  # the source of each article shown, by its page's path
    diagnostics: list[Diagnostic]
    articles: int
    pages: int
    search: Callable[[search.Spill], search.Built]  # given where to put large files
    files: Callable[[], dict[str, bytes]]  # feeds, sitemap
    media: Callable[[], tuple[dict[str, tuple[Path | None, str]], list[Diagnostic]]]


@dataclass(frozen=True)
class Writes:
    """What the new site holds and which of its files must be written."""

    files: dict[str, bytes]  # generated files whose bytes differ from site/'s
    moved: dict[str, Path]  # rendered pages that differ from site/'s, in the scratch folder
    copies: dict[str, Path]  # files to copy in, by site path
    keep: frozenset[str]  # files of site/ that stay as they are
    target: dict[str, str]  # site path -> content digest, every file of the new site
    site_id: str  # names the new site (its marker)
    copy_digests: dict[str, str]  # site path -> digest of every copied file
    written: dict[str, str]  # generated file -> digest of its bytes
    spare_from_new: bool  # the files of the site replaced are not all known (see `record`)


def photo_state(article: Article | None, inputs: Inputs) -> tuple | None:
    """What an article's result depended on outside its own file: its photo and body images
    (existence and content: a photo's content gives its size). A file the walk listed has a
    digest, so only the others cost a `stat`."""
    if article is None:
        return None
    files = [article.photo.file] if article.photo else []
    files += [file for _, file in article.assets]
    return tuple((str(f), inputs.digest_of(f) or f.is_file()) for f in files) or None


def trust_only_this_site(store: cache.BuildCache, config: Config) -> None:
    """What the cache says about the output folder and the spare holds only if they are the
    builds it recorded (a build killed after its swap leaves another build there)."""
    if not store.site_id or output.build_id(config.output) != store.site_id:
        store.forget_site()
    spare = config.output.parent / f".{config.output.name}.spare"
    if not store.spare_id or output.build_id(spare) != store.spare_id:
        store.forget_spare()


def unchanged(
    config: Config, digest: str, store: cache.BuildCache | None
) -> tuple[int, int, list[Diagnostic]] | None:
    """The previous build's (articles, pages, diagnostics) if its inputs were exactly these
    and its output is still all there: then there is nothing to do. Without a `store` in
    memory, only the manifest is read from the cache."""
    found = (store.site_id, store.manifest, store.outputs) if store else cache.load_manifest(
        config)
    if found is None or found[1] is None:
        return None
    site_id, manifest, outputs = found
    if manifest.inputs != digest or output.build_id(config.output) != site_id:
        return None
    out = str(config.output) + os.sep
    if not all(plain_file(out + name) for name in outputs):
        return None
    return manifest.articles, manifest.pages, list(manifest.diagnostics)


def pages_to_render(
    store: cache.BuildCache,
    config: Config,
    inputs: Inputs,
    planned: list[pages.Page],
    planned_feeds: list[feeds.Feed],
) -> PageWork:
    """Each planned page's fingerprint (see `pages.fingerprint`) and each feed's, and those
    whose file in site/ is not the one they describe."""
    keys = article_keys(store)

    def full(article: Article) -> str:  # (the key is of the bytes: a renamed file keeps it)
        return "\0".join((article.source, keys[article.source],
                          _text_digest(article.html) if article.links else ""))

    base = _base_digest(config, inputs)
    live = {id(card) for _, card in store.cards.values()}
    store.listings = {k: v for k, v in store.listings.items() if k in live}
    digests = pages.Digests(full, store.listings, store.page_keys)
    fingerprints = {page.path: digests.page(page, base) for page in planned}
    store.page_keys = digests.pages
    for feed in planned_feeds:  # a feed shows its articles whole, each at its own address
        fingerprints[feed.path] = _text_digest("\0".join((
            base, feed.path, feed.title, feed.page, *map(full, feed.articles))))
    out = str(config.output) + os.sep
    keep = frozenset(path for path, fingerprint in fingerprints.items()
                     if store.pages.get(path) == fingerprint and plain_file(out + path))
    return PageWork(fingerprints, keep, tuple(p for p in planned if p.path not in keep),
                    tuple(f for f in planned_feeds if f.path not in keep))


def cards(store: cache.BuildCache, site: Site) -> views.Cards:
    """What listings show of `site`'s articles, made once per article object (in a preview
    session, unchanged articles keep theirs from build to build)."""
    made = views.Cards(store.cards)
    made.keep_only(site.articles)
    store.cards = made.kept
    if not store.listings:  # each card's digest, as the build that parsed it made it (a
        for article in site.articles:  # session keeps them itself, by card)
            card, entry = made(article), store.articles.get(article.source)
            if entry and entry.card:
                store.listings[id(card)] = (card, entry.card)
    return made


def related_numbers(store: cache.BuildCache) -> model.RelatedNumbers:
    """`model.related_numbers`, answered from `store` while every article's tags are the ones
    it was computed for (a tenth of a second at 10,000 articles), or updated from it when the
    only change is a new newest article; kept there."""
    def kept(digest: str, count: int) -> tuple | None:
        if not store.related or store.related[0] != digest:
            return None
        return store.related[1] if len(store.related[1]) == count else None

    def numbers(tags: tuple[tuple[str, ...], ...], limit: int) -> tuple[tuple[int, ...], ...]:
        if store.related and store.related_of == (tags, limit):  # a preview session's save
            return store.related[1]
        digest = _text_digest(repr((tags, limit)))
        if (found := kept(digest, len(tags))) is None:
            before = kept(_text_digest(repr((tags[1:], limit))), len(tags) - 1) if tags else None
            found = (model.related_numbers_with_newest(tags, limit, before) if before is not None
                     else model.related_numbers(tags, limit))
        store.related, store.related_of = (digest, found), (tags, limit)
        return found
    return numbers


def article_keys(store: cache.BuildCache) -> dict[str, str]:
    """What an article's page and search document depend on, by source: its file and its
    photo (whose size and copies can change alone)."""
    return {name: entry.key + repr(entry.photo) for name, entry in store.articles.items()}


def search_index(store: cache.BuildCache, config: Config, site: Site,
                 spill: search.Spill | None = None) -> search.Built:
    """The search files, from the last build's index while its files are the ones in site/
    (`spill`: see `search.build`)."""
    out = str(config.output) + os.sep
    keys = article_keys(store)
    known = bool(store.search_files) and all(plain_file(out + n) for n in store.search_files)
    if not known:
        return search.build(site, keys, None, spill)
    with cache.search_index(config) as previous:
        return search.build(site, keys, previous, spill)


def media_files(
    store: cache.BuildCache, config: Config, inputs: Inputs, site: Site
) -> tuple[dict[str, tuple[Path | None, str]], list[Diagnostic]]:
    """Site path -> (file to copy, its content digest) of the static assets, the photos'
    copies and the body images; no file where the copy in site/ is already the right one.
    Photo copies missing from site/ are made (once per photo content) in the image cache."""
    wanted = {urls.static(n): (path, inputs.digest_of(path))
              for n, path in inputs.static_files.items()}
    problems: list[Diagnostic] = []
    image_cache = cache.folder(config)
    if image_cache is None or (image_cache / "images").is_symlink():
        return wanted, [error(
            cache.CACHE_DIR, 0, 0, "is not a plain folder (a link?); the build keeps its cache "
            "there", f"remove {cache.CACHE_DIR} and build again")]
    image_cache = image_cache / "images"
    out = str(config.output) + os.sep
    for article in site.articles:
        photo = article.photo
        variants = [v for v in photo.variants() if v[0] not in wanted] if photo else []
        if photo and photo.extension and variants:  # one decode makes every copy
            names = {(w, e): images.cached_name(photo.digest, w, e) for _, w, e in variants}
            if all(store.copies.get(rel) == names[(w, e)] and plain_file(out + rel)
                   for rel, w, e in variants):  # in site/ already: nothing to make
                wanted.update((rel, (None, names[(w, e)])) for rel, w, e in variants)
                continue
            try:
                made = images.make_variants(
                    photo.file, photo.digest, image_cache, images.widths(photo.width),
                    ("webp", photo.extension))
            except images.ImageProblem as exc:
                name = photo.file.relative_to(config.root).as_posix()
                problems.append(error(article.source, 0, 0, f"photo {name} {exc}"))
                continue
        for rel, width, extension in variants:
            source = made[(width, extension)] if width else photo.file
            wanted[rel] = (source, source.name if width else photo.digest)
        for rel, file in article.asset_files().items():
            wanted[rel] = (file, inputs.digest_of(file))
    return wanted, problems


def what_to_write(
    store: cache.BuildCache,
    config: Config,
    files: dict[str, bytes],
    rendered: dict[str, Rendered],
    media: dict[str, tuple[Path | None, str]],
    keep: frozenset[str],
) -> Writes:
    """The new site: `files` generated, `rendered` pages, `media` copied, `keep` already
    right in site/. Files whose bytes or content are the ones site/ holds are kept rather
    than written."""
    out = str(config.output) + os.sep
    kept, copies, copy_digests = set(keep), {}, {}
    for rel, (path, digest) in media.items():
        copy_digests[rel] = digest
        if store.copies.get(rel) == digest and (path is None or plain_file(out + rel)):
            kept.add(rel)  # (no path: found in site/ by `media_files`)
        else:
            copies[rel] = path
    written = {name: _bytes_digest(data) for name, data in files.items()}
    written.update((name, page.digest) for name, page in rendered.items())
    fresh, moved = {}, {}
    for name, digest in written.items():  # the same bytes as last time: keep the file as it is
        if store.written.get(name) == digest and plain_file(out + name):
            kept.add(name)
        elif name in files:
            fresh[name] = files[name]
        else:
            moved[name] = rendered[name].file
    outputs = kept | fresh.keys() | moved.keys() | copies.keys()
    target = {
        p: written.get(p) or copy_digests.get(p) or store.written.get(p) or _file_digest(out + p)
        for p in outputs
    }
    site_id = _text_digest(repr(sorted(target.items())))[:32]
    known = bool(store.site_id) and all(map(_previous(store).get, store.outputs))
    return Writes(fresh, moved, copies, frozenset(kept), target, site_id, copy_digests, written,
                  not known)


def record(
    store: cache.BuildCache,
    writes: Writes,
    work: PageWork,
    built: search.Built,
    inputs: Inputs,
    manifest: cache.Manifest,
    source_of: Mapping[str, str],
) -> None:
    """Tell `store` that site/ now holds the build `writes` describes. The one it held
    before became the spare; if not all its files were known, the spare is a copy of the
    new one (`output.write_site`'s `spare_from_new`). The plans of the pages and feeds made
    again are kept (`source_of`: each article's source by its page), and with those the
    cache had, they describe the whole new site."""
    whole = len(work.render) + len(work.feeds) == len(work.fingerprints)
    complete = whole or (bool(store.site_id) and store.plan_id == store.site_id)
    store.plans = {p.path: plans.plan(p, source_of) for p in (*work.render, *work.feeds)}
    store.plans_whole, store.plan_id = whole, writes.site_id if complete else ""
    if store.site_id != writes.site_id:
        if writes.spare_from_new:
            store.spare_id, store.spare = writes.site_id, dict(writes.target)
        else:
            store.spare_id, store.spare = store.site_id, _previous(store)
    outputs = frozenset(writes.target)
    store.site_id = writes.site_id
    store.pages, store.copies, store.outputs = work.fingerprints, writes.copy_digests, outputs
    store.written = {
        name: digest
        for name, digest in {**store.written, **writes.written}.items()
        if name in outputs and name not in writes.copy_digests
    }
    store.search_files, store.search_built = built.names, built
    store.seen = inputs.seen
    store.manifest = manifest


def _previous(store: cache.BuildCache) -> dict[str, str]:
    """The digests of the site/ the cache knows, by file ("" for one it does not)."""
    return {p: store.written.get(p) or store.copies.get(p) or "" for p in store.outputs}


def spare(store: cache.BuildCache) -> dict[str, str] | None:
    """The digests of the spare tree's files, when the cache knows them."""
    return store.spare if store.spare_id else None


def _base_digest(config: Config, inputs: Inputs) -> str:
    """Everything every page depends on: code, config, templates and static assets."""
    digest = hashlib.sha256((cache.code_digest() + cache.config_digest(config)).encode())
    for name, path in inputs.template_files.items():
        digest.update(f"{name}\0{inputs.digest_of(path)}\0".encode())
    for name, path in inputs.static_files.items():
        digest.update(f"static/{name}\0{inputs.digest_of(path)}\0".encode())
    return digest.hexdigest()


def _bytes_digest(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def plain_file(path: str) -> bool:
    """A regular file, not a link: a link in site/ is never kept (it could point anywhere)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _file_digest(path: str) -> str:
    with open(path, "rb") as handle:
        return _bytes_digest(handle.read())
