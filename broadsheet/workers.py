"""The parse, render and search-analysis stages, run in forked worker processes when there is
enough to do.

Parsing Markdown, rendering pages and analysing documents for search are pure functions of
their inputs, so they can run on every core; results come back in order, so the output is byte
for byte that of a serial run.
Workers inherit their inputs through `fork` (the module global `_WORK`), which avoids pickling
the site model for every batch.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import gc
import hashlib
import itertools
import multiprocessing
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import budget, lazy
from .config import Config
from .diagnostics import Diagnostic, error
from .read import articles, sources
from .render import pages, templates, views

jinja2 = lazy.module("jinja2")

Progress = Callable[[str, int, int], None]  # stage, done, total: for a display on a terminal
_PR_SET_PDEATHSIG = 1
HEAVY_ARTICLE_BYTES = 64 * 1024  # larger articles are parsed one at a time (see `budget`)
PARALLEL_FROM = 200  # below this many articles or pages, forking workers costs more than it saves


def _parse_one(path: Path, name: str, data: bytes, config, tags, strict, digests) -> tuple:
    source, problems = sources.decode(path, name, data)
    if source is None:
        return None, {}, problems
    with budget.HEAVY if len(data) > HEAVY_ARTICLE_BYTES else contextlib.nullcontext():
        return articles.load(source, config, tags, strict, digests)


_WORK: tuple = ()  # what forked workers inherit: (config, vocabulary, strict) or render state


def _parse_batch(batch: range) -> list[tuple]:
    jobs, config, tags, strict, digests = _WORK
    return [_parse_one(*jobs[n], config, tags, strict, digests) for n in batch]


def parse_all(
    misses: list, config: Config, tags, strict: bool, digests: dict[str, str],
    progress: Progress | None = None,
) -> list[tuple]:
    """Parse articles; `digests` holds the content hash of files already read (photos)."""
    jobs = [(path, name, data) for path, name, data, _ in misses]
    if len(jobs) < PARALLEL_FROM or not _can_fork():
        return [_parse_one(*job, config, tags, strict, digests) for job in jobs]
    global _WORK
    _WORK = (jobs, config, tags, strict, digests)
    try:
        return _in_workers(_parse_batch, len(jobs), progress, "parsing articles")
    finally:
        _WORK = ()


def map_numbers(function: Callable[[int], object], count: int, progress: Progress | None = None,
                label: str = "") -> list:
    """`function(n)` for each n below `count`, in order: in forked workers when there are
    many (the function, a closure too, reaches them by `fork`, never by pickle)."""
    if count < PARALLEL_FROM or not _can_fork():
        return [function(n) for n in range(count)]
    global _WORK
    _WORK = (function,)
    try:
        return _in_workers(_numbers_batch, count, progress, label)
    finally:
        _WORK = ()


def _numbers_batch(batch: range) -> list:
    (function,) = _WORK
    return [function(n) for n in batch]


def _in_workers(function, jobs: int, progress: Progress | None = None, label: str = "") -> list:
    """Run `function` over batches of job numbers (`range`s below `jobs`) in forked worker
    processes, results in order. Only the numbers are sent: a worker has the jobs themselves
    from its parent's memory (`_WORK`), where pickling them (a page holds its articles) once
    took 400 MB at 10,000 articles."""
    workers = min(os.cpu_count() or 1, 8)
    size = max(16, jobs // (workers * 8))
    batches = [range(i, min(i + size, jobs)) for i in range(0, jobs, size)]
    context = multiprocessing.get_context("fork")
    gc.freeze()  # a worker's collector would otherwise visit, and so copy, the parent's objects
    try:
        with concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=context, initializer=_die_with_parent, initargs=(os.getpid(),)
        ) as pool:
            results: list = []
            for batch in pool.map(function, batches):
                results += batch
                if progress:
                    progress(label, len(results), jobs)
            return results
    finally:
        gc.unfreeze()


def _die_with_parent(parent: int) -> None:
    """A worker must not outlive a build that was killed (`kill -9` runs no clean-up): ask
    Linux to kill it when its parent dies, and stop now if that already happened."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the pool's shutdown must do
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
    gc.enable()  # the parent pauses its collector for the build (see `pipeline`)


def _can_fork() -> bool:
    return (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()


@dataclass(frozen=True)
class Rendered:
    """A page rendered into the build's scratch folder (see `output.scratch`): it waits
    there, not in memory, until the site is written."""

    file: Path
    digest: str  # of its bytes, to tell whether the page in site/ is already this one


def _render_one(env, page: pages.Page, site, hashes, config, file: Path) -> Rendered | Diagnostic:
    try:
        data = templates.render(env, page, site, hashes).encode("utf-8")
    except jinja2.TemplateError as exc:
        return _template_error(config, page, exc)
    try:
        return _put(file, data)
    except OSError as exc:
        return cannot_write(config, exc)


def _put(file: Path, data: bytes) -> Rendered:
    file.write_bytes(data)
    return Rendered(file, hashlib.sha1(data, usedforsecurity=False).hexdigest())


def spill_to(scratch: Path) -> Callable[[str, bytes], Rendered | None]:
    """Puts generated files into the scratch folder as they are made, like rendered pages
    (a cold search index's 10,000 store files are 100 MB); None where one cannot be written
    (then it stays in memory)."""
    count = itertools.count()

    def spill(name: str, data: bytes) -> Rendered | None:
        try:
            return _put(scratch / f"generated-{next(count)}", data)
        except OSError:
            return None
    return spill


def _render_batch(batch: range) -> list[Rendered | Diagnostic]:
    planned, env, site, hashes, config, scratch = _WORK
    return [_render_one(env, planned[n], site, hashes, config, scratch / str(n)) for n in batch]


def render_all(
    config, env, planned, site, hashes, scratch: Path, progress: Progress | None = None
) -> tuple[dict[str, Rendered], list[Diagnostic]]:
    """Render `planned` pages into files of `scratch`, by site path."""
    global _WORK
    if len(planned) < PARALLEL_FROM or not _can_fork():
        rendered = [_render_one(env, page, site, hashes, config, scratch / str(n))
                    for n, page in enumerate(planned)]
    else:
        _WORK = (planned, env, site, hashes, config, scratch)
        try:
            rendered = _in_workers(_render_batch, len(planned), progress, "rendering pages")
        finally:
            _WORK = ()
    files, problems = {}, []
    for page, value in zip(planned, rendered, strict=True):
        if isinstance(value, Diagnostic):
            if value not in problems:
                problems.append(value)
        else:
            files[page.path] = value
    return files, problems


def cannot_write(config: Config, exc: OSError) -> Diagnostic:
    return error(config.output_dir, 0, 0, f"cannot write the site: {exc.strerror or exc}",
                 "check the folder's permissions and free space")


def _template_error(config: Config, page: pages.Page, exc: jinja2.TemplateError) -> Diagnostic:
    if isinstance(exc, jinja2.TemplateNotFound):
        return error(f"{config.templates_dir}/{exc.name}", 0, 0, "template not found")
    name, line = getattr(exc, "filename", None), getattr(exc, "lineno", 0) or 0
    if not name:  # runtime errors: Jinja maps traceback frames to template lines
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.startswith(str(config.templates)):
                name, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
            tb = tb.tb_next
    try:
        name = Path(name or "").resolve().relative_to(config.root).as_posix()
    except ValueError:
        name = f"{config.templates_dir}/{page.template}"
    message = exc.message or str(exc)
    hint = ""
    if isinstance(exc, jinja2.UndefinedError) and (shown := views.shown(message)):
        hint = (f"a listing shows this of it: {', '.join(shown)} (see "
                "broadsheet/render/views.py); an article's own page has all of the article")
    return error(name, line, 0, f"while rendering {page.path}: {message}", hint)
