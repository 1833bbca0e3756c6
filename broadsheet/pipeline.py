"""The build, stage by stage: sources -> articles -> model -> pages -> render -> write.

`build()` gathers everything before writing anything, and writes nothing when any stage
reported an error. It returns a result for the command line to print.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import jinja2

from . import (
    cache,
    feeds,
    images,
    model,
    output,
    pages,
    search,
    sitemap,
    templates,
    urls,
    workers,
)
from . import inputs as inputs_module
from .config import Config
from .diagnostics import Diagnostic, error, has_errors

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
        else:
            misses.append((path, source_name, data, key))
    for (_, source_name, _, key), result in zip(
        misses, workers.parse_all(misses, config, tags, strict, progress), strict=True
    ):
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
    """Every rule of the build plus the curator's, without writing; `paths` narrows the report
    to those files (the whole archive is still read, for cross-file rules)."""
    _, diagnostics = load_site(replace(config, drafts=True), strict=True)
    if paths:
        wanted = {p.resolve() for p in paths}
        diagnostics = [d for d in diagnostics if (config.root / d.path).resolve() in wanted]
    return diagnostics


class Session:
    """Keeps the build cache in memory across the builds of one process (the preview), so a
    rebuild neither reads nor writes it; `close()` writes it once at the end. While a session
    is open the cache on disk is removed: an old cache beside a newer site could be trusted
    wrongly, a missing one only means a cold build."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = cache.load(config)
        self.inputs = ""  # digest of the inputs of the session's last written build
        search.restore_analysis(cache.load_search(config))
        cache.discard(config)

    def close(self) -> None:
        """Save the cache, unless another build has written the site since ours."""
        manifest = cache.load_manifest(self.config)
        if manifest is not None and manifest.inputs == self.inputs:
            cache.save(self.config, self.store)
            cache.save_search(self.config, search.analysis())


def build(
    config: Config,
    clean: bool = False,
    progress: Progress | None = None,
    session: Session | None = None,
) -> BuildResult:
    """Build the site into `config.output`. Unless `clean`, the cache of the previous build
    lets unchanged articles skip parsing and unchanged pages skip rendering and writing."""
    result = BuildResult()
    clock = _Clock(result.timings)
    inputs = inputs_module.read_inputs(config)
    if not clean and (done := _unchanged(config, inputs.digest)):
        result.articles, result.pages, result.diagnostics = done
        if session is not None:
            session.inputs = inputs.digest
        clock.lap("load")
        return result
    if session is None:
        store = cache.BuildCache() if clean else cache.load(config)
    else:
        store = session.store = cache.BuildCache() if clean else session.store
    site, result.diagnostics = load_site(config, store=store, inputs=inputs, progress=progress)
    result.articles = len(site.articles)
    clock.lap("load")
    if not result.ok:
        return result

    planned = pages.plan(site)
    static_files = inputs_module.static_files(config.static)
    static_digests = {name: inputs.digest_of(path) for name, path in static_files.items()}
    hashes = {name: digest[:10] for name, digest in static_digests.items()}
    # An article's page shows its file and its photo (whose size and copies can change alone)
    keys = {name: entry.key + repr(entry.photo) for name, entry in store.articles.items()}
    digests = pages.Digests(lambda a: keys[a.source] + (_text_digest(a.html) if a.links else ""))
    base = _base_digest(config, static_digests)
    out = str(config.output) + os.sep
    output_exists = os.path.isdir(out)
    fingerprints = {page.path: pages.fingerprint(page, base, digests) for page in planned}
    keep = {
        page.path
        for page in planned
        if output_exists
        and store.pages.get(page.path) == fingerprints[page.path]
        and os.path.isfile(out + page.path)
    }
    to_render = [page for page in planned if page.path not in keep]
    env = templates.environment(jinja2.FileSystemLoader(config.templates))
    files, problems = workers.render_all(config, env, to_render, site, hashes, progress)
    result.diagnostics += problems
    result.pages, result.pages_rendered = len(planned), len(files)
    clock.lap("render")
    if not result.ok:
        return result

    search_digest = _text_digest("\0".join(digests.full(a) + a.path for a in site.articles))
    if (
        output_exists
        and store.search == search_digest
        and all(os.path.isfile(out + name) for name in store.search_files)
    ):
        keep.update(store.search_files)
    else:
        if not clean and session is None:
            search.restore_analysis(cache.load_search(config))
        search_files = search.build_files(site)
        if session is None:
            cache.save_search(config, search.analysis())
        files.update(search_files)
        store.search, store.search_files = search_digest, tuple(sorted(search_files))
    files.update(feeds.build_files(site))
    files.update(sitemap.build_files(site, planned))
    clock.lap("search")

    # site path -> (file to copy, its content digest)
    wanted = {urls.static(n): (path, static_digests[n]) for n, path in static_files.items()}
    image_cache = config.root / cache.CACHE_DIR / "images"
    for article in site.articles:
        for rel, (_, width, extension) in article.photo_files().items():
            source, digest = article.photo.file, inputs.digest_of(article.photo.file)
            if width:  # a resized copy's name holds its source's digest, width and format
                source = images.variant(source, width, extension, image_cache, digest)
                digest = source.name
            wanted[rel] = (source, digest)
        for rel, file in article.asset_files().items():
            wanted[rel] = (file, inputs.digest_of(file))
    copies, copy_digests = {}, {}
    for rel, (path, digest) in wanted.items():
        copy_digests[rel] = digest
        if output_exists and store.copies.get(rel) == digest and os.path.isfile(out + rel):
            keep.add(rel)
        else:
            copies[rel] = path
    written = {name: _bytes_digest(data) for name, data in files.items()}
    for name, digest in written.items():  # same bytes as last time: keep the file as it is
        if (
            store.written.get(name) == digest
            and name in store.outputs
            and os.path.isfile(out + name)
        ):
            keep.add(name)
            del files[name]
    if not files and not copies and keep == store.outputs:
        clock.lap("write")  # nothing changed: leave site/ exactly as it is
        if session is not None:
            session.inputs = inputs.digest
        cache.save_manifest(
            config,
            cache.Manifest(
                inputs.digest,
                store.outputs,
                result.articles,
                result.pages,
                tuple(result.diagnostics),
            ),
        )
        return result
    # digests of every file of the new build, and of the site it replaces (the next spare)
    target = {
        p: written.get(p) or copy_digests.get(p) or store.written.get(p)
        for p in keep | files.keys() | copies.keys()
    }
    previous = (
        {p: store.written.get(p) or store.copies.get(p) for p in store.outputs}
        if output_exists else {}
    )
    try:
        result.files_written = output.write_site(
            config.output, files, copies, frozenset(keep),
            target if all(target.values()) else None, store.spare,
        )
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
    store.spare = previous if all(previous.values()) else None
    store.pages, store.copies = fingerprints, copy_digests
    store.outputs = frozenset(keep) | files.keys() | copies.keys()
    store.written = {
        name: digest
        for name, digest in {**store.written, **written}.items()
        if name in store.outputs
    }
    if session is not None:
        session.store, session.inputs = store, inputs.digest
    else:
        cache.save(config, store)
    cache.save_manifest(
        config,
        cache.Manifest(
            inputs.digest, store.outputs, result.articles, result.pages, tuple(result.diagnostics)
        ),
    )
    clock.lap("write")
    return result


def _base_digest(config: Config, static_digests: dict[str, str]) -> str:
    """Everything every page depends on: code, config, templates and static assets."""
    digest = hashlib.sha256((cache.code_digest() + cache.config_digest(config)).encode())
    if config.templates.is_dir():
        for path in sorted(config.templates.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(config.templates).as_posix().encode())
                digest.update(path.read_bytes())
    digest.update(repr(sorted(static_digests.items())).encode())
    return digest.hexdigest()


def _bytes_digest(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _unchanged(config: Config, digest: str) -> tuple | None:
    """The previous build's figures if its inputs were exactly these and its output is still
    all there: then there is nothing to do."""
    manifest = cache.load_manifest(config)
    if manifest is None or manifest.inputs != digest:
        return None
    out = str(config.output) + os.sep
    if not all(os.path.isfile(out + name) for name in manifest.outputs):
        return None
    return manifest.articles, manifest.pages, list(manifest.diagnostics)

