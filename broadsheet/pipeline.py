"""The build, stage by stage: sources -> articles -> model -> pages -> render -> write.

`build()` gathers everything before writing anything, and writes nothing when any stage
reported an error. It returns a result for the command line to print.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import jinja2

from . import articles, model, output, pages, search, sources, templates, urls, vocabulary
from .config import Config
from .diagnostics import Diagnostic, error, has_errors


@dataclass
class BuildResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    articles: int = 0
    pages: int = 0
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


def load_site(config: Config, strict: bool = False) -> tuple[model.Site, list[Diagnostic]]:
    """Read and validate every article and assemble the model (no output). `strict` adds the
    curator's rules of `check`."""
    name = articles.vocabulary_name(config)
    tags, diagnostics = vocabulary.load(config.content, name)
    loaded, marks, found = [], {}, set()
    for path in sources.find_articles(config.content):
        source, problems = sources.read(path, config.root)
        diagnostics += problems
        if source is None:
            continue
        found.add(source.name)
        article, tag_marks, problems = articles.load(source, config, tags, strict)
        diagnostics += problems
        if article is not None and (config.drafts or not article.draft):
            loaded.append(article)
            marks.update(tag_marks)
    descriptions = {slug: info.description for slug, info in tags.tags.items()}
    site, problems = model.assemble(config, loaded, marks, descriptions, frozenset(found))
    return site, diagnostics + problems


def check(config: Config, paths: list[Path] | None = None) -> list[Diagnostic]:
    """Every rule of the build plus the curator's, without writing; `paths` narrows the report
    to those files (the whole archive is still read, for cross-file rules)."""
    _, diagnostics = load_site(replace(config, drafts=True), strict=True)
    if paths:
        wanted = {p.resolve() for p in paths}
        diagnostics = [d for d in diagnostics if (config.root / d.path).resolve() in wanted]
    return diagnostics


def build(config: Config) -> BuildResult:
    result = BuildResult()
    clock = _Clock(result.timings)
    site, result.diagnostics = load_site(config)
    result.articles = len(site.articles)
    clock.lap("load")
    if not result.ok:
        return result

    planned = pages.plan(site)
    static_files = _static_files(config.static)
    hashes = {name: _digest(path) for name, path in static_files.items()}
    env = templates.environment(jinja2.FileSystemLoader(config.templates))
    files: dict[str, bytes] = {}
    for page in planned:
        try:
            files[page.path] = templates.render(env, page, site, hashes).encode("utf-8")
        except jinja2.TemplateError as exc:
            problem = _template_error(config, page, exc)
            if problem not in result.diagnostics:
                result.diagnostics.append(problem)
    result.pages = len(planned)
    clock.lap("render")
    if not result.ok:
        return result
    files.update(search.build_files(site))
    clock.lap("search")

    copies = {urls.static(name): path for name, path in static_files.items()}
    for article in site.articles:
        if article.photo:
            copies[article.photo_path] = article.photo.file
    try:
        result.files_written = output.write_site(config.output, files, copies)
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
    clock.lap("write")
    return result


def _static_files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    root = folder.resolve()
    return {
        p.relative_to(folder).as_posix(): p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".") and p.resolve().is_relative_to(root)
    }


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


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
    return error(name, line, 0, f"while rendering {page.path}: {exc.message or exc}")
