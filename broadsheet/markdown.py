"""Markdown to HTML, plain text and a first paragraph, with markdown-it-py.

CommonMark plus tables, strikethrough, footnotes, heading anchors and smart typography.
Raw HTML is off: an article's `<script>` is shown as text. markdown-it's link validation
refuses `javascript:`, `vbscript:`, `file:` and non-image `data:` URLs.
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .urls import slugify

LINK_MARK = "broadsheet-article:"  # stands in for a link to another article until resolved


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str  # the body as plain text, for search and reading time
    first_paragraph: str  # plain text
    words: int
    links: tuple[tuple[str, int], ...]  # (repository path of a linked .md file, body line)


@functools.cache
def parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"typographer": True, "html": False})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=2, max_level=3, slug_func=_anchor)
    md.core.ruler.push("article_links", _article_links)
    return md


def _article_links(state) -> None:
    """Mark links to other articles' Markdown files (`../2019/x.md#part`), which also work
    when the file is read on GitHub, so the model can point them at the article's page."""
    base = state.env.get("base")
    if base is None:
        return
    for block in state.tokens:
        for token in block.children or ():
            href = token.attrGet("href") if token.type == "link_open" else None
            if not href or re.match(r"^([a-z][a-z0-9+.-]*:|/|#)", href, re.I):
                continue
            target, _, fragment = href.partition("#")
            target = unquote(target)
            if not target.endswith(".md"):
                continue
            resolved = posixpath.normpath(posixpath.join(base, target))
            line = block.map[0] + 1 if block.map else 0
            state.env.setdefault("links", []).append((resolved, line))
            token.attrSet("href", LINK_MARK + resolved + (f"#{fragment}" if fragment else ""))


def _anchor(text: str) -> str:
    return slugify(text) or "section"


def render(body: str, base: str | None = None) -> Rendered:
    """Render `body`; `base` is the repository folder of its file, for links to articles."""
    md = parser()
    env: dict = {"base": base}
    tokens = md.parse(body, env)
    html = md.renderer.render(tokens, md.options, env)
    text = plain_text(tokens)
    links = tuple(env.get("links", ()))
    return Rendered(html, text, _first_paragraph(tokens), len(text.split()), links)


def plain_text(tokens: list[Token]) -> str:
    """The words a reader sees, blocks separated by newlines, footnote markers left out."""
    parts: list[str] = []
    for token in tokens:
        if token.type == "inline" and token.children:
            parts.append(_inline_text(token.children))
    return "\n".join(p for p in parts if p)


def _inline_text(children: list[Token]) -> str:
    out = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(_inline_text(child.children or []))
    return "".join(out).strip()


def _first_paragraph(tokens: list[Token]) -> str:
    for i, token in enumerate(tokens):
        if token.type == "paragraph_open" and token.level == 0:
            inline = tokens[i + 1]
            if inline.children and (text := _inline_text(inline.children)):
                return text
    return ""
