"""Updating the search entries in place gives exactly the entries of a cold build."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from broadsheet.search import index as search_index
from broadsheet.search import update as search_update
from broadsheet.search.index import Analyser, Doc

VOCAB = [f"w{i}" for i in range(120)] + ["café", "\U0001f600s", "zz"]


def text(rng: random.Random, most: int) -> str:
    weights = [1 / (r + 1) for r in range(len(VOCAB))]
    return " ".join(rng.choices(VOCAB, weights, k=rng.randint(0, most)))


def doc(rng: random.Random) -> Doc:
    return Doc((text(rng, 5), text(rng, 3), text(rng, 2), text(rng, 12), text(rng, 80)))


def cold(analysed) -> dict[str, str]:
    index = search_index.build(analysed)
    return dict(zip(index.terms, search_index.entries(index), strict=True))


def test_entries_round_trip_through_decode_and_encode():
    rng = random.Random(1)
    for term, entry in cold(Analyser().analyse_all([doc(rng) for _ in range(40)])).items():
        decoded = search_update.decode(entry)
        assert decoded.term == term and search_update.encode(decoded) == entry


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.lists(
    st.sampled_from(["edit", "append", "drop", "same", "shuffle", "prepend"]),
    min_size=1, max_size=4))
def test_an_update_in_place_equals_a_cold_build(seed, steps):
    rng = random.Random(seed)
    analyser = Analyser()
    docs = [doc(rng) for _ in range(rng.randint(1, 25))]
    analysed = [analyser.analyse(d) for d in docs]
    entries = cold(analysed)
    for step in steps:
        before = list(analysed)
        if step == "edit":
            n = rng.randrange(len(docs))
            docs[n] = doc(rng)
        elif step == "append":
            docs.append(doc(rng))
        elif step == "drop" and len(docs) > 1:
            docs.pop()
        elif step in ("shuffle", "prepend"):  # the same counts, terms at other positions
            n = rng.randrange(len(docs))
            fields = [f.split() for f in docs[n].fields]
            for words in fields:
                if step == "shuffle":
                    rng.shuffle(words)
                elif words:
                    words.insert(0, words.pop())
            docs[n] = Doc(tuple(" ".join(words) for words in fields))
        analysed = [analyser.analyse(d) for d in docs]
        keys = [(str(n), repr(a)) for n, a in enumerate(analysed)]
        changed = search_update.changed_documents(
            [(str(n), repr(a)) for n, a in enumerate(before)], keys)
        assert changed is not None
        old = {n: before[n] for n in changed if n < len(before)}
        new = {n: analysed[n] for n in changed if n < len(analysed)}
        for term, entry in search_update.update(entries, old, new, analysed.__getitem__).items():
            if entry is None:
                del entries[term]
            else:
                entries[term] = entry
        assert entries == cold(analysed)


def test_renumbered_documents_ask_for_a_cold_build():
    assert search_update.changed_documents([("a", "1"), ("b", "2")], [("b", "2")]) is None
    assert search_update.changed_documents([("a", "1")], [("a", "1"), ("b", "2")]) == {1}
    assert search_update.changed_documents([("a", "1"), ("b", "2")], [("a", "3")]) == {0, 1}
