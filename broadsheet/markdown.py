"""Markdown to HTML, plain text and a first paragraph, with markdown-it-py.

CommonMark plus tables, strikethrough, footnotes, heading anchors and smart typography.
Raw HTML is off: an article's `<script>` is shown as text. markdown-it's link validation
refuses `javascript:`, `vbscript:`, `file:` and non-image `data:` URLs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .urls import slugify


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str  # the body as plain text, for search and reading time
    first_paragraph: str  # plain text
    words: int


@functools.cache
def parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"typographer": True, "html": False})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=2, max_level=3, slug_func=_anchor)
    return md


def _anchor(text: str) -> str:
    return slugify(text) or "section"


def render(body: str) -> Rendered:
    md = parser()
    env: dict = {}
    tokens = md.parse(body, env)
    html = md.renderer.render(tokens, md.options, env)
    text = plain_text(tokens)
    return Rendered(html, text, _first_paragraph(tokens), len(text.split()))


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
