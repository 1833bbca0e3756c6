"""Scanning built pages for anything a hostile article could have smuggled in."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

OUR_SCRIPTS = re.compile(r"^(\.\./)*static/[\w/.-]+\.js(\?v=\w+)?$")
BAD_URL = re.compile(r"^(javascript|vbscript|data|file):", re.I)


class _Scanner(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        ours = OUR_SCRIPTS.match(values.get("src") or "")
        if tag == "script" and not ours and values.get("type") != "application/ld+json":
            self.problems.append(f"<script> {values}")
        if tag in ("iframe", "object", "embed", "style", "svg", "math"):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction", "srcset", "poster") and value:
                cleaned = re.sub(r"[\x00-\x20]", "", value)
                if BAD_URL.match(cleaned):
                    self.problems.append(f"<{tag} {name}={value!r}>")


def scan(folder: Path) -> list[str]:
    """Every script, event handler or script URL in the HTML pages under `folder`."""
    problems = []
    for page in sorted(folder.rglob("*.html")):
        scanner = _Scanner()
        scanner.feed(page.read_text(encoding="utf-8"))
        problems += [f"{page.relative_to(folder)}: {p}" for p in scanner.problems]
    return problems
