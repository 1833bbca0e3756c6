"""The search files a build writes: layout, determinism, chunk coverage, cache reuse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, build_repo, make_repo

from broadsheet import search, search_index
from broadsheet.search_index import Analyser, Doc

CALL = re.compile(r'^__broadsheetSearch\("([^"]+)",(.*)\);\n$', re.S)


def data(files: dict[str, bytes], name: str) -> object:
    match = CALL.match(files[name].decode("ascii"))
    assert match, files[name][:80]
    assert f"search/{match[1]}.js" == name  # each file names itself for the callback
    return json.loads(match[2])


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = make_repo(tmp_path_factory.mktemp("site"), FIXTURES / "site")
    assert build_repo(root).ok
    return root / "site"


def test_manifest_names_the_vendored_lunr_version(built):
    manifest = data({"search/manifest.js": (built / "search/manifest.js").read_bytes()},
                    "search/manifest.js")  # fmt: skip
    vendored = (REPO / "static/vendor/lunr/lunr.min.js").read_text(encoding="utf-8")
    assert re.findall(r'version="([0-9.]+)"', vendored) == [manifest["version"]]
    assert manifest["fields"] == ["title", "tags", "author", "summary", "body"]


def test_store_entries_link_from_the_site_root(built):
    entries = sorted((built / "search/doc").glob("*.js"))
    assert len(entries) == 3  # the draft is not published, nor searchable
    for path in entries:
        name = f"search/doc/{path.stem}.js"
        entry = data({name: path.read_bytes()}, name)
        assert (built / entry["u"]).is_file() and entry["u"].endswith("index.html")
        assert all((built / tag_path).is_file() for _, tag_path in entry["g"])
        assert entry["i"] == "" or (built / entry["i"]).is_file()
        assert entry["x"] and entry["t"]


def docs(n: int = 30) -> list[Doc]:
    words = [f"w{i}x" for i in range(400)] + ["café", "\U0001f600s", "money", "days"]
    return [
        Doc((f"title {i}", "maps", "ada", words[i], " ".join(words[(i * 37) % 400 :][:120])))
        for i in range(n)
    ]


def test_every_term_is_in_exactly_one_chunk_in_order():
    index = search_index.build(Analyser().analyse_all(docs()))
    chunks = search_index.chunks(index, target=800)
    assert len(chunks) > 10
    firsts = [first for first, _ in chunks]
    assert firsts == sorted(firsts, key=search_index.js_sort_key) and len(set(firsts)) == len(
        firsts
    )
    seen = []
    for first, text in chunks:
        entries = json.loads(text)
        assert entries[0][0] == first
        seen += [e[0] for e in entries]
        for term, number, *fields in entries:
            assert number == index.term_index[term]
            for f, flat in enumerate(fields):
                postings = index.postings(term)[f]
                if not flat:
                    assert postings is None
                    continue
                docs_, refs = 0, []
                for delta in flat[::2]:
                    docs_ += delta
                    refs.append(docs_)
                assert refs == list(postings[::2]) and flat[1::2] == list(postings[1::2])
    assert seen == list(index.terms)


def test_same_documents_same_bytes_and_an_edit_reanalyses_one(monkeypatch):
    first = search.search_files(docs(), [{} for _ in range(30)])
    calls = []
    original = Analyser.analyse
    monkeypatch.setattr(Analyser, "analyse", lambda self, d: calls.append(d) or original(self, d))
    assert search.search_files(docs(), [{} for _ in range(30)]) == first
    assert calls == []
    edited = docs()
    edited[4] = Doc((*edited[4].fields[:4], edited[4].fields[4] + " extra"))
    changed = search.search_files(edited, [{} for _ in range(30)])
    assert calls == [edited[4]]
    assert changed != first and changed.keys() >= {"search/manifest.js", "search/doc/29.js"}
