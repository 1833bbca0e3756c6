"""Raw HTML in an article (sites with `allow_html`), made plain before the sanitizer sees it.

nh3 (ammonia on html5ever) stays the sanitizer; this core rule only decides what reaches it:
the allowed tags, each written plainly (`<b>`, `</b>`, `<abbr title="...">`, keeping only the
attributes the sanitizer would keep), `<script>` and `<style>` so that nh3 still removes them
with what they hold, and nothing else: other tags, comments and declarations are dropped (as
nh3 drops them) and any other `<` becomes text. html5ever is quadratic on two shapes that
can no longer reach it: deep nests of unclosed block tags (`<div>` x N, each checking the
stack for an open `<p>`) and formatting tags whose attributes all differ (`<b a=1><b a=2>`,
each kept in its list of active formatting elements).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set

from markdown_it.common.html_re import HTML_TAG_RE, attr_name, attr_value

_TAG_NAME = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")
_ATTRIBUTE = re.compile(rf"\s+({attr_name})(?:\s*=\s*({attr_value}))?")
_CONTENT_DROPPED = frozenset({"script", "style"})  # nh3 removes these with what they hold


def tame_raw_html(allow: Set[str], attributes: Mapping[str, Set[str]], state) -> None:
    """The core rule: rewrites every `html_block` and `html_inline` token in place."""
    for token in state.tokens:
        if token.type == "html_block":
            token.content = tame(token.content, allow, attributes)
        for child in token.children or ():
            if child.type == "html_inline":
                child.content = tame(child.content, allow, attributes)


def tame(raw: str, allow: Set[str], attributes: Mapping[str, Set[str]]) -> str:
    out, pos, last = [], 0, {}
    while (at := raw.find("<", pos)) >= 0:
        out.append(raw[pos:at])
        end = _terminator(raw, at)  # with none further on, the pattern would scan to the end
        if end not in last:
            last[end] = raw.rfind(end)
        match = HTML_TAG_RE.match(raw, at) if last[end] > at else None
        out.append(_plain_tag(match.group(), allow, attributes) if match else "&lt;")
        pos = match.end() if match else at + 1
    out.append(raw[pos:])
    return "".join(out)


def _terminator(raw: str, at: int) -> str:
    """What the HTML construct starting at `at` must end with."""
    if raw.startswith("<?", at):
        return "?>"
    if raw.startswith("<![CDATA[", at):
        return "]]>"
    if raw.startswith("<!--", at) and not raw.startswith(("<!-->", "<!--->"), at):
        return "-->"
    return ">"


def _plain_tag(construct: str, allow: Set[str], attributes: Mapping[str, Set[str]]) -> str:
    name = _TAG_NAME.match(construct)
    if name is None:
        return ""  # a comment, declaration, processing instruction or CDATA section
    tag = name.group(2).lower()
    if tag not in allow:
        return f"<{name.group(1)}{tag}>" if tag in _CONTENT_DROPPED else ""
    if name.group(1):
        return f"</{tag}>"
    kept, pos = {}, name.end()
    while attribute := _ATTRIBUTE.match(construct, pos):
        key, value = attribute.group(1).lower(), attribute.group(2) or ""
        if key in attributes.get(tag, ()) and key not in kept:  # html5ever keeps the first
            value = value[1:-1] if value[:1] in ("'", '"') else value
            kept[key] = value.replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
        pos = attribute.end()
    return f"<{tag}" + "".join(f' {k}="{v}"' for k, v in kept.items()) + ">"
