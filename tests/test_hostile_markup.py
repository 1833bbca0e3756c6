"""Hostile Markdown bodies: inputs that made the build quadratic or exponential (equal
headings, runs of quotes, many tags, many links) and control characters that made the feeds
unreadable. Each runs in linear time with the output of normal text unchanged.

The time guards are coarse on purpose: each size takes under a second now and took from 20 s
to many minutes before; shapes that were only slow by a constant factor are compared with
dense ordinary markup instead. `python bench/hostile_markup.py` times every shape at 1 MB."""

from __future__ import annotations

import gc
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from conftest import build_repo, make_repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from broadsheet import model
from broadsheet.model import Article, Body, TagRef
from broadsheet.read import markdown
from broadsheet.read.markdown import render

BOUND = 20  # seconds; the fixed code takes well under one for every size below


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    elapsed = time.perf_counter() - start
    assert elapsed < BOUND, f"took {elapsed:.1f} s"
    return result


def seconds(function, *args) -> float:
    gc.collect()
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def assert_linear(function, make, n: int) -> None:
    """Four times the input may cost about four times as much, not sixteen."""
    small = min(seconds(function, make(n)) for _ in range(2))
    large = seconds(function, make(4 * n))
    assert large < 8 * small + 0.05, f"{n}: {small:.3f} s, {4 * n}: {large:.3f} s"


DENSE = "*a _b **c __d ***e " * 3_000  # ordinary markup at its densest, 57,000 characters


def assert_no_dearer_than_dense_markup(body: str) -> None:
    """Some shapes were linear but with a constant factor of seconds per 100 KB."""
    assert len(body) == len(DENSE)
    cost, dense = seconds(render, body), min(seconds(render, DENSE) for _ in range(2))
    assert cost < 2 * dense, f"{cost:.3f} s against {dense:.3f} s for dense markup"


def reference_parser() -> MarkdownIt:
    """Our parser as it was: markdown-it-py's own smartquotes rule and mdit_py_plugins'
    anchors plugin, whose output on normal text ours must keep."""
    md = MarkdownIt("commonmark", {"typographer": True, "html": False, "xhtmlOut": False})
    md.validateLink = markdown.validate_link
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=2, max_level=3, slug_func=markdown._anchor)
    md.core.ruler.push("article_links", markdown._article_links)
    md.core.ruler.push("local_images", markdown._local_images)
    return md


REFERENCE = reference_parser()


def article(body: str, front: str = "") -> str:
    return f"---\ntitle: A\ndate: 2020-01-02\n{front}---\n{body}"


def messages(result) -> list[str]:
    return [d.format() for d in result.diagnostics]


# Heading anchors: one counter per slug instead of retrying every number per repeat.


def test_25000_equal_headings_are_numbered_in_linear_time():
    html = timed(render, "## same\n\n" * 25_000).html
    assert html.startswith('<h2 id="same">same</h2>\n<h2 id="same-1">same</h2>\n')
    assert html.endswith('<h2 id="same-24999">same</h2>\n')


def test_repeated_and_numbered_headings_get_the_plugins_ids():
    html = render("## same\n## same-1\n## same\n### Same\n# same\n## a-1\n## a\n## a\n").html
    ids = [part.split('"')[0] for part in html.split('id="')[1:]]
    assert ids == ["same", "same-1", "same-2", "same-3", "a-1", "a", "a-2"]


HEADING_WORDS = ["same", "same-1", "same 1", "Same", "a-1-1", "a", "1", "`a`", "*b*", "", "é"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["#", "##", "###", "####"]),
                          st.lists(st.sampled_from(HEADING_WORDS), max_size=3)), max_size=12))
def test_heading_ids_match_the_anchors_plugin(headings):
    body = "".join(f"{level} {' '.join(words)}\n" for level, words in headings)
    assert markdown.parser().render(body) == REFERENCE.render(body)


# Smart quotes: markdown-it-py's rule, made linear, with the same output.


def test_a_run_of_quote_pairs_renders_in_linear_time():
    html = timed(render, "'\"" * 200_000).html
    assert len(html) > 400_000


def test_many_openers_then_many_closers_render_in_linear_time():
    """Each closing `"` used to walk back over every `'` opener waiting on the stack."""
    body = "'a " * 50_000 + "a\" " * 50_000
    assert timed(render, body).html == f"<p>{body.strip()}</p>\n"  # none of them pair up


def test_quotes_in_normal_text_are_unchanged():
    body = ("He said \"it's 'here'\" -- and left... 'Twas the 1990s: a 6'2\" man, \"1\"\" mark.\n"
            "*\"emphasis\"* and \"[a link](https://example.org/)\" and `\"code\"` \"end\n"
            "\"start of a line\" (\"parens\") 'single' rock 'n' roll \"nested 'quotes'\"\n")
    assert markdown.parser().render(body) == REFERENCE.render(body)


QUOTE_TEXT = ["'", '"', "a", "b", " ", "1", "-", ".", "(", ")", "*", "_", "`", "\n", "\n\n", "é",
              "\u201c", "[", "](u)", "> ", "- ", "  \n", "\\", "**", "<", ">", "&quot;"]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(QUOTE_TEXT), max_size=40))
def test_smart_quotes_match_markdown_it(pieces):
    body = "".join(pieces)
    assert markdown.parser().render(body) == REFERENCE.render(body)


# Related reading: a bit-sliced counter of shared tags instead of every subset of tags.

BASE = Article(
    source="content/articles/a.md", slug="a", title="A", date=datetime(2020, 1, 1, tzinfo=UTC),
    has_time=False, updated=None, tags=(), authors=(), origin=None, photo=None, summary="",
    dek="", body=Body("", ""), words=0, reading_minutes=1, draft=False)


def articles_with(tag_sets: list[list[str]]) -> tuple[Article, ...]:
    """Articles newest first, article i with the tags named in tag_sets[i]."""
    return tuple(
        replace(BASE, source=f"content/articles/a{i}.md", slug=f"a{i}",
                date=BASE.date - timedelta(days=i), tags=tuple(TagRef(t, t) for t in tags))
        for i, tags in enumerate(tag_sets))


def reference_related(articles: tuple[Article, ...], limit: int) -> dict[str, tuple]:
    """Most shared tags first, then newest first, only articles sharing a tag."""
    related = {}
    for i, a in enumerate(articles):
        mine = {t.slug for t in a.tags}
        shared = [(len(mine & {t.slug for t in b.tags}), j) for j, b in enumerate(articles)]
        best = sorted((-n, j) for n, j in shared if n and j != i)[:limit]
        related[a.path] = tuple(articles[j] for _, j in best)
    return related


def test_an_article_with_27_tags_finds_related_reading_quickly():
    tags = [f"t{i}" for i in range(27)]
    articles = articles_with([tags, tags[:3], tags[10:12], ["other"], tags])
    related = timed(model.related_articles, articles)
    assert related[articles[0].path] == (articles[4], articles[1], articles[2])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=6), max_size=25),
       st.integers(1, 7))
def test_related_reading_matches_a_plain_count(tag_sets, limit):
    articles = articles_with(tag_sets)
    assert model.related_articles(articles, limit) == reference_related(articles, limit)


# Links: one pass over the HTML and over the body, whatever the number of links.


def test_many_links_to_another_article_resolve_in_linear_time():
    target = "content/articles/b.md"
    other = replace(BASE, source=target, slug="b")
    link = f'<a href="{markdown.LINK_MARK}{target}">b</a> '
    mine = replace(BASE, body=Body(link * 50_000, ""), links=((target, 1),) * 50_000)
    (resolved, _), problems = timed(model._resolve_links, [mine, other], frozenset())
    assert problems == []
    assert resolved.html == '<a href="../b/index.html">b</a> ' * 50_000


def test_links_with_fragments_and_escaped_file_names_point_at_the_pages(tmp_path):
    root = make_repo(tmp_path, files={
        "content/articles/2020/a.md": article(
            "[b](b%26c.md#part) [again](b%26c.md) [bb](bb.md)\n"),
        "content/articles/2020/b&c.md": article("B.\n"),
        "content/articles/2020/bb.md": article("BB.\n"),
    })
    result = build_repo(root)
    assert result.ok, messages(result)
    page = (root / "site/2020/a/index.html").read_text(encoding="utf-8")
    assert ('<a href="../b-c/index.html#part">b</a> <a href="../b-c/index.html">again</a> '
            '<a href="../bb/index.html">bb</a>') in page
    assert markdown.LINK_MARK not in page


def test_many_refused_links_are_located_in_linear_time():
    """Each refused URL was looked for line by line through the whole body: here its scheme is
    written as an entity, so it is never found (line 0) and every search went to the end."""
    body = "".join(f"[a](&#120;{i}:y)\n" for i in range(6_000)) + "\n```\n" + "x\n" * 120_000
    refused = timed(render, body + "```\n").refused
    assert refused[:2] == (("x0:y", 0), ("x1:y", 0)) and len(refused) == 6_000
    lines = render("".join(f"[a](x{i}:y)\n" for i in range(200))).refused
    assert lines[:3] == (("x0:y", 1), ("x1:y", 2), ("x2:y", 3)) and lines[150] == ("x150:y", 0)


def test_a_refused_link_names_the_first_line_with_its_scheme(tmp_path):
    root = make_repo(tmp_path, files={"content/articles/a.md": article(
        "Fine.\n\nA [bad](JavaScript:alert(1)) link\nand [another](javascript:x).\n")})
    assert messages(build_repo(root)) == [
        "content/articles/a.md:7: warning: link to 'JavaScript:alert(1)' is not allowed and was "
        "left as text (hint: links may use http, https, mailto or a relative path)",
        "content/articles/a.md:7: warning: link to 'javascript:x' is not allowed and was left as "
        "text (hint: links may use http, https, mailto or a relative path)",
    ]


# Control characters in the body: removed, with a warning at their file line and column.


def test_control_characters_in_the_body_are_removed_with_their_place(tmp_path):
    root = make_repo(tmp_path, files={
        "broadsheet.yml": "base_url: https://example.org/\n",
        "content/articles/2020/a.md": article(
            "Form\x0cfeed.\n\n  x \x01 y\ufffe and &#12; *a\x1b*\n", front="tags: [t]\n"),
    })
    result = build_repo(root)
    assert messages(result) == [
        "content/articles/2020/a.md:6:5: warning: control character U+000C removed",
        "content/articles/2020/a.md:8:5: warning: control character U+0001 removed",
        "content/articles/2020/a.md:8:8: warning: control character U+FFFE removed",
        "content/articles/2020/a.md:8:22: warning: control character U+001B removed",
    ]
    site = root / "site"
    page = (site / "2020/a/index.html").read_text(encoding="utf-8")
    assert "<p>Formfeed.</p>\n<p>x  y and  <em>a</em></p>" in page
    for feed in ("feed.xml", "tags/t/feed.xml", "sitemap.xml"):
        ET.fromstring((site / feed).read_bytes())


def test_a_body_full_of_control_characters_gives_a_few_warnings():
    body = "a\x0c" * 200_000
    out = timed(render, body)
    assert out.html == f"<p>{'a' * 200_000}</p>\n"
    assert out.controls == tuple(("\x0c", 1, 2 * n) for n in range(1, 11))
    assert out.controls_removed == 200_000


def test_the_warnings_stop_after_ten_with_a_count(tmp_path):
    root = make_repo(tmp_path, files={"content/articles/a.md": article("\x01\n" * 12)})
    assert messages(build_repo(root))[-2:] == [
        "content/articles/a.md:14:1: warning: control character U+0001 removed",
        "content/articles/a.md: warning: 2 more control characters removed",
    ]


@pytest.mark.parametrize("body", ["\x0b", "a\x0c", "\x7f\x85 kept: XML allows them"])
def test_control_characters_never_reach_the_html(body):
    html = render(body + "\n").html
    assert not any(c in html for c in "\x0b\x0c")
    if "kept" in body:
        assert "\x7f\x85" in html


# Raw HTML (with `allow_html`): only the allowed tags reach the sanitizer, written plainly.

ALLOWED = frozenset({"sup", "b", "abbr"})


def test_deeply_nested_raw_block_tags_render_in_linear_time():
    """Each unclosed `<div>` made html5ever search the whole stack of open elements."""
    assert timed(render, "<div>" * 80_000 + "\n", None, ALLOWED).html == "\n"


def test_formatting_tags_with_distinct_attributes_render_in_linear_time():
    """html5ever keeps every `<b>` whose attributes differ in its list of formatting tags."""
    body = "".join(f"<b a={i}>x" for i in range(40_000))
    html = timed(render, body, None, ALLOWED).html
    assert html.startswith("<p><b>x<b>x<b>x") and 'a="' not in html


def test_only_the_allowed_raw_tags_reach_the_page():
    body = ('<abbr TITLE="United &amp; Nations" title=x onclick=y>UN</abbr> <sup class=z>1</sup>'
            ' <img src="https://tracker.example/p.gif"> <a href="https://example.org/">a</a>'
            " <!-- hidden --> a < b <script>gone()</script> <B>bold</B><br/>\n\n"
            "<div>\nblock <b>kept</b>\n</div>\n")
    assert render(body, None, ALLOWED | {"br"}).html == (
        '<p><abbr title="United &amp; Nations">UN</abbr> <sup class="z">1</sup>  a  a &lt; b'
        "  <b>bold</b><br></p>\n\nblock <b>kept</b>\n\n")


def test_deep_raw_declarations_comments_and_instructions_render_in_linear_time():
    """An HTML block of `<!A ` (or `<?`, `<![CDATA[`, `<!--`) with no end: each construct's
    pattern ran to the end of the block looking for its `>`."""
    for body in ("<!A " * 50_000, "<?x " * 50_000, "<![CDATA[\n" + "<![CDATA[ " * 20_000,
                 "<!--\n" + "<!-- " * 40_000):
        html = timed(render, body, None, ALLOWED).html
        assert "&lt;" in html and "<!" not in html and "<?" not in html


# Shapes that were linear, but with a large constant, or quadratic inside nh3.


@pytest.mark.parametrize("unit", ["![", "[", "[a"])
def test_brackets_that_cannot_close_cost_no_more_than_ordinary_markup(unit):
    """A `[` with no `]` after it made every rule run again over the rest of the paragraph."""
    assert_no_dearer_than_dense_markup(unit * (len(DENSE) // len(unit)))


def test_brackets_that_close_still_make_links():
    body = "[[a](u) ![b](i.png) [^1] [c] ![ [ ! [d](v)\n\n[^1]: n\n\n[c]: w\n"
    assert markdown.parser().render(body) == REFERENCE.render(body)


BRACKET_TEXT = ["[", "]", "!", "^", "(u)", "a", " ", "\n", "*", "`", "<", ">", "\\", "[^1]",
                "\n\n[^1]: n\n", "\n\n[a]: w\n", "<https://x.org>"]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(BRACKET_TEXT), max_size=30))
def test_links_images_and_footnotes_match_markdown_it(pieces):
    body = "".join(pieces)
    assert markdown.parser().render(body) == REFERENCE.render(body)


def test_many_ampersands_in_one_paragraph_sanitize_in_linear_time():
    """html5ever copied the text node for each character reference added to it."""
    assert_linear(markdown.sanitize, lambda n: "<p>" + "&amp;" * n + "</p>", 100_000)
    assert render("&" * 1000 + "\n").html == f"<p>{'&amp;' * 1000}</p>\n"


def test_punctuation_runs_inside_words_are_indexed_in_linear_time(tmp_path):
    """lunr's trimmer as a regex (`\\W+$`) retried at every character of the run."""
    from broadsheet.search.lunr import Pipeline

    token = "a" + "/" * 200_000 + "a"
    terms = timed(Pipeline().terms, token)
    assert terms == [token]
