"""The search files a build writes: layout, determinism, chunk coverage, cache reuse."""

from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path

import numpy as np
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


def reference_postings(analysed) -> dict[str, list[list[int]]]:
    """One posting at a time, as `lunr.Builder.createFieldVectors` computes it: term -> per field
    `[doc, weight, ...]`. Kept simple on purpose, to check the vectorized `build`."""
    n, nfields = len(analysed), len(search_index.FIELDS)
    df: dict[str, int] = {}
    sums = [0] * nfields
    for doc in analysed:
        for f, (terms, _, length) in enumerate(doc):
            sums[f] += length
            for t in terms:
                df[t] = df.get(t, 0) + 1
    out: dict[str, list[list[int]]] = {t: [[] for _ in range(nfields)] for t in df}
    for ref, doc in enumerate(analysed):
        for f, (terms, counts, length) in enumerate(doc):
            for t, tf in zip(terms, counts, strict=True):
                idf = math.log(1 + abs((n - df[t] + 0.5) / (df[t] + 0.5)))
                norm = 1.2 * (1 - 0.75 + 0.75 * (length / (sums[f] / n)))
                score = idf * ((1.2 + 1) * tf) / (norm + tf) * search_index.FIELDS[f][1] * 1000
                out[t][f] += [ref, math.floor(score) + (score - math.floor(score) >= 0.5)]
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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorized_weights_order_and_text_equal_a_per_posting_reference(seed):
    analysed = Analyser().analyse_all(random_docs(seed, 60))
    index = search_index.build(analysed)
    want = reference_postings(analysed)
    first_seen = dict.fromkeys(t for doc in analysed for terms, _, _ in doc for t in terms)
    assert list(index.term_index) == list(first_seen) and set(index.terms) == set(want)
    assert list(index.terms) == sorted(want, key=search_index.js_sort_key)
    entries = [e for _, text in search_index.chunks(index, target=500) for e in json.loads(text)]
    for (term, number, *fields), mine in zip(entries, index.terms, strict=True):
        assert term == mine and number == index.term_index[term]
        expected = want[term]
        assert index.postings(term) == [flat or None for flat in expected], term
        while not expected[-1]:
            expected.pop()
        assert fields == [as_deltas(flat) or 0 for flat in expected], term


def test_js_round_of_arrays_rounds_halves_up_exactly():
    xs = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.49999999999999994, 4503599627370495.5, 1234.4999])
    assert search_index.js_round(xs).tolist() == [1, 2, 3, 0, -1, 0, 4503599627370496, 1234]


def test_an_empty_archive_has_one_empty_chunk():
    index = search_index.build([])
    assert search_index.chunks(index) == [("", "[]")]


def test_bm25_repeats_lunr_js_float_operations_exactly():
    rng = np.random.default_rng(7)
    idf, average = rng.uniform(0, 10, 20_000), rng.uniform(1, 900, 20_000)
    tf, length, boost = (rng.integers(1, k, 20_000) for k in (40, 2000, 11))
    got = search_index.bm25(idf, tf, length, average, boost)
    for i in range(len(got)):  # lunr.js Builder.createFieldVectors, one posting
        k1, b = 1.2, 0.75
        score = idf[i] * ((k1 + 1) * tf[i]) / (k1 * (1 - b + b * (length[i] / average[i])) + tf[i])
        score *= boost[i]
        assert got[i] == score, i
