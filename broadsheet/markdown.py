"""Markdown to HTML, plain text and a first paragraph, with markdown-it-py.

CommonMark plus tables, strikethrough, footnotes, heading anchors and smart typography.
Articles come from strangers, so:
- raw HTML is shown as text, unless the site allows a few harmless tags (`allow_html` in
  broadsheet.yml), which are then let through by the nh3 sanitizer (ammonia), never by regexes;
- links and images may only use http, https, mailto or relative URLs; anything else
  (`javascript:`, `data:`, `vbscript:`, entity-encoded variants) is left as plain text and
  reported, as an error by `check`;
- the rendered HTML always passes through nh3 with an allow-list of what our Markdown makes,
  as a second line of defence.
"""

from __future__ import annotations

import contextvars
import functools
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .urls import slugify

LINK_MARK = "broadsheet-article:"  # stands in for a link to another article until resolved
SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)

# What our Markdown produces, and the attributes it uses; `allow_html` adds tags to this.
MARKDOWN_TAGS = frozenset(
    [
        "p",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "em",
        "strong",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "img",
        "sup",
        "section",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    ]
)
ATTRIBUTES = {
    "a": {"href", "id", "class", "title"},
    "img": {"src", "alt", "title", "loading", "decoding"},
    "h2": {"id"},
    "h3": {"id"},
    "li": {"id", "class"},
    "ol": {"class", "start"},
    "sup": {"class"},
    "section": {"class"},
    "hr": {"class"},
    "th": {"style"},
    "td": {"style"},
    "code": {"class"},
    "abbr": {"title"},
}

_refused: contextvars.ContextVar[list[str]] = contextvars.ContextVar("refused")


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str  # the body as plain text, for search and reading time
    first_paragraph: str  # plain text
    words: int
    links: tuple[tuple[str, int], ...]  # (repository path of a linked .md file, body line)
    refused: tuple[tuple[str, int], ...] = ()  # (URL not made into a link, body line)
    images: tuple[tuple[str, int], ...] = ()  # (relative image path as written, body line)


def validate_link(url: str) -> bool:
    """Only http, https, mailto and relative URLs become links or images."""
    match = _SCHEME.match(url.strip())
    ok = match is None or match.group(1).lower() in SAFE_SCHEMES
    if not ok and (refused := _refused.get(None)) is not None:
        refused.append(url)
    return ok


@functools.cache
def parser(allow_html: frozenset[str] = frozenset()) -> MarkdownIt:
    md = MarkdownIt(
        "commonmark", {"typographer": True, "html": bool(allow_html), "xhtmlOut": False}
    )
    md.validateLink = validate_link
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=2, max_level=3, slug_func=_anchor)
    md.core.ruler.push("article_links", _article_links)
    md.core.ruler.push("local_images", _local_images)
    return md


def _local_images(state) -> None:
    """Load body images lazily, and collect those given by a path relative to the article
    (`diagram.png`), which the build copies beside the article's page so the path works."""
    for block in state.tokens:
        for token in block.children or ():
            src = token.attrGet("src") if token.type == "image" else None
            if src:
                token.attrSet("loading", "lazy")
                token.attrSet("decoding", "async")
            if src and not re.match(r"^([a-z][a-z0-9+.-]*:|/|#)", src, re.I):
                line = block.map[0] + 1 if block.map else 0
                state.env.setdefault("images", []).append((unquote(src.partition("#")[0]), line))


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


def render(
    body: str, base: str | None = None, allow_html: frozenset[str] = frozenset()
) -> Rendered:
    """Render `body`; `base` is the repository folder of its file, for links to articles;
    `allow_html` names the raw HTML tags let through the sanitizer."""
    md = parser(allow_html)
    env: dict = {"base": base}
    refused: list[str] = []
    token = _refused.set(refused)
    try:
        tokens = md.parse(body, env)
    finally:
        _refused.reset(token)
    html = sanitize(md.renderer.render(tokens, md.options, env), allow_html)
    text = plain_text(tokens)
    links = tuple(env.get("links", ()))
    where = tuple((url, _line_of(body, url)) for url in dict.fromkeys(refused))
    images = tuple(env.get("images", ()))
    return Rendered(html, text, _first_paragraph(tokens), len(text.split()), links, where, images)


def sanitize(html: str, allow_html: frozenset[str] = frozenset()) -> str:
    return nh3.clean(
        html,
        tags=set(MARKDOWN_TAGS | allow_html),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes={*SAFE_SCHEMES, LINK_MARK.rstrip(":")},
        link_rel=None,
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


def _line_of(body: str, url: str) -> int:
    """The body line where a refused URL was written (best effort: it may have been encoded)."""
    probe = url.split(":", 1)[0].lower()
    for number, line in enumerate(body.split("\n"), 1):
        if probe and probe in line.lower():
            return number
    return 0


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
        if child.type in ("text", "code_inline"):  # raw tags are markup, not words
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
