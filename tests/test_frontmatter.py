"""Front-matter parsing and validation: exact messages, lines and columns."""

from datetime import UTC as UTC_
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from broadsheet.read.frontmatter import parse_date, split, validate
from broadsheet.read.sources import Source

UTC = ZoneInfo("UTC")


def check(text: str):
    source = Source(Path("/x/content/a.md"), "content/a.md", text)
    part, problems = split(source)
    if part is None:
        return None, [d.format() for d in problems]
    meta, problems = validate(source, part, UTC)
    return meta, [d.format() for d in problems]


GOOD = """---
title: "A title"
date: 2020-01-02
tags: [printing, "New York"]
author: Ada Quill
source:
  name: The Review
  url: https://example.org/x
photo:
  src: a.jpg
  alt: A press
  caption: The press.
  credit: (AP Photo/Andreea Alexandru)
---
Body.
"""


def test_valid_front_matter():
    meta, problems = check(GOOD)
    assert problems == []
    assert meta.title == "A title"
    assert meta.date == datetime(2020, 1, 2, tzinfo=UTC) and not meta.has_time
    assert meta.tags == ("printing", "New York")
    assert meta.tag_marks == ((4, 8), (4, 18))
    assert meta.authors == ("Ada Quill",)
    assert meta.origin.url == "https://example.org/x"
    assert meta.photo.credit == "AP Photo/Andreea Alexandru"  # parentheses are the theme's
    assert (meta.photo.line, meta.photo.column) == (10, 8)


def test_yaml_11_surprises_keep_the_text_typed():
    meta, problems = check(
        "---\ntitle: 1984\ndate: 2020-01-02\ntags: [no, on, yes, 1984, off, 3.14]\n"
        "author: [Norway, no]\n---\n"
    )
    assert problems == []
    assert meta.title == "1984"
    assert meta.tags == ("no", "on", "yes", "1984", "off", "3.14")
    assert meta.authors == ("Norway", "no")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\ndate: 2020-01-02\n---\n", "content/a.md:2:1: error: missing required field 'title'"),
        ("---\ntitle: x\ndate: 2019-02-30\n---\n",
         "content/a.md:3:7: error: date '2019-02-30' is not a real date"),
        ("---\ntitle: x\ndate: March 3\n---\n",
         "content/a.md:3:7: error: date 'March 3' is not a date; "
         "write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+HH:MM"),
        ("---\ntitle: x\ndate: 2020-01-02T10:00:00\n---\n",
         "content/a.md:3:7: error: date '2020-01-02T10:00:00' has a time but no UTC offset; "
         "add one, e.g. +00:00"),
        ("---\ntitle: [a, b]\ndate: 2020-01-02\n---\n",
         "content/a.md:2:8: error: 'title' must be text, not a list (hint: quote the value)"),
        ("---\ntitle: x\ndate: 2020-01-02\ntags: printing, history\n---\n",
         "content/a.md:4:7: error: 'tags' must be a list (hint: write tags: [first, second])"),
        ("---\ntitle: x: y\ndate: 2020-01-02\n---\n",
         "content/a.md:2:9: error: invalid YAML: mapping values are not allowed here "
         "(hint: a value containing ': ' must be quoted)"),
        ("---\ntitle: x\ndate: 2020-01-02\nphoto:\n  src: ../../etc/passwd.jpg\n  alt: x\n---\n",
         "content/a.md:5:8: error: '../../etc/passwd.jpg' must not leave the article's folder "
         "('..')"),
        ("---\ntitle: x\ndate: 2020-01-02\nphoto:\n  src: a.jpg\n---\n",
         "content/a.md:5:3: error: missing required field 'photo.alt'"),
        ("---\ntitle: x\ndate: 2020-01-02\nslug: ../evil\n---\n",
         "content/a.md:4:7: error: slug '../evil' may hold only lowercase letters, digits and "
         "hyphens"),
        ("---\ntitle: x\ndate: 2020-01-02\ndraft: maybe\n---\n",
         "content/a.md:4:8: error: draft must be true or false, not 'maybe'"),
        ("---\ntitle: x\ndate: 2020-01-02\nsource:\n  url: ftp://x\n---\n",
         "content/a.md:5:8: error: source url 'ftp://x' must start with http:// or https://"),
        ("---\ntitle: &a x\ndate: *a\n---\n",
         "content/a.md:2:8: error: anchors and aliases are not allowed here"),
        ("---\ntitle: !!python/object:os.system x\ndate: 2020-01-02\n---\n",
         "content/a.md:2:8: error: YAML tag 'tag:yaml.org,2002:python/object:os.system' is not "
         "allowed here"),
        ("---\ntitle: " + "[" * 3000 + "\n---\n",
         "content/a.md:2:28: error: nested deeper than 20 levels"),
        ('---\ntitle: "x\\ud800y"\ndate: 2020-01-02\n---\n',
         "content/a.md:2:10: error: lone surrogate U+D800 is not allowed in YAML text (hint: "
         "write the character itself, or both halves of its pair, as in \\ud83d\\ude00)"),
        ('---\ntitle: "a\\fb"\ndate: 2020-01-02\n---\n',
         "content/a.md:2:10: error: control character U+000C is not allowed in YAML text (hint: "
         "remove it; write \\n for a line break)"),
        ("---\ntitle: x\x01\ndate: 2020-01-02\n---\n",
         "content/a.md:2:9: error: control character U+0001 is not allowed in YAML text (hint: "
         "remove it; write \\n for a line break)"),
        ("---\ntitle: x\ndate: 2020-01-02\nstatus: pending\n---\n",
         "content/a.md:4:9: error: status must be draft, hidden, private, published or publish, "
         "not 'pending' (hint: write draft: true to leave the article out)"),
        ("---\ntitle: x\ndate: 2020-01-02\npublishDate: 2030-01-01\n---\n",
         "content/a.md:4:1: error: 'publishDate' is not supported (hint: write the publication "
         "date as date:, and draft: true until then)"),
        ("---\ntitle: x\ndate: 2020-01-02\ndraft: false\npublished: false\n---\n",
         "content/a.md:5:12: error: published: false contradicts draft: false (hint: keep only "
         "draft:)"),
        ("no front matter\n",
         "content/a.md:1:1: error: missing front-matter (hint: start the file with a line '---', "
         "then title: and date:, then '---')"),
        ("---\ntitle: x\n", "content/a.md:1:1: error: front-matter is never closed "
         "(hint: add a line '---' after the last front-matter field)"),
    ],
)
def test_errors_name_line_and_column(text, expected):
    _, problems = check(text)
    assert expected in problems


def test_unknown_key_is_a_warning_with_a_suggestion():
    meta, problems = check("---\ntitle: x\ndate: 2020-01-02\ntgas: [a]\n---\n")
    assert problems == [
        "content/a.md:4:1: warning: unknown front-matter key 'tgas' (hint: did you mean 'tags'?)"
    ]
    assert meta is not None


@pytest.mark.parametrize(
    ("state", "draft"),
    [("draft: true", True), ("published: false", True), ("published: true", False),
     ("status: draft", True), ("status: hidden", True), ("status: publish", False)],
)
def test_publication_state_of_other_generators_is_kept(state, draft):
    meta, problems = check(f"---\ntitle: x\ndate: 2020-01-02\n{state}\n---\n")
    assert problems == [] and meta.draft is draft


def test_a_comment_cutting_an_unquoted_title_short_is_a_warning():
    meta, problems = check("---\ntitle: C# #1 in the charts\ndate: 2020-01-02  # a date\n---\n")
    assert problems == ["content/a.md:2:11: warning: the text after ' #' is a YAML comment and "
                        "was left out (hint: quote the value)"]
    assert meta.title == "C#"


def test_a_surrogate_pair_written_as_two_escapes_is_one_character():
    meta, problems = check('---\ntitle: "\\ud83d\\ude00"\ndate: 2020-01-02\n---\n')
    assert problems == [] and meta.title == "\U0001f600"


def test_all_errors_are_reported_together():
    _, problems = check("---\ndate: 2020-13-01\ntags: x\n---\n")
    assert len(problems) == 3


def test_parse_date_with_offset_keeps_the_offset():
    value, has_time = parse_date("2020-05-21T08:30:00+02:00", UTC)
    assert has_time and value.utcoffset().total_seconds() == 7200
    assert value.astimezone(UTC_).hour == 6


def test_crlf_and_bom_are_handled(tmp_path):
    from broadsheet.read.sources import read

    path = tmp_path / "a.md"
    path.write_bytes(b"\xef\xbb\xbf---\r\ntitle: x\r\ndate: 2020-01-02\r\n---\r\nBody\r\n")
    source, problems = read(path, tmp_path)
    assert problems == [] and source.text.startswith("---\ntitle: x\n")


def test_non_utf8_names_line_and_column(tmp_path):
    from broadsheet.read.sources import read

    path = tmp_path / "a.md"
    path.write_bytes(b"---\ntitle: caf\xe9\n")
    _, problems = read(path, tmp_path)
    assert [d.format() for d in problems] == [
        "a.md:2:11: error: not valid UTF-8 (byte 0xe9) (hint: save the file as UTF-8)"
    ]
