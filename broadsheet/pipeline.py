"""The build, stage by stage: sources -> articles -> model -> pages -> render -> write.

`build()` gathers everything before writing anything, and writes nothing when any stage
reported an error. It returns a result for the command line to print.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import model, output, workers
from .config import Config
from .diagnostics import Diagnostic, error, has_errors
from .incremental import bookkeeping, cache, edits
from .incremental import inputs as inputs_module
from .read import sources
from .render import feeds, pages, sitemap, templates, views

Progress = workers.Progress


@dataclass
class BuildResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    articles: int = 0
    pages: int = 0
    pages_rendered: int = 0
    files_written: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


class _Clock:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings, self.last = timings, time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = now - self.last
        self.last = now


def load_site(
    config: Config,
    strict: bool = False,
    store: cache.BuildCache | None = None,
    inputs: inputs_module.Inputs | None = None,
    progress: Progress | None = None,
) -> tuple[model.Site, list[Diagnostic]]:
    """Read and validate every article and assemble the model (no output). `strict` adds the
    curator's rules of `check`. With a `store`, articles whose bytes are unchanged are taken
    from it, the rest are parsed (in parallel when there are many) and stored."""
    inputs = inputs or inputs_module.read_inputs(config)
    photo_state = bookkeeping.photo_state
    tags, diagnostics = inputs.vocabulary, list(inputs.diagnostics)
    results: dict[str, tuple] = {}
    misses: list[tuple[Path, str, bytes, str]] = []
    for name, source_name, data, key in inputs.sources:
        entry = store.articles.get(source_name) if store else None
        if entry and entry.key == key and entry.photo == photo_state(entry.result[0], inputs):
            results[source_name] = entry.result
            continue
        path = Path(name)
        if data is None:  # known by its stat signature, but its result is not: read it now
            source_name, data, trouble = sources.read_bytes(path, config.root)
            diagnostics += trouble
        if data is not None:
            misses.append((path, source_name, data, key))
    parsed = workers.parse_all(misses, config, tags, strict, inputs.file_digests, progress)
    for (_, source_name, _, key), result in zip(misses, parsed, strict=True):
        results[source_name] = result
        if store is not None:
            card = pages.card_digest(views.card(result[0])) if result[0] else ""
            store.articles[source_name] = cache.ArticleEntry(
                key, photo_state(result[0], inputs), result, card
            )
    if store is not None:
        for stale in set(store.articles) - set(results):
            del store.articles[stale]

    loaded, marks = [], {}
    for source_name in sorted(results):
        article, tag_marks, problems = results[source_name]
        diagnostics += problems
        if article is not None and (config.drafts or not article.draft):
            loaded.append(article)
            marks.update(tag_marks)
    descriptions = {slug: info.description for slug, info in tags.tags.items()}
    related = bookkeeping.related_numbers(store) if store is not None else None
    site, problems = model.assemble(config, loaded, marks, descriptions, frozenset(results),
                                    related)
    return site, diagnostics + problems


def check(config: Config, paths: list[Path] | None = None) -> list[Diagnostic]:
    """Every rule of the build plus the curator's, without writing; `paths` (files or
    folders) narrows the report to what lies there (the whole archive is still read, for
    cross-file rules)."""
    _, diagnostics = load_site(replace(config, drafts=True), strict=True)
    if paths:
        wanted = [p.resolve() for p in paths]

        def chosen(d: Diagnostic) -> bool:
            where = (config.root / d.path).resolve()
            return any(where == w or w in where.parents for w in wanted)

        diagnostics = [d for d in diagnostics if chosen(d)]
    return diagnostics


class _Database:
    """Where a one-off build (the command line) starts from: the cache database."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.recorded: dict[str, tuple[str, str]] | None = None  # `seen`, once read

    def seen(self) -> dict[str, tuple[str, str]]:
        if self.recorded is None:
            self.recorded = cache.load_seen(self.config)
        return self.recorded

    def inputs(self) -> inputs_module.Inputs:
        """Every input file, read (see `inputs`)."""
        return inputs_module.read_inputs(self.config, self.seen())

    def unchanged(self, digest: str) -> tuple | None:
        return bookkeeping.unchanged(self.config, digest, None)  # reads the manifest only

    def edit(self, inputs: inputs_module.Inputs, progress: Progress | None
             ) -> bookkeeping.Job | None:
        """The build of an edit that no listing's order sees, from a few rows of the cache
        (see `edits`); None for the full build."""
        return edits.prepare(self.config, inputs, self.seen(), progress)

    def start(self) -> tuple[cache.BuildCache, cache.BuildCache]:
        """The cache this build starts from, and what the database holds (to save changes)."""
        store = cache.load(self.config, self.recorded)
        return store, store.snapshot()

    def committed(self, store: cache.BuildCache) -> None:
        """The build committed `store` to the database."""

    def rendered(self, pages: dict[str, workers.Rendered]) -> None:
        """The pages that changed are rendered (in the scratch folder); the rest of the build
        (search, feeds, media, write) follows."""


class _Clean(_Database):
    """A clean build: nothing is known."""

    def seen(self) -> dict[str, tuple[str, str]]:
        return {}

    def unchanged(self, digest: str) -> None:
        return None

    def edit(self, inputs: inputs_module.Inputs, progress: Progress | None) -> None:
        return None

    def start(self) -> tuple[cache.BuildCache, cache.BuildCache]:
        return cache.BuildCache(), cache.BuildCache()


class Session(_Database):
    """Keeps the build cache in memory across the builds of one process (the preview), so a
    rebuild does not read it again. Every build still commits what it learnt to the database,
    so nothing is lost if the preview is killed."""

    def __init__(
        self, config: Config, rendered: Callable[[dict[str, workers.Rendered]], None] | None = None
    ) -> None:
        super().__init__(config)
        self.on_rendered = rendered  # told of each build's changed pages as soon as they are
        self.store = cache.load(config)
        self.store.page_keys = {}  # fingerprints kept from build to build
        self.saved = self.store.snapshot()  # what the database holds
        self.listings: tuple[sources.Listing, ...] | None = None  # of the last build
        self.pending: set[str] | None = None  # changed since, as the watcher said (None: unknown)

    def changed(self, paths: set[str]) -> None:
        """The watcher's repository-relative paths that changed since the last build (the
        next build trusts them instead of walking; a build it is not told of walks)."""
        self.pending = (self.pending or set()) | set(paths)

    def seen(self) -> dict[str, tuple[str, str]]:
        return self.store.seen

    def inputs(self) -> inputs_module.Inputs:
        """The folders are walked again only when the watcher's paths cannot tell what
        changed (see `sources.updated`): a preview rebuild looks at the saved file alone."""
        listings = None
        if self.listings is not None and self.pending is not None:
            folders = (self.config.content, self.config.templates, self.config.static)
            found = [sources.updated(listing, folder, self.pending)
                     for listing, folder in zip(self.listings, folders, strict=True)]
            listings = tuple(found) if all(f is not None for f in found) else None
        read = inputs_module.read_inputs(self.config, self.seen(), listings)
        self.listings, self.pending = read.listings, None
        return read

    def unchanged(self, digest: str) -> tuple | None:
        return bookkeeping.unchanged(self.config, digest, self.store)

    def edit(self, inputs: inputs_module.Inputs, progress: Progress | None) -> None:
        return None  # the session's cache in memory makes the full build as quick

    def start(self) -> tuple[cache.BuildCache, cache.BuildCache]:
        return self.store, self.saved

    def committed(self, store: cache.BuildCache) -> None:
        if store.page_keys is None:  # a clean build's: kept from now on
            store.page_keys = {}
        self.store, self.saved = store, store.snapshot()

    def rendered(self, pages: dict[str, workers.Rendered]) -> None:
        if self.on_rendered is not None:
            self.on_rendered(pages)

    def close(self) -> None:
        """Nothing to save: each build committed its own results."""


def build(
    config: Config,
    clean: bool = False,
    progress: Progress | None = None,
    session: Session | None = None,
) -> BuildResult:
    """Build the site into `config.output`. Unless `clean`, the cache of the previous build
    lets unchanged articles skip parsing and unchanged pages skip rendering and writing."""
    known = _Clean(config) if clean else session or _Database(config)
    with _collector_paused(), contextlib.ExitStack() as later:
        try:
            return _build(config, known, progress, later)
        except cache.Missing:  # another build replaced an article body this one had listed
            result = _build(config, _Clean(config), progress, later)
            if session is not None:
                session.committed(cache.load(config))
            return result


@contextlib.contextmanager
def _collector_paused():
    """A build makes a million long-lived objects and next to no reference cycles, but the
    cycle collector scans the whole heap again each time it grows by a quarter: a third of
    an edit build at 10,000 articles. Paused in this process; workers run theirs."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _build(
    config: Config, known: _Database, progress: Progress | None, later: contextlib.ExitStack
) -> BuildResult:
    """read -> (nothing changed?) -> an edit's pages, or parse, assemble and plan them all ->
    render -> search, feeds, sitemap -> media -> write -> commit; what may be skipped is
    `bookkeeping`'s to decide. Rendered pages wait in a scratch folder that `later` removes."""
    result = BuildResult()
    clock = _Clock(result.timings)
    inputs = known.inputs()
    if done := known.unchanged(inputs.digest):
        result.articles, result.pages, result.diagnostics = done
        clock.lap("load")
        return result
    job = known.edit(inputs, progress) or _whole(config, known, inputs, progress)
    result.diagnostics, result.articles, result.pages = job.diagnostics, job.articles, job.pages
    clock.lap("load")
    if not result.ok:
        return result

    try:
        scratch = later.enter_context(output.scratch(config.output))
    except OSError as exc:
        result.diagnostics.append(workers.cannot_write(config, exc))
        return result
    rendered, problems = _render(config, inputs, job.site, job.work, scratch, progress)
    result.diagnostics += problems
    result.pages_rendered = len(rendered)
    clock.lap("render")
    if not result.ok:
        return result
    known.rendered(rendered)

    built = job.search(workers.spill_to(scratch))
    files = built.files | job.files()
    rendered |= built.spilled
    keep = job.work.keep | (set(built.names) - built.files.keys() - built.spilled.keys())
    clock.lap("search")

    media, problems = job.media()
    result.diagnostics += problems
    if not result.ok:
        return result
    writes = bookkeeping.what_to_write(job.store, config, files, rendered, media, keep)
    if not _write(config, job.store, writes, result):
        return result
    manifest = cache.Manifest(inputs.digest, inputs.rest, result.articles, result.pages,
                              tuple(result.diagnostics))
    bookkeeping.record(job.store, writes, job.work, built, inputs, manifest, job.source_of)
    cache.save(config, job.store, job.saved)  # only now: the site on disk is this build
    job.store.search_built = None
    known.committed(job.store)
    clock.lap("write")
    return result


def _whole(config: Config, known: _Database, inputs: inputs_module.Inputs,
           progress: Progress | None) -> bookkeeping.Job:
    """The full build: every article (from the cache while unchanged), the model, and every
    page and feed planned; those whose fingerprint changed are rendered."""
    store, saved = known.start()
    bookkeeping.trust_only_this_site(store, config)
    site, diagnostics = load_site(config, store=store, inputs=inputs, progress=progress)
    planned = [] if has_errors(diagnostics) else pages.plan(site, bookkeeping.cards(store, site))
    work = bookkeeping.pages_to_render(store, config, inputs, planned,
                                       feeds.plan(site) if planned else [])
    return bookkeeping.Job(
        store, saved, site, work, {a.path: a.source for a in site.articles}, diagnostics,
        len(site.articles), len(planned),
        search=lambda spill: bookkeeping.search_index(store, config, site, spill),
        files=lambda: feeds.build_files(config, list(work.feeds))
        | sitemap.build_files(site, planned),
        media=lambda: bookkeeping.media_files(store, config, inputs, site),
    )


def _render(
    config: Config,
    inputs: inputs_module.Inputs,
    site: model.Site,
    work: bookkeeping.PageWork,
    scratch: Path,
    progress: Progress | None,
) -> tuple[dict[str, workers.Rendered], list[Diagnostic]]:
    """The pages `work` says must be rendered, through the theme's templates, into files of
    `scratch`."""
    hashes = {name: inputs.digest_of(path)[:10] for name, path in inputs.static_files.items()}
    env = templates.theme(inputs.template_files, {
        name: inputs.digest_of(path) for name, path in inputs.template_files.items()})
    return workers.render_all(config, env, list(work.render), site, hashes, scratch, progress)


def _write(
    config: Config, store: cache.BuildCache, writes: bookkeeping.Writes, result: BuildResult
) -> bool:
    """Write the site (see `output`); a failure is told in `result`, and site/ is unchanged."""
    try:
        result.files_written = output.write_site(
            config.output, writes.files, writes.copies, writes.keep, writes.target,
            bookkeeping.spare(store), writes.site_id, writes.moved, writes.spare_from_new,
        )
    except output.NotOurs as exc:
        result.diagnostics.append(error(
            config.output_dir, 0, 0, f"cannot write the site: {exc}",
            "move that folder away (or delete it) and build again, or set output_dir",
        ))
        return False
    except OSError as exc:
        result.diagnostics.append(workers.cannot_write(config, exc))
        return False
    return True
