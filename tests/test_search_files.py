"""The search files a build writes: layout, determinism, chunk coverage, cache reuse."""

from __future__ import annotations

import bisect
import json
import random
import re
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, build_repo, make_repo
from hypothesis import given, settings
from hypothesis import strategies as st

from broadsheet.search import index as search_index
from broadsheet.search import state as search_state
from broadsheet.search.index import Analyser, Doc

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


def entries_of(files: dict[str, bytes]) -> list[list]:
    manifest = data(files, "search/manifest.js")
    out = []
    for first, name in zip(manifest["chunks"], manifest["files"], strict=True):
        chunk = data(files, f"search/index/{name}.js")
        assert not chunk or chunk[0][0] == first
        out += chunk
    return out


def reference(analysed) -> dict[str, list]:
    """One document at a time, as `lunr.Builder.add` sees them: term -> [first position,
    per field [doc, tf, ...]]. Kept simple on purpose, to check the vectorized `build`."""
    out: dict[str, list] = {}
    for ref, doc in enumerate(analysed):
        for f, (terms, counts, _) in enumerate(doc):
            for position, (t, tf) in enumerate(zip(terms, counts, strict=True)):
                entry = out.setdefault(t, [position, *([] for _ in search_index.FIELDS)])
                entry[1 + f] += [ref, tf]
    return out


def as_deltas(flat: list[int]) -> list[int]:
    out, previous = [], 0
    for i in range(0, len(flat), 2):
        out += [flat[i] - previous, flat[i + 1]]
        previous = flat[i]
    return out


def random_docs(seed: int, n: int) -> list[Doc]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(300)] + ["café", "\U0001f600s", "\ufffdx", "zz", "a1"]
    weights = [1 / (r + 1) for r in range(len(vocab))]

    def text(most: int) -> str:
        return " ".join(rng.choices(vocab, weights, k=rng.randint(0, most)))

    return [Doc((text(6), text(3), text(2), text(30), text(400))) for _ in range(n)]


@pytest.mark.parametrize("block", [search_index._ASCII_BLOCK, 7])  # numbers formatted at a time
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_entries_hold_each_terms_postings_and_first_position_in_order(seed, block, monkeypatch):
    monkeypatch.setattr(search_index, "_ASCII_BLOCK", block)
    analysed = Analyser().analyse_all(random_docs(seed, 60))
    want = reference(analysed)
    files = search_state.search_files(random_docs(seed, 60), [{} for _ in range(60)], cut_every=8)
    got = entries_of(files)
    assert [e[0] for e in got] == sorted(want, key=search_index.js_sort_key)
    for term, position, *fields in got:
        expected = want[term]
        assert position == expected[0], term
        lists = expected[1:]
        while not lists[-1]:
            lists.pop()
        assert fields == [as_deltas(flat) or 0 for flat in lists], term
    manifest = data(files, "search/manifest.js")
    assert manifest["docs"] == 60 and len(manifest["chunks"]) > 10
    assert manifest["sums"] == [sum(doc[f][2] for doc in analysed) for f in range(5)]
    lengths = data(files, "search/lengths/0.js")
    assert lengths == [doc[f][2] for doc in analysed for f in range(5)]


class Remembered:
    """The build cache's search tables, in memory: what `cache._save_search` keeps."""

    def __init__(self) -> None:
        self.terms: dict[str, str] = {}
        self.analyses: dict[bytes, object] = {}
        self.stored: search_state.Stored | None = None

    def commit(self, built: search_state.Built) -> None:
        if built.whole:
            self.terms = {}
        for term, entry in built.terms.items():
            if entry is None:
                self.terms.pop(term, None)
            else:
                self.terms[term] = entry
        self.analyses.update(built.analyses)
        ordered = sorted(self.terms, key=search_index.js_sort_key)
        keys = [search_index.js_sort_key(t) for t in ordered]

        def run(first, end):
            lo = bisect.bisect_left(keys, search_index.js_sort_key(first))
            hi = len(keys) if end is None else bisect.bisect_left(
                keys, search_index.js_sort_key(end))
            return [(t, self.terms[t]) for t in ordered[lo:hi]]

        self.stored = search_state.Stored(
            built.docs, built.chunks, lambda ts: {t: self.terms[t] for t in ts if t in self.terms},
            run, self.analyses.get)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.lists(st.sampled_from(
    ["edit", "edit", "append", "drop", "same", "insert", "retitle"]), min_size=1, max_size=6))
def test_an_updated_index_equals_a_cold_one_and_writes_only_what_changed(seed, steps):
    """After any sequence of edits, the files made from the previous build's index are
    exactly those of a cold build, and every file not written is unchanged."""
    rng = random.Random(seed)
    corpus = random_docs(seed, rng.randint(1, 40))
    idents = [f"a{n}" for n in range(len(corpus))]
    memory = Remembered()

    def built(previous):
        wanted = [(i, repr(d)) for i, d in zip(idents, corpus, strict=True)]
        return search_state.build_documents(wanted, corpus.__getitem__,
                                            lambda n: {"t": corpus[n].fields[0]}, previous, 6)

    first = built(None)
    memory.commit(first)
    site = dict(first.files)
    for number, step in enumerate(steps):
        n = rng.randrange(len(corpus))
        if step == "edit":
            words = corpus[n].fields[4].split() or ["w1"]
            words[rng.randrange(len(words))] = rng.choice(["novel", "w3", f"new{number}"])
            corpus[n] = Doc((*corpus[n].fields[:4], " ".join(words)))
        elif step == "retitle":
            corpus[n] = Doc((f"zz{number} title", *corpus[n].fields[1:]))
        elif step == "append":
            corpus.append(random_docs(seed + number + 1, 1)[0])
            idents.append(f"b{number}")
        elif step == "insert":
            corpus.insert(n, random_docs(seed + number + 7, 1)[0])
            idents.insert(n, f"c{number}")
        elif step == "drop" and len(corpus) > 1:
            corpus.pop()
            idents.pop()
        update = built(memory.stored)
        cold = built(None)
        site = {name: update.files.get(name, site.get(name)) for name in update.names}
        assert site == cold.files
        assert update.names == cold.names and update.docs == cold.docs
        assert update.chunks == cold.chunks
        memory.commit(update)
        assert memory.terms == cold.terms


def test_an_edit_reanalyses_and_rewrites_only_its_own_document(monkeypatch):
    corpus = docs()
    wanted = [(str(n), repr(d)) for n, d in enumerate(corpus)]
    memory = Remembered()
    memory.commit(first := search_state.build_documents(
        wanted, corpus.__getitem__, lambda n: {"n": n}, None))
    calls = []
    original = Analyser.analyse
    monkeypatch.setattr(Analyser, "analyse", lambda self, d: calls.append(d) or original(self, d))
    corpus[4] = Doc((*corpus[4].fields[:4], corpus[4].fields[4] + " extra"))
    wanted[4] = ("4", repr(corpus[4]))
    update = search_state.build_documents(wanted, corpus.__getitem__, lambda n: {"n": n},
                                          memory.stored)
    assert calls == [corpus[4]] and not update.whole
    docs_written = {n for n in update.files if n.startswith("search/doc/")}
    assert docs_written == {"search/doc/4.js"}
    assert len(update.files) < len(first.files) // 2


def changed_files(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}


def chunk_terms(files: dict[str, bytes]) -> dict[str, set[str]]:
    manifest = data(files, "search/manifest.js")
    return {f"search/index/{name}.js": {e[0] for e in data(files, f"search/index/{name}.js")}
            for name in manifest["files"]}


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_an_edit_or_a_new_document_rewrites_only_what_it_changes(seed):
    """An edit of one document rewrites the chunks of the terms whose postings changed, its
    lengths block and the manifest; a new last document adds its own store file. Nothing
    else: no weight in the files depends on the rest of the archive."""
    rng = random.Random(seed)
    corpus = random_docs(seed, 80)
    before = search_state.search_files(corpus, [{"n": i} for i in range(80)], cut_every=8)
    number = rng.randrange(80)
    old = corpus[number]
    words = old.fields[4].split()
    rng.shuffle(words)
    corpus[number] = Doc((*old.fields[:4], " ".join([*words[:-3], "novelword"])))
    after = search_state.search_files(corpus, [{"n": i} for i in range(80)], cut_every=8)
    analyser = Analyser()
    was, now = (reference(analyser.analyse_all(c)) for c in ([*corpus[:number], old,
                                                             *corpus[number + 1:]], corpus))
    touched = {t for t in was.keys() | now.keys() if was.get(t) != now.get(t)}
    allowed = {"search/manifest.js", f"search/lengths/{number // 1024}.js"}
    allowed |= {name for files in (before, after) for name, terms in chunk_terms(files).items()
                if terms & touched}
    assert changed_files(before, after) <= allowed
    assert len(changed_files(before, after)) < len(chunk_terms(after)) // 2

    corpus.append(Doc(("A new title", "maps", "ada", "new summary", "w1 w2 w3 brandnew")))
    added = search_state.search_files(corpus, [{"n": i} for i in range(81)], cut_every=8)
    changed = changed_files(after, added)
    assert "search/doc/80.js" in changed
    assert not {n for n in changed if n.startswith("search/doc/")} - {"search/doc/80.js"}
    new_terms = set(reference(analyser.analyse_all(corpus[-1:])))
    for name in changed - {"search/manifest.js", "search/lengths/0.js", "search/doc/80.js"}:
        assert (chunk_terms(added).get(name, set()) | chunk_terms(after).get(name, set())) \
            & new_terms, name


def test_an_empty_archive_has_one_empty_chunk():
    files = search_state.search_files([], [])
    manifest = data(files, "search/manifest.js")
    assert manifest["chunks"] == [""] and manifest["docs"] == 0
    assert data(files, f"search/index/{manifest['files'][0]}.js") == []
