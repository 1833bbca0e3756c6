"""The Python port of lunr.js 2.3.9 against the vendored lunr.js itself, run in node.

The index is built in Python and searched by lunr.js in the browser: a term that comes out of
the two pipelines differently is a word that silently finds nothing. Without `node` these tests
skip, except under CI (`CI=true`), where they fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from broadsheet import config as config_module
from broadsheet.pipeline import load_site
from broadsheet.search import files as search
from broadsheet.search import index as search_index
from broadsheet.search import lunr as lunr_text
from broadsheet.search.index import FIELDS, Analyser, Doc

REPO = Path(__file__).resolve().parent.parent
VENDOR = REPO / "static" / "vendor" / "lunr"
LUNR_FILES = ("lunr.js", "lunr.min.js")


def node() -> str:
    found = shutil.which("node")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but `node` is not installed; it checks the lunr.js port")
        pytest.skip("`node` not installed: cannot compare with lunr.js (apt-get install nodejs)")
    return found


def run_node(script: str, payload: object, lunr_file: str = "lunr.min.js") -> object:
    result = subprocess.run(
        [node(), "-e", script, str(VENDOR / lunr_file)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


PIPELINE_JS = """
const lunr = require(process.argv[1]);
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const p = new lunr.Pipeline();
p.add(lunr.trimmer, lunr.stopWordFilter, lunr.stemmer);
process.stdout.write(JSON.stringify(input.map(s => p.run(lunr.tokenizer(s)).map(String))));
"""

BASES = str.split(
    """able abode absolute accept act agree allow analyse apply archive arrive art attorney
author bake battery bear become begin believe bind book boy bury buy cap care carry catalogue
cease certain city civil class clear colour compute condition confer connect control cook copy
cry dance day decide defer deny describe differ digit dine dry educate electric employ engine
enjoy fail fall feed fill fit fix fly follow friday general generous glass grant happy hear
hop hope hope identify ill install journey judge key lady library light linotype lithograph
make map marry measure mercy money motor nation nature obey observatory occur office operate
pay photograph plate play pluviometer point pony possible print probe quarrel radio rain rely
relate remember river run satisfy say science sensible sky skate stop study supply survey
sympathy tie toy transport try type valley vary view vision volley weary write yell yes yield
"""
)
SUFFIXES = str.split(
    """ - s es ed ing er ers ly ness ful fulness ation ational ations ize izer ization ism
ist ists ity ities ive iveness ible able ably ance ence ement ment ent ous ously al ally alism
alize ical icate iciti ies ied ying y"""
)
ODDITIES = [
    "money", "day", "Friday", "attorney", "2,485,", "(1888)", "café", "naïve", "Zoë",
    "“quoted”", "don't", "don’t", "well-known", "e-mail", "—", "--", "...", "U.S.A.",
    "$800", "50%", "#hashtag", "@name", "a/b", "x_y", "İstanbul", "ΟΔΟΣ", "straße", "ﬁne",
    "😀s", "ba😀", "y", "yy", "yes", "Yelling", "constructor", "__proto__", "hasOwnProperty",
    "toString", "valueOf", "a\u00a0b", "a\u2009b", "a\u200bb", "a\ufeffb", "a\x1cb", "tab\tsep",
    "line\u2028sep", "*", "a*b", "~1", "^2", "title:x", "+must", "-not",
]  # fmt: skip


def word_list() -> list[str]:
    words = [b + ("" if s == "-" else s) for b in BASES for s in SUFFIXES]
    words += [w.capitalize() for w in words[::7]] + [f"({w})," for w in words[::11]]
    return words + ODDITIES


def sample_lines() -> list[str]:
    lines = []
    for path in sorted((REPO / "content" / "articles").rglob("*.md")):
        lines += path.read_text(encoding="utf-8").splitlines()
    return lines


def indexed_texts() -> list[str]:
    """The fields as the build indexes them (Markdown rendered, typographic quotes and dashes)."""
    config, problems = config_module.load(REPO)
    assert not problems
    site, _ = load_site(config)
    return [text for a in site.articles for text in search.document(a).fields]


def test_pipeline_matches_lunr_js_on_the_sample_archive_and_a_word_list():
    lines = sample_lines()
    words = word_list()
    assert len(lines) > 100 and len(words) > 5000  # the check must cover something
    inputs = lines + indexed_texts() + words + [" ".join(words)]
    expected = run_node(PIPELINE_JS, inputs)
    pipeline = lunr_text.Pipeline()
    mismatches = [
        (text[:60], got, want)
        for text, want in zip(inputs, expected, strict=True)
        if (got := pipeline.terms(text)) != want
    ]
    assert not mismatches, mismatches[:20]


def test_lunr_py_would_have_failed_this_check():
    """The reason for the port: lunr.py's stemmer keeps `monei`, lunr.js keeps `money`."""
    assert lunr_text.stem("money") == "money"
    assert lunr_text.stem("day") == "day"
    assert lunr_text.Pipeline().terms("2,485, spent") == ["2,485", "spent"]


INDEX_JS = """
const lunr = require(process.argv[1]);
const {fields, docs} = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const idx = lunr(function () {
  this.ref('id');
  for (const [name, boost] of fields) this.field(name, {boost});
  docs.forEach((d, i) => {
    const doc = {id: String(i)};
    fields.forEach(([name], f) => { doc[name] = d[f]; });
    this.add(doc);
  });
});
process.stdout.write(JSON.stringify(idx.toJSON()));
"""


def test_postings_and_term_order_equal_lunr_js_builder():
    lines = [line for line in sample_lines() if line.strip()]
    docs = [
        Doc(
            (
                lines[i],
                "printing history" if i % 3 else "maps",
                "Ada Quill" if i % 2 else "",
                " ".join(lines[i + 1 : i + 3]),
                " ".join(lines[i : i + 25]),
            )
        )
        for i in range(0, min(len(lines) - 25, 40 * 7), 7)
    ]
    assert len(docs) >= 20
    index = search_index.build(Analyser().analyse_all(docs))
    want = run_node(INDEX_JS, {"fields": FIELDS, "docs": [d.fields for d in docs]})

    assert [t for t, _ in want["invertedIndex"]] == sorted(index.terms)  # ASCII here
    names = [name for name, _ in FIELDS]
    keys = {}
    for i, term in enumerate(index.terms):
        lists = [index.docs[index.start[g]:index.start[g + 1]].tolist()
                 for g in range(i * len(FIELDS), (i + 1) * len(FIELDS))]
        first_doc = min(docs[0] for docs in lists if docs)
        first_field = next(f for f, docs in enumerate(lists) if docs and docs[0] == first_doc)
        keys[term] = (first_doc, first_field, int(index.first[i]))
        posting = dict(want["invertedIndex"])[term]
        for f, name in enumerate(names):
            assert sorted(map(int, posting[name])) == lists[f], term
    # the page numbers terms by (first document, first field, position): lunr's own numbers
    by_lunr = sorted(index.terms, key=lambda t: dict(want["invertedIndex"])[t]["_index"])
    assert sorted(index.terms, key=keys.__getitem__) == by_lunr


def test_vendored_lunr_is_the_pinned_unmodified_release():
    notes = (VENDOR / "VENDOR.md").read_text(encoding="utf-8")
    assert (VENDOR / "LICENSE").read_text(encoding="utf-8").startswith("Copyright (C) 2013")
    for name in LUNR_FILES:
        data = (VENDOR / name).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        assert f"`{name}`" in notes and digest in notes, f"{name} changed: sha256 {digest}"
        versions = set(re.findall(rb'version\s*=\s*"([0-9.]+)"', data))
        assert versions == {lunr_text.LUNR_VERSION.encode()}, (name, versions)


def test_sort_order_follows_javascript():
    # UTF-16 order puts an astral character before U+FFFD; code-point order would not
    terms = ["\ufffd", "\U0001f600", "a"]
    assert sorted(terms, key=search_index.js_sort_key) == ["a", "\U0001f600", "\ufffd"]
