"""Property-based tests: random hostile front-matter and Markdown never crash the build and
never put a script, an event handler or a script URL into a page."""

from __future__ import annotations

import shutil

from conftest import build_repo, make_repo
from hostile import scan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadsheet.read import yamldoc

TOKENS = [
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)",
    "JaVaScRiPt:", "&#106;avascript:", "vbscript:", "data:text/html,<script>", "onload=",
    "[link](", "![img](", ")", "](", "<", ">", '"', "'", "&", "&amp;", "{{ x }}", "{% raw %}",
    "\n", "\n\n", "- ", "> ", "| a | b |\n|---|---|\n", "[^1]", "[^1]: note\n", "`", "```\n",
    "<a href='javascript:x'>", "<svg/onload=alert(1)>", "<iframe>", "\u202e", "\x00", "\ufeff",
    "---", "...", "—", "“", "’", "$800 billion", "[was]", "\t", "\r\n", "%", "#", "##",
]
hostile = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)), max_size=25).map(
    "".join
)
KEYS = ["title", "date", "tags", "author", "summary", "slug", "draft", "updated", "source",
        "photo", "extra", "  src", "  alt", "  url", "  name", "  credit", "  caption"]


@st.composite
def front_matter(draw) -> str:
    lines = ['title: "Fixed title"', "date: 2020-01-02"]
    for _ in range(draw(st.integers(0, 8))):
        key = draw(st.sampled_from(KEYS))
        value = draw(hostile)
        style = draw(st.sampled_from(["plain", "quoted", "list"]))
        if style == "quoted":
            value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        elif style == "list":
            value = f"[{value}]"
        lines.append(f"{key}: {value}")
    return "\n".join(lines)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(front=front_matter(), body=hostile, title=hostile)
def test_random_articles_build_safely_or_fail_clearly(tmp_path_factory, front, body, title):
    root = tmp_path_factory.mktemp("prop")
    make_repo(root)
    quoted_title = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    (root / "content/articles").mkdir(parents=True)
    (root / "content/articles/a.md").write_text(
        f"---\n{front}\n---\n{body}\n", encoding="utf-8", errors="surrogatepass")
    (root / "content/articles/b.md").write_text(
        f"---\ntitle: {quoted_title}\ndate: 2021-01-01\ntags: [{quoted_title}]\n---\n{body}\n",
        encoding="utf-8", errors="surrogatepass")
    result = build_repo(root)  # must not raise
    for d in result.diagnostics:
        assert d.path.startswith("content/") and d.message
        assert d.format()
    if result.ok:
        assert scan(root / "site") == []
    shutil.rmtree(root)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_yaml_parser_only_raises_its_own_errors(text):
    try:
        doc = yamldoc.parse(text, 2)
    except yamldoc.YamlError as exc:
        assert exc.line >= 2 and exc.column >= 1 and exc.message
    else:
        assert doc.data is None or isinstance(doc.data, (str, list, dict))
