"""The build, stage by stage: sources -> articles -> model -> pages -> render -> write.

`build()` gathers everything before writing anything, and writes nothing when any stage
reported an error. It returns a result for the command line to print.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import stat
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import model, output, urls, workers
from .config import Config
from .diagnostics import Diagnostic, error, has_errors
from .incremental import cache
from .incremental import inputs as inputs_module
from .read import images, sources
from .render import feeds, pages, sitemap, templates
from .search import state as search

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
    tags, diagnostics = inputs.vocabulary, list(inputs.diagnostics)
    results: dict[str, tuple] = {}
    misses: list[tuple[Path, str, bytes, str]] = []
    for path, source_name, data, key in inputs.sources:
        entry = store.articles.get(source_name) if store else None
        if entry and entry.key == key and entry.photo == _photo_state(entry.result[0], inputs):
            results[source_name] = entry.result
            continue
        if data is None:  # known by its stat signature, but its result is not: read it now
            source_name, data, trouble = sources.read_bytes(path, config.root)
            diagnostics += trouble
        if data is not None:
            misses.append((path, source_name, data, key))
    parsed = workers.parse_all(misses, config, tags, strict, inputs.file_digests, progress)
    for (_, source_name, _, key), result in zip(misses, parsed, strict=True):
        results[source_name] = result
        if store is not None:
            store.articles[source_name] = cache.ArticleEntry(
                key, _photo_state(result[0], inputs), result
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
    site, problems = model.assemble(config, loaded, marks, descriptions, frozenset(results))
    return site, diagnostics + problems


def _photo_state(article: model.Article | None, inputs: inputs_module.Inputs) -> tuple | None:
    """What an article's result depended on outside its own file: its photo and body images
    (existence and content: a photo's content gives its size)."""
    if article is None:
        return None
    files = [article.photo.file] if article.photo else []
    files += [file for _, file in article.assets]
    return tuple((str(f), f.is_file() and inputs.digest_of(f)) for f in files) or None


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


class Session:
    """Keeps the build cache in memory across the builds of one process (the preview), so a
    rebuild does not read it again. Every build still commits what it learnt to the database,
    so nothing is lost if the preview is killed."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = cache.load(config)
        self.saved = self.store.snapshot()  # what the database holds

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
    with _collector_paused():
        try:
            return _build(config, clean, progress, session)
        except cache.Missing:  # another build replaced an article body this one had listed
            return _build(config, True, progress, session)


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
    config: Config, clean: bool, progress: Progress | None, session: Session | None
) -> BuildResult:
    result = BuildResult()
    clock = _Clock(result.timings)
    seen = {} if clean else session.store.seen if session else cache.load_seen(config)
    inputs = inputs_module.read_inputs(config, seen)
    if not clean and (done := _unchanged(config, inputs.digest, session)):
        result.articles, result.pages, result.diagnostics = done
        clock.lap("load")
        return result
    if clean:
        store, saved = cache.BuildCache(), cache.BuildCache()
    elif session is not None:
        store, saved = session.store, session.saved
    else:
        store = cache.load(config)
        saved = store.snapshot()
    _trust_only_this_site(store, config)
    site, result.diagnostics = load_site(config, store=store, inputs=inputs, progress=progress)
    result.articles = len(site.articles)
    clock.lap("load")
    if not result.ok:
        return result

    planned = pages.plan(site)
    static_files = inputs.static_files
    static_digests = {name: inputs.digest_of(path) for name, path in static_files.items()}
    hashes = {name: digest[:10] for name, digest in static_digests.items()}
    # An article's page shows its file and its photo (whose size and copies can change alone)
    keys = {name: entry.key + repr(entry.photo) for name, entry in store.articles.items()}
    digests = pages.Digests(lambda a: keys[a.source] + (_text_digest(a.html) if a.links else ""))
    base = _base_digest(config, inputs)
    out = str(config.output) + os.sep
    fingerprints = {page.path: pages.fingerprint(page, base, digests) for page in planned}
    keep = {
        page.path
        for page in planned
        if store.pages.get(page.path) == fingerprints[page.path] and _plain_file(out + page.path)
    }
    to_render = [page for page in planned if page.path not in keep]
    env = templates.environment(templates.loader(inputs.template_files))
    files, problems = workers.render_all(config, env, to_render, site, hashes, progress)
    result.diagnostics += problems
    result.pages, result.pages_rendered = len(planned), len(files)
    clock.lap("render")
    if not result.ok:
        return result

    # the last build's index, while its files are the ones in site/ (those unchanged are kept)
    known = bool(store.search_files) and all(_plain_file(out + n) for n in store.search_files)
    with cache.search_index(config) if known else contextlib.nullcontext() as previous:
        built = search.build(site, keys, previous)
    files.update(built.files)
    keep.update(name for name in built.names if name not in built.files)
    files.update(feeds.build_files(site))
    files.update(sitemap.build_files(site, planned))
    clock.lap("search")

    # site path -> (file to copy, its content digest)
    wanted = {urls.static(n): (path, static_digests[n]) for n, path in static_files.items()}
    image_cache = cache.folder(config)
    if image_cache is None or (image_cache / "images").is_symlink():
        result.diagnostics.append(error(
            cache.CACHE_DIR, 0, 0, "is not a plain folder (a link?); the build keeps its cache "
            "there", f"remove {cache.CACHE_DIR} and build again"))
        return result
    image_cache = image_cache / "images"
    for article in site.articles:
        photo = article.photo
        variants = [v for v in photo.variants() if v[0] not in wanted] if photo else []
        if photo and photo.extension and variants:  # one decode makes every copy
            names = {(w, e): images.cached_name(photo.digest, w, e) for _, w, e in variants}
            if all(store.copies.get(rel) == names[(w, e)] and _plain_file(out + rel)
                   for rel, w, e in variants):  # in site/ already: nothing to make
                wanted.update((rel, (None, names[(w, e)])) for rel, w, e in variants)
                continue
            try:
                made = images.make_variants(
                    photo.file, photo.digest, image_cache, images.widths(photo.width),
                    ("webp", photo.extension))
            except images.ImageProblem as exc:
                name = photo.file.relative_to(config.root).as_posix()
                result.diagnostics.append(error(article.source, 0, 0, f"photo {name} {exc}"))
                continue
        for rel, width, extension in variants:
            source = made[(width, extension)] if width else photo.file
            wanted[rel] = (source, source.name if width else photo.digest)
        for rel, file in article.asset_files().items():
            wanted[rel] = (file, inputs.digest_of(file))
    if not result.ok:
        return result
    copies, copy_digests = {}, {}
    for rel, (path, digest) in wanted.items():
        copy_digests[rel] = digest
        if store.copies.get(rel) == digest and (path is None or _plain_file(out + rel)):
            keep.add(rel)  # (no path: found in site/ above)
        else:
            copies[rel] = path
    written = {name: _bytes_digest(data) for name, data in files.items()}
    for name, digest in written.items():  # same bytes as last time: keep the file as it is
        if store.written.get(name) == digest and _plain_file(out + name):
            keep.add(name)
            del files[name]
    # digests of every file of the new build, and of the site it replaces (the next spare)
    outputs = frozenset(keep) | files.keys() | copies.keys()
    target = {
        p: written.get(p) or copy_digests.get(p) or store.written.get(p) or _file_digest(out + p)
        for p in outputs
    }
    site_id = _text_digest(repr(sorted(target.items())))[:32]
    previous = {p: store.written.get(p) or store.copies.get(p) for p in store.outputs}
    try:
        result.files_written = output.write_site(
            config.output, files, copies, frozenset(keep), target,
            store.spare if store.spare_id else None, site_id,
        )
    except output.NotOurs as exc:
        result.diagnostics.append(error(
            config.output_dir, 0, 0, f"cannot write the site: {exc}",
            "move that folder away (or delete it) and build again, or set output_dir",
        ))
        return result
    except OSError as exc:
        reason = exc.strerror or str(exc)
        result.diagnostics.append(
            error(
                config.output_dir,
                0,
                0,
                f"cannot write the site: {reason}",
                "check the folder's permissions and free space",
            )
        )
        return result
    # The site on disk is now the new build: record it (one transaction)
    if store.site_id != site_id:
        store.spare_id = store.site_id if store.site_id and all(previous.values()) else ""
        store.spare = previous if store.spare_id else None
    store.site_id = site_id
    store.pages, store.copies, store.outputs = fingerprints, copy_digests, outputs
    store.written = {
        name: digest
        for name, digest in {**store.written, **written}.items()
        if name in outputs and name not in copy_digests
    }
    store.search_files, store.search_built = built.names, built
    store.seen = inputs.seen
    store.manifest = cache.Manifest(
        inputs.digest, result.articles, result.pages, tuple(result.diagnostics)
    )
    cache.save(config, store, saved)
    store.search_built = None
    if session is not None:
        session.store, session.saved = store, store.snapshot()
    clock.lap("write")
    return result


def _trust_only_this_site(store: cache.BuildCache, config: Config) -> None:
    """What the cache says about the output folder and the spare holds only if they are the
    builds it recorded (a build killed after its swap leaves another build there)."""
    if not store.site_id or output.build_id(config.output) != store.site_id:
        store.forget_site()
    spare = config.output.parent / f".{config.output.name}.spare"
    if not store.spare_id or output.build_id(spare) != store.spare_id:
        store.forget_spare()


def _base_digest(config: Config, inputs: inputs_module.Inputs) -> str:
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


def _plain_file(path: str) -> bool:
    """A regular file, not a link: a link in site/ is never kept (it could point anywhere)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _file_digest(path: str) -> str:
    with open(path, "rb") as handle:
        return _bytes_digest(handle.read())


def _unchanged(config: Config, digest: str, session: Session | None) -> tuple | None:
    """The previous build's figures if its inputs were exactly these and its output is still
    all there: then there is nothing to do."""
    if session is not None:
        store = session.store
        found = store.site_id, store.manifest, store.outputs
    else:
        found = cache.load_manifest(config)
    if found is None or found[1] is None:
        return None
    site_id, manifest, outputs = found
    if manifest.inputs != digest or output.build_id(config.output) != site_id:
        return None
    out = str(config.output) + os.sep
    if not all(_plain_file(out + name) for name in outputs):
        return None
    return manifest.articles, manifest.pages, list(manifest.diagnostics)
