"""Markdown to HTML, plain text and a first paragraph, with markdown-it-py.

CommonMark plus tables, strikethrough, footnotes, heading anchors and smart typography.
Articles come from strangers, so:
- raw HTML is shown as text, unless the site allows a few harmless tags (`allow_html` in
  broadsheet.yml), which are then let through by the nh3 sanitizer (ammonia), never by regexes
  (`rawhtml` only hands nh3 those tags, written plainly, and drops the others);
- characters XML forbids (form feed and other C0 controls, U+FFFE, U+FFFF) are removed and
  reported, so the feeds stay readable;
- no shape of input costs more than linear time: the anchors, smart-quotes and bracket rules
  below replace quadratic ones, and `sanitize` keeps html5ever off its slow paths;
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
from mdit_py_plugins.footnote import footnote_plugin

from ..model import LINK_MARK
from ..urls import slugify
from .rawhtml import tame_raw_html
from .smartquotes import smartquotes

SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)
# Characters XML 1.0 forbids (tab, newline and carriage return aside): one in the body would
# make the feeds unreadable. Lone surrogates cannot occur: the file was decoded from UTF-8.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CONTROL_REPORTED = 10  # positions of removed control characters kept for warnings
_LINE_LOOKUPS = 100  # distinct schemes of refused URLs looked up in the body; then line 0

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
    # the first CONTROL_REPORTED control characters removed: (character, body line, column)
    controls: tuple[tuple[str, int, int], ...] = ()
    controls_removed: int = 0  # how many there were in all


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
    md.core.ruler.at("smartquotes", smartquotes)
    md.use(footnote_plugin)
    md.inline.ruler.before("link", "hopeless_bracket", _hopeless_bracket)
    md.core.ruler.push("anchor", _anchors)
    if allow_html:
        md.core.ruler.push("raw_html", functools.partial(tame_raw_html, allow_html, ATTRIBUTES))
    md.core.ruler.push("article_links", _article_links)
    md.core.ruler.push("local_images", _local_images)
    return md


def _hopeless_bracket(state, silent: bool) -> bool:
    """Take a `[` or `!` with no `]` after it as text at once: it cannot start a link, an
    image or a footnote, which the rules after this one find out only by running every rule
    over what follows (a 1 MB run of `![` took 17 s)."""
    pos = state.pos
    if state.src[pos] not in "[!":
        return False
    last = getattr(state, "broadsheet_last_bracket", None)
    if last is None:
        last = state.broadsheet_last_bracket = state.src.rfind("]")
    if last > pos:
        return False
    if not silent:
        state.append_pending(state.src[pos])
    state.pos = pos + 1
    return True


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


def _anchors(state) -> None:
    """Give h2 and h3 headings unique ids: the slug of their text, then `-1`, `-2`, ... for
    repeats, as mdit_py_plugins' anchors plugin names them (and generated ids avoid explicit
    ones). The plugin tries every number again for each repeat (30,000 equal headings took
    minutes); one counter per slug resumes where the last search stopped, which finds the same
    id because taken ids stay taken."""
    tokens = state.tokens
    taken = {str(id_) for t in tokens if t.type == "heading_open" and (id_ := t.attrGet("id"))}
    resume: dict[str, int] = {}
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or token.tag not in ("h2", "h3") or token.attrGet("id"):
            continue
        children = tokens[i + 1].children or ()
        base = _anchor("".join(c.content for c in children if c.type in ("text", "code_inline")))
        number = resume.get(base, 0)
        slug = f"{base}-{number}" if number else base
        while slug in taken:
            number += 1
            slug = f"{base}-{number}"
        resume[base] = number + 1
        taken.add(slug)
        token.attrSet("id", slug)


def _anchor(text: str) -> str:
    return slugify(text) or "section"


def render(
    body: str, base: str | None = None, allow_html: frozenset[str] = frozenset()
) -> Rendered:
    """Render `body`; `base` is the repository folder of its file, for links to articles;
    `allow_html` names the raw HTML tags let through the sanitizer."""
    md = parser(allow_html)
    body, controls, removed = _drop_controls(body)
    env: dict = {"base": base}
    refused: list[str] = []
    token = _refused.set(refused)
    try:
        tokens = md.parse(body, env)
    finally:
        _refused.reset(token)
    # A numeric entity (`&#12;`) can still make a form feed: dropped from what is shown.
    html = _CONTROL.sub("", sanitize(md.renderer.render(tokens, md.options, env), allow_html))
    text = _CONTROL.sub("", plain_text(tokens))
    first = _CONTROL.sub("", _first_paragraph(tokens))
    links = tuple(env.get("links", ()))
    where = _lines_of(body, tuple(dict.fromkeys(refused)))
    images = tuple(env.get("images", ()))
    return Rendered(
        html, text, first, len(text.split()), links, where, images, controls, removed
    )


def _drop_controls(body: str) -> tuple[str, tuple[tuple[str, int, int], ...], int]:
    """`body` without the characters XML forbids, the body line and column of the first
    CONTROL_REPORTED of them, and their number."""
    found = []
    line, line_start, scanned, count = 1, 0, 0, 0
    for match in _CONTROL.finditer(body):
        count += 1
        if len(found) == CONTROL_REPORTED:
            continue
        at = match.start()
        newlines = body.count("\n", scanned, at)
        if newlines:
            line += newlines
            line_start = body.rfind("\n", scanned, at) + 1
        scanned = at
        found.append((match.group(), line, at - line_start + 1))
    return (_CONTROL.sub("", body) if count else body), tuple(found), count


_TEXT_RUN = re.compile("(?:^|(?<=>))[^<]+")
_AMPERSANDS = re.compile("(?:&[^&]*){64}")


def sanitize(html: str, allow_html: frozenset[str] = frozenset()) -> str:
    """`html` through nh3. html5ever copies a text node each time a character reference is
    added to it, so 1 MB of `&amp;` in one paragraph took 8 s: an empty comment before every
    64th `&` of a text run (stripped again, adjacent text comes out as one) keeps nodes short.
    Every `<` in our HTML starts a tag: text and attribute values arrive escaped."""
    if html.count("&") >= 64:
        html = _TEXT_RUN.sub(lambda run: _AMPERSANDS.sub(r"\g<0><!---->", run.group()), html)
    return nh3.clean(
        html,
        tags=set(MARKDOWN_TAGS | allow_html),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes={*SAFE_SCHEMES, LINK_MARK.rstrip(":")},
        link_rel=None,
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


def _lines_of(body: str, urls: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """Each refused URL with the first body line naming its scheme (best effort: it may
    have been encoded; 0 if not found). One search per distinct scheme, for the first
    _LINE_LOOKUPS of them, so a body full of refused links costs a bounded number of passes."""
    lowered = body.lower()  # lowering keeps every newline, so lines still count right
    lines: dict[str, int] = {}
    found = []
    for url in urls:
        probe = url.split(":", 1)[0].lower()
        if probe not in lines:
            at = lowered.find(probe) if probe and len(lines) < _LINE_LOOKUPS else -1
            lines[probe] = lowered.count("\n", 0, at) + 1 if at >= 0 else 0
        found.append((url, lines[probe]))
    return tuple(found)


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
