"""Render planned pages with Jinja2: strict undefined, autoescape, explicit context.

Templates get the page's own context plus `site` (only `site.config`: everything else a page
shows comes through its own context, which is what lets incremental builds know what a page
depends on), `page_path`, `url(target)` (a relative link
from this page to a model object or a site-relative path), `asset(name)` (a relative link to a
static file with a content hash for cache busting) and `routes` (the `urls` module).
"""

from __future__ import annotations

import dataclasses
import functools
from collections import abc
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import lazy, urls
from ..config import Config
from ..model import Site
from .pages import Page

jinja2 = lazy.module("jinja2")


def environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """Templates arrive by pull request like articles: the sandbox keeps them to the values
    they are given (no `__globals__`, no module internals, no mutation), so a template cannot
    run commands or read files."""
    env = _sandbox()(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["longdate"] = longdate
    env.filters["isodate"] = isodate
    env.filters["person"] = lambda name: {"@type": "Person", "name": name}
    env.filters["dropnone"] = lambda mapping: {k: v for k, v in mapping.items() if v is not None}
    return env


@functools.cache
def _sandbox() -> type:
    """Jinja's immutable sandbox, told at once that a field of a frozen record is safe to
    read: its own check (by attribute name and the object's kind) says so for every such
    field, but costs a microsecond a read, and a cold build reads two and a half million."""
    import jinja2.sandbox  # (see `jinja2` above)

    class Sandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
        def is_safe_attribute(self, obj: object, attr: str, value: object) -> bool:
            return attr in _record_fields(type(obj)) or super().is_safe_attribute(
                obj, attr, value)

    return Sandbox


@functools.cache
def _record_fields(kind: type) -> frozenset[str]:
    """The fields of a frozen dataclass that the sandbox would allow (none start with `_`);
    nothing for any other kind, a mutable collection above all."""
    if not dataclasses.is_dataclass(kind) or not kind.__dataclass_params__.frozen or issubclass(
            kind, (abc.MutableSequence, abc.MutableMapping, abc.MutableSet, list, dict, set)):
        return frozenset()
    return frozenset(f.name for f in dataclasses.fields(kind) if not f.name.startswith("_"))


def theme(files: dict[str, Path], digests: dict[str, str]) -> jinja2.Environment:
    """The environment of the theme's `files` (with each one's content digest, by name): the
    same one while none of them changed, so a preview's rebuild does not compile its
    templates again (0.12 s of a save)."""
    return _theme(tuple((name, path, digests[name]) for name, path in sorted(files.items())))


@functools.lru_cache(maxsize=1)
def _theme(files: tuple[tuple[str, Path, str], ...]) -> jinja2.Environment:
    return environment(loader({name: path for name, path, _ in files}))


def loader(files: dict[str, Path]) -> jinja2.BaseLoader:
    """Templates by name from `files` (the theme's files as `sources.walk` listed them: no
    links, no hidden files), so `{% include %}` reaches nothing else."""

    def load(name: str):
        path = files.get(name)
        if path is None:
            return None
        try:
            return path.read_bytes().decode("utf-8"), str(path), lambda: True
        except (OSError, UnicodeDecodeError) as exc:
            raise jinja2.TemplateError(f"cannot read {name}: {exc}") from None

    return jinja2.FunctionLoader(load)


def longdate(value: datetime) -> str:
    """`14 March 2019`: unambiguous for readers everywhere."""
    return f"{value.day} {value:%B %Y}"


def isodate(value: datetime, has_time: bool = False) -> str:
    """The machine-readable date for `<time datetime>`, as precise as the writer was, but to
    the millisecond at most: HTML's valid date strings allow three fractional digits. Cut, not
    rounded, so a date never moves to the next second (or day)."""
    if not has_time:
        return value.date().isoformat()
    return value.isoformat(timespec="milliseconds" if value.microsecond >= 1000 else "seconds")


def render(env: jinja2.Environment, page: Page, site: Site, asset_hashes: dict[str, str]) -> str:
    def url(target: object) -> str:
        path = target if isinstance(target, str) else target.path
        return urls.relative(page.path, path)

    def srcset(sources) -> str:
        return ", ".join(f"{url(path)} {width}w" for path, width in sources)

    def asset(name: str) -> str:
        link = urls.relative(page.path, urls.static(name))
        digest = asset_hashes.get(name)
        return f"{link}?v={digest}" if digest else link

    return env.get_template(page.template).render(
        **page.context,
        site=SiteView(site.config),
        page_path=page.path,
        url=url,
        asset=asset,
        srcset=srcset,
        routes=urls,
    )


@dataclass(frozen=True)
class SiteView:
    """What every template may read of the site."""

    config: Config
