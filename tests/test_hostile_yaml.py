"""Hostile YAML in front-matter, `broadsheet.yml` and `content/tags.yml`: deep nesting,
surrogate and control-character escapes, publication-state keys of other generators and
comments that cut a value short. Each gives a diagnostic with file, line and column, never a
traceback, and every feed and sitemap stays well-formed XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import build_repo, make_repo
from hypothesis import given, settings
from hypothesis import strategies as st

from broadsheet import config as config_module
from broadsheet.model import Article, Body, Site, TagRef
from broadsheet.read import vocabulary, yamldoc
from broadsheet.read.frontmatter import split, validate
from broadsheet.read.sources import Source
from broadsheet.render import feeds, sitemap
from broadsheet.render.pages import Page
from broadsheet.render.templates import isodate

# What XML 1.0 forbids (its Char production), and so what no feed or sitemap may hold.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def check(yaml_text: str):
    """Validate `yaml_text` as an article's front-matter: (meta, formatted diagnostics)."""
    source = Source(Path("/x/content/a.md"), "content/a.md", f"---\n{yaml_text}---\nBody.\n")
    part, problems = split(source)
    assert part is not None
    meta, problems = validate(source, part, ZoneInfo("UTC"))
    return meta, [d.format() for d in problems]


def article(front: str = "", body: str = "Body.\n", title: str = '"A title"') -> str:
    return f"---\ntitle: {title}\ndate: 2020-01-02\n{front}---\n{body}"


def messages(result) -> list[str]:
    return [d.format() for d in result.diagnostics]


def parses(path: Path) -> ET.Element:
    """The XML file's root, after checking it holds only characters XML allows."""
    text = path.read_text(encoding="utf-8")
    assert not NOT_XML.search(text), (path.name, NOT_XML.search(text))
    return ET.fromstring(path.read_bytes())


# 6. Nesting deeper than the limit is the same clear error whatever its shape, and PyYAML
# never recurses (a RecursionError used to escape from its composer).

DEEP = 5000


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("title: " + "[" * DEEP + "]" * DEEP + "\n", "content/a.md:2:28: error: nested deeper "
         "than 20 levels"),
        ("title: " + "[" * DEEP + "\n", "content/a.md:2:28: error: nested deeper than 20 levels"),
        ("title: " + "{a: " * DEEP + "}" * DEEP + "\n",
         "content/a.md:2:88: error: nested deeper than 20 levels"),
        ("- " * DEEP + "x\n", "content/a.md:2:43: error: nested deeper than 20 levels"),
        ("".join(" " * i + "a:\n" for i in range(600)),
         "content/a.md:23:22: error: nested deeper than 20 levels"),
        ("".join(" " * i + "- \n" for i in range(600)),
         "content/a.md:23:22: error: nested deeper than 20 levels"),
        ("? " + "[" * DEEP + "]" * DEEP + "\n: x\n",
         "content/a.md:2:3: error: keys must be plain words"),
        ("? " + "{a: " * DEEP + "}" * DEEP + "\n: x\n",
         "content/a.md:2:3: error: keys must be plain words"),
        ("title: x\ndate: 2020-01-02\ntags: [" + "[" * 19 + "a" + "]" * 20 + "\n",
         "content/a.md:4:27: error: nested deeper than 20 levels"),
    ],
    ids=["flow-seq", "unclosed", "flow-map", "block-seq", "block-map", "indented-seq",
         "key-seq", "key-map", "scalar-at-21"],
)
def test_deep_nesting_of_any_shape_is_one_clear_error(yaml_text, expected):
    _, problems = check(yaml_text)
    assert problems == [expected]


def test_nesting_up_to_the_limit_is_read():
    _, problems = check("title: x\ndate: 2020-01-02\nextra: " + "[" * 20 + "]" * 20 + "\n")
    assert problems == ["content/a.md:4:1: warning: unknown front-matter key 'extra' "
                        "(hint: known keys: title, date, updated, tags, author, source, "
                        "photo, summary, slug, draft)"]


def test_deep_nesting_in_config_and_tags_file_names_the_file(tmp_path):
    root = make_repo(tmp_path, files={
        "broadsheet.yml": "title: " + "[" * DEEP + "\n",
        "content/tags.yml": "printing: " + "{a: " * DEEP + "\n",
    })
    _, problems = config_module.load(root)
    assert [d.format() for d in problems] == [
        "broadsheet.yml:1:28: error: nested deeper than 20 levels"]
    _, problems = vocabulary.load(root / "content", "content/tags.yml")
    assert [d.format() for d in problems] == [
        "content/tags.yml:1:91: error: nested deeper than 20 levels"]


# 8. Surrogate escapes: a pair written as two escapes is its character; half a pair is an error
# at the escape.

def test_a_surrogate_pair_written_as_escapes_is_the_character():
    meta, problems = check('title: "Smile \\ud83d\\ude00"\ndate: 2020-01-02\n'
                           'tags: ["\\uD83D\\uDE00 faces"]\n')
    assert problems == []
    assert meta.title == "Smile \U0001f600"
    assert meta.tags == ("\U0001f600 faces",)


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ('title: "x\\ud800y"\n', "content/a.md:2:10: error: lone surrogate U+D800 is not allowed "
         "in YAML text (hint: write the character itself, or both halves of its pair, as in "
         "\\ud83d\\ude00)"),
        ('title: "\\ude00\\ud83d"\n', "content/a.md:2:9: error: lone surrogate U+DE00 is not "
         "allowed in YAML text (hint: write the character itself, or both halves of its pair, "
         "as in \\ud83d\\ude00)"),
        ('title: "ok \\ud83d\\ude00 then \\ud83d"\n', "content/a.md:2:30: error: lone surrogate "
         "U+D83D is not allowed in YAML text (hint: write the character itself, or both halves "
         "of its pair, as in \\ud83d\\ude00)"),
        ('title: x\n"\\udc00": x\n', "content/a.md:3:2: error: lone surrogate U+DC00 is not "
         "allowed in YAML text (hint: write the character itself, or both halves of its pair, "
         "as in \\ud83d\\ude00)"),
    ],
)
def test_a_lone_surrogate_is_an_error_at_its_escape(yaml_text, expected):
    meta, problems = check(yaml_text + "date: 2020-01-02\n")
    assert meta is None and problems == [expected]


# 9. Characters that XML 1.0 forbids are refused at the escape or the raw character.

@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ('title: "a\\fb"\n', "content/a.md:2:10: error: control character U+000C is not "
         "allowed in YAML text (hint: remove it; write \\n for a line break)"),
        ('title: "a\\x01b"\n', "content/a.md:2:10: error: control character U+0001 is not "
         "allowed in YAML text (hint: remove it; write \\n for a line break)"),
        ('title: "\\0"\n', "content/a.md:2:9: error: control character U+0000 is not "
         "allowed in YAML text (hint: remove it; write \\n for a line break)"),
        ('title: "a\\ufffeb"\n', "content/a.md:2:10: error: non-character U+FFFE is not "
         "allowed in YAML text (hint: remove it)"),
        ('title: x\ntags: [ok, "a\\eb"]\n', "content/a.md:3:14: error: control character "
         "U+001B is not allowed in YAML text (hint: remove it; write \\n for a line break)"),
        ('title: x\nphoto:\n  src: a.jpg\n  alt: "A\\\n  \\vB"\n',
         "content/a.md:6:3: error: control character U+000B is not allowed in YAML text "
         "(hint: remove it; write \\n for a line break)"),
        ("title: a\x01b\n", "content/a.md:2:9: error: control character U+0001 is not "
         "allowed in YAML text (hint: remove it; write \\n for a line break)"),
        ("title: x\nsummary: 'tab\tok, form\x0cfeed'\n", "content/a.md:3:23: error: control "
         "character U+000C is not allowed in YAML text (hint: remove it; write \\n for a line "
         "break)"),
        ("title: x\n# a comment with \x1b[31m colour\n", "content/a.md:3:18: error: control "
         "character U+001B is not allowed in YAML text (hint: remove it; write \\n for a line "
         "break)"),
    ],
)
def test_characters_xml_forbids_are_errors_with_line_and_column(yaml_text, expected):
    meta, problems = check(yaml_text + "date: 2020-01-02\n")
    assert meta is None and problems == [expected]


def test_an_escape_past_the_last_character_is_an_error_not_a_traceback():
    for escape in ("\\UFFFFFFFF", "\\U00110000"):
        _, problems = check(f'title: "{escape}"\ndate: 2020-01-02\n')
        assert problems == [f"content/a.md:2:9: error: escape {escape} is not a character "
                            "(hint: the last character is \\U0010FFFF)"]


def test_a_second_document_in_the_config_is_an_error(tmp_path):
    (tmp_path / "broadsheet.yml").write_text("title: x\n---\ntitle: y\n")
    _, problems = config_module.load(tmp_path)
    assert [d.format() for d in problems] == [
        "broadsheet.yml:2:1: error: invalid YAML: a second document starts here (hint: keep one "
        "document: a line '---' or '...' ends the first)"]


def test_tab_and_newline_escapes_are_kept():
    meta, problems = check('title: "a\\tb\\nc"\ndate: 2020-01-02\n')
    assert problems == [] and meta.title == "a\tb\nc"


def test_bad_characters_in_config_and_tags_file_name_the_file(tmp_path):
    root = make_repo(tmp_path, files={
        "broadsheet.yml": 'title: "Site\\x0c"\ndescription: "\\ud800"\n',
        "content/tags.yml": 'printing:\n  name: "Print\\x01"\n',
    })
    _, problems = config_module.load(root)
    assert [d.format() for d in problems] == [
        "broadsheet.yml:1:13: error: control character U+000C is not allowed in YAML text "
        "(hint: remove it; write \\n for a line break)"]
    _, problems = vocabulary.load(root / "content", "content/tags.yml")
    assert [d.format() for d in problems] == [
        "content/tags.yml:2:15: error: control character U+0001 is not allowed in YAML text "
        "(hint: remove it; write \\n for a line break)"]


def test_a_build_with_hostile_escapes_reports_each_and_never_raises(tmp_path):
    root = make_repo(tmp_path, files={
        "content/articles/2020/ok.md": article(title='"Smile \\ud83d\\ude00"',
                                               front='tags: ["faces \\ud83d\\ude00"]\n'),
        "content/articles/2020/lone.md": article(title='"x\\ud800y"'),
        "content/articles/2020/ff.md": article(title='"a\\fb"'),
        "content/articles/2020/tag.md": article(front='tags: ["a\\x01b"]\n'),
        "content/articles/2020/fffe.md": article(front='summary: "\\ufffe"\n'),
    })
    result = build_repo(root)
    assert sorted(messages(result)) == [
        "content/articles/2020/ff.md:2:10: error: control character U+000C is not allowed in "
        "YAML text (hint: remove it; write \\n for a line break)",
        "content/articles/2020/fffe.md:4:11: error: non-character U+FFFE is not allowed in YAML "
        "text (hint: remove it)",
        "content/articles/2020/lone.md:2:10: error: lone surrogate U+D800 is not allowed in "
        "YAML text (hint: write the character itself, or both halves of its pair, as in "
        "\\ud83d\\ude00)",
        "content/articles/2020/tag.md:4:10: error: control character U+0001 is not allowed in "
        "YAML text (hint: remove it; write \\n for a line break)",
    ]


def test_a_surrogate_pair_builds_into_pages_and_feeds(tmp_path):
    root = make_repo(tmp_path, files={
        "broadsheet.yml": "base_url: https://example.org/\n",
        "content/articles/2020/ok.md": article(title='"Smile \\ud83d\\ude00"',
                                               front='tags: ["faces \\ud83d\\ude00"]\n'),
    })
    result = build_repo(root)
    assert result.ok, messages(result)
    site = root / "site"
    assert "Smile \U0001f600" in (site / "2020/ok/index.html").read_text(encoding="utf-8")
    for path in [*site.rglob("*.xml")]:
        parses(path)
    titles = [e.text for e in parses(site / "feed.xml").iter("{http://www.w3.org/2005/Atom}title")]
    assert "Smile \U0001f600" in titles


def test_feeds_and_sitemap_parse_whatever_the_body_holds(tmp_path):
    body = "Form\x0cfeed, \x01start, \x1b[31mcolour, \ufffe and \x7f.\n\n<p>\x0b</p>\n"
    root = make_repo(tmp_path, files={
        "broadsheet.yml": "base_url: https://example.org/\n",
        "content/articles/2020/a.md": article(front="tags: [printing]\n", body=body),
    })
    result = build_repo(root)  # must not raise; the body may be refused or cleaned
    if result.ok:
        site = root / "site"
        assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*.xml")) == [
            "feed.xml", "sitemap.xml", "tags/printing/feed.xml"]
        for path in site.rglob("*.xml"):
            parses(path)


def hostile_article(text: str) -> Article:
    return Article(
        source="content/articles/2020/a.md", slug="a", title=f"T{text}",
        date=datetime(2020, 1, 2, tzinfo=UTC), has_time=False, updated=None,
        tags=(TagRef(f"tag{text}", "tag"),), authors=(f"A{text}",), origin=None, photo=None,
        summary=f"S{text}", dek="", body=Body(f"<p>B{text}</p>", f"B{text}"), words=1,
        reading_minutes=1, draft=False)


BAD_TEXT = "\x00\x01\x0b\x0c\x1b\ufffe\uffff\ud800\udfff"


def test_feeds_drop_characters_xml_forbids_from_every_field(tmp_path):
    config, _ = config_module.load(tmp_path, title=f"Site{BAD_TEXT}",
                                   description=f"D{BAD_TEXT}", base_url="https://example.org/")
    data = feeds.atom(config, "feed.xml", config.title, "index.html",
                      (hostile_article(BAD_TEXT),))
    path = tmp_path / "feed.xml"
    path.write_bytes(data)
    entry = parses(path).find("{http://www.w3.org/2005/Atom}entry")
    assert entry.find("{http://www.w3.org/2005/Atom}title").text == "T"
    assert entry.find("{http://www.w3.org/2005/Atom}category").get("label") == "tag"
    assert entry.find("{http://www.w3.org/2005/Atom}content").text == "<p>B</p>"


def test_the_sitemap_drops_characters_xml_forbids(tmp_path):
    config, _ = config_module.load(tmp_path, base_url="https://example.org/")
    site = Site(config=config, articles=(), tags=(), years=())
    files = sitemap.build_files(site, [Page(f"a{BAD_TEXT}/index.html", "article.html")])
    path = tmp_path / "sitemap.xml"
    path.write_bytes(files["sitemap.xml"])
    assert [e.text for e in parses(path).iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
            ] == ["https://example.org/a/"]


# 11. Publication-state keys of other generators mean draft, or are errors that say what to
# write instead.

@pytest.mark.parametrize(
    ("front", "draft"),
    [
        ("published: false\n", True),
        ("published: False\n", True),
        ("published: true\n", False),
        ("status: draft\n", True),
        ("status: hidden\n", True),
        ("status: private\n", True),
        ("status: Draft\n", True),
        ("status: published\n", False),
        ("status: publish\n", False),
        ("draft: true\npublished: false\n", True),
        ("draft: false\nstatus: published\n", False),
    ],
)
def test_publication_state_of_other_generators(front, draft):
    meta, problems = check(f"title: x\ndate: 2020-01-02\n{front}")
    assert problems == []
    assert meta.draft is draft


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("published: no\n", "content/a.md:4:12: error: published must be true or false, not "
         "'no'"),
        ("published: 2020-01-01\n", "content/a.md:4:12: error: published must be true or "
         "false, not '2020-01-01' (hint: write the publication date as date:)"),
        ("status: pending\n", "content/a.md:4:9: error: status must be draft, hidden, private, "
         "published or publish, not 'pending' (hint: write draft: true to leave the article "
         "out)"),
        ("status: [draft]\n", "content/a.md:4:9: error: 'status' must be text, not a list "
         "(hint: quote the value)"),
        ("publishDate: 2030-01-01\n", "content/a.md:4:1: error: 'publishDate' is not "
         "supported (hint: write the publication date as date:, and draft: true until then)"),
        ("publishdate: 2030-01-01\n", "content/a.md:4:1: error: 'publishdate' is not "
         "supported (hint: write the publication date as date:, and draft: true until then)"),
        ("expiryDate: 2030-01-01\n", "content/a.md:4:1: error: 'expiryDate' is not "
         "supported (hint: write draft: true to take the article down)"),
        ("expirydate: 2030-01-01\n", "content/a.md:4:1: error: 'expirydate' is not "
         "supported (hint: write draft: true to take the article down)"),
        ("eleventyExcludeFromCollections: true\n", "content/a.md:4:1: error: "
         "'eleventyExcludeFromCollections' is not supported (hint: write draft: true to leave "
         "the article out)"),
        ("headless: true\n", "content/a.md:4:1: error: 'headless' is not supported "
         "(hint: write draft: true to leave the article out)"),
        ("draft: false\npublished: false\n", "content/a.md:5:12: error: published: false "
         "contradicts draft: false (hint: keep only draft:)"),
        ("status: draft\ndraft: false\n", "content/a.md:5:8: error: draft: false contradicts "
         "status: draft (hint: keep only draft:)"),
        ("published: true\nstatus: hidden\n", "content/a.md:5:9: error: status: hidden "
         "contradicts published: true (hint: keep only draft:)"),
    ],
)
def test_publication_state_errors(front, expected):
    _, problems = check(f"title: x\ndate: 2020-01-02\n{front}")
    assert problems == [expected]


def test_unpublished_posts_are_left_out_of_the_site_and_its_feeds(tmp_path):
    root = make_repo(tmp_path, files={
        "content/articles/2020/jekyll.md": article(front="published: false\n"),
        "content/articles/2020/pelican.md": article(front="status: draft\n"),
        "content/articles/2020/shown.md": article(front="status: published\n"),
    })
    result = build_repo(root)
    assert result.ok and messages(result) == []
    site = root / "site"
    assert not (site / "2020/jekyll").exists() and not (site / "2020/pelican").exists()
    assert (site / "2020/shown/index.html").exists()
    assert len(parses(site / "feed.xml").findall("{http://www.w3.org/2005/Atom}entry")) == 1
    build_repo(root, drafts=True)
    assert (site / "2020/jekyll/index.html").exists()


# Medium: an unquoted ' #' starts a YAML comment that silently cuts a value short.

@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("title: C# #1 in the charts\n", ["content/a.md:2:11"]),
        ("title: x\nsummary: Up   # down\n", ["content/a.md:3:15"]),
        ("title: x\nauthor: Ada #2\n", ["content/a.md:3:13"]),
        ("title: x\nauthor:\n  - Ada #2\n", ["content/a.md:4:9"]),
        ("title: x\ntags: [a, b #c\n  ]\n", ["content/a.md:3:13"]),
        ("title: x\ntags:\n  - a #b\n  - c\n", ["content/a.md:4:7"]),
        ("title: x\nsource:\n  name: The #1 paper\n", ["content/a.md:4:13"]),
        ("title: x\nphoto:\n  src: a.jpg\n  alt: A #1\n  caption: B #2\n  credit: C #3\n",
         ["content/a.md:5:10", "content/a.md:6:14", "content/a.md:7:13"]),
    ],
)
def test_a_comment_after_an_unquoted_text_value_is_a_warning(front, expected):
    meta, problems = check(front + "date: 2020-01-02\n")
    assert meta is not None
    assert problems == [f"{where}: warning: the text after ' #' is a YAML comment and was left "
                        "out (hint: quote the value)" for where in expected]


@pytest.mark.parametrize(
    "front",
    [
        'title: "C# #1 in the charts"  # quoted, so a comment is meant\n',
        "title: 'C# #1'  # quoted\n",
        "title: C#1\n",
        "title: x\ntags: [a, b]  # a list\n",
        "title: x\nslug: x-y  # not prose\n",
        "title: x\nsummary: # nothing\n",
    ],
)
def test_comments_that_cut_nothing_are_quiet(front):
    meta, problems = check(front + "date: 2020-01-02  # or with a time\n")
    assert meta is not None and problems == []


# Medium: `<time datetime>` carries at most milliseconds.

@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2020, 1, 2, 8, 30, 0, 123456, tzinfo=UTC), "2020-01-02T08:30:00.123+00:00"),
        (datetime(2020, 1, 2, 8, 30, 0, 999999, tzinfo=UTC), "2020-01-02T08:30:00.999+00:00"),
        (datetime(2020, 1, 2, 8, 30, 0, 999, tzinfo=UTC), "2020-01-02T08:30:00+00:00"),
        (datetime(2020, 1, 2, 8, 30, 0, tzinfo=UTC), "2020-01-02T08:30:00+00:00"),
    ],
)
def test_isodate_keeps_at_most_milliseconds(value, expected):
    assert isodate(value, True) == expected
    assert isodate(value) == "2020-01-02"


def test_time_elements_of_a_microsecond_date_have_three_digits(tmp_path):
    root = make_repo(tmp_path, files={
        "content/articles/2020/a.md": "---\ntitle: x\ndate: 2020-01-02T08:30:00.123456+02:00\n"
                                      "---\nBody.\n"})
    assert build_repo(root).ok
    page = (root / "site/2020/a/index.html").read_text(encoding="utf-8")
    stamps = set(re.findall(r'datetime="([^"]*)"', page))
    assert stamps == {"2020-01-02T08:30:00.123+02:00"}


# No input makes the parser raise anything but its own error.

PIECES = ["[", "]", "{", "}", "- ", "? ", ": ", ", ", "\n", "\n  ", "\n    ", "a", "'", '"',
          "#", " #", "&a ", "*a", "!!str ", "!x ", "\\ud800", "\\udc00", "\\ud83d\\ude00",
          "\\x01", "\\f", "\\0", "\\ufffe", "\\uffff", "\\t", "\\n", "\\e", "\\", "\t", "\x0c",
          "\x01", "\x7f", "\x85", "\u2028", "\ufeff", "\ufffe", "---", "...", '"\\ud800"',
          '"\\x0c"', '"\\ude00\\ud83d"', "key: "]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=40),
       st.integers(0, 3000), st.sampled_from(["[", "{a: ", "- ", "? "]))
def test_random_hostile_yaml_only_raises_yaml_errors(pieces, depth, opener):
    text = opener * depth + "".join(pieces)
    try:
        doc = yamldoc.parse(text, 2)
    except yamldoc.YamlError as exc:
        assert exc.line >= 2 and exc.column >= 1 and exc.message
        return
    stack = [doc.data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            stack += value
        elif isinstance(value, str):
            assert not NOT_XML.search(value), repr(value)
            value.encode("utf-8")
        else:
            assert value is None


# Pieces of front-matter that parsers disagree on, if they ever do: quoting styles, escapes,
# comments, flow and block collections, tabs, BOMs, anchors, tags, unicode, broken syntax.
_YAML_PIECES = st.sampled_from([
    "title: ", '"', "'", "\\", "\\u00e9", "\\ud83d\\ude00", "\\ud800", "\\x41", " # note",
    "#", ":", ": ", "- ", "[", "]", "{", "}", ", ", "\n", "\n  ", "\t", "|\n  ", ">\n  ",
    "&a ", "*a", "!!str ", "!x ", "~", "null", "no", "2024-05-01", "“curly” — dash…", "😀",
    "Café", "tags", "photo", "  src: a.jpg", "---", "...", "\ufeff", "%YAML 1.1\n", "? ",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(_YAML_PIECES, max_size=24).map("".join))
def test_libyaml_and_pyyaml_give_the_same_document_or_the_same_error(text):
    """The fast path (libyaml's events) must be invisible: the same values and marks, or, when
    either parser refuses the text, PyYAML's own error."""
    def parse(fast: bool):
        original = yamldoc._fast_events
        if not fast:
            yamldoc._fast_events = lambda text: None
        try:
            return yamldoc.parse(text, 3)
        except yamldoc.YamlError as exc:
            return (exc.message, exc.line, exc.column, exc.hint)
        finally:
            yamldoc._fast_events = original

    assert parse(True) == parse(False)
