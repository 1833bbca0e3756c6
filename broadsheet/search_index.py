"""The lunr.js 2.3.9 index of the archive, computed in Python and cut into term chunks.

`build` produces what `lunr.Builder` would: the same term indexes (numbered in order of first
appearance), the same field weights (BM25 with k1 1.2, b 0.75, field boosts, rounded to 0.001 as
`createFieldVectors` does). Scores in lunr 2.3.9 depend only on the field-vector entries of the
query's terms, so each chunk carries a range of terms with their postings and weights, and the
page that merges the chunks a query needs gets exactly the monolithic index's results.

Chunk encoding (one JSON array per term): `[term, termIndex, f0, f1, ...]`, one entry per field
in `FIELDS` order, `0` for a field without the term (trailing ones dropped), otherwise a flat
list `[doc, weight, doc, weight, ...]` with documents as deltas from the previous one and weights
as integers in units of 0.001.
"""

from __future__ import annotations

import hashlib
import json
import math
from array import array
from collections import Counter
from dataclasses import dataclass

from .lunr_text import Pipeline

FIELDS: tuple[tuple[str, int], ...] = (
    ("title", 10),
    ("tags", 8),
    ("author", 3),
    ("summary", 2),
    ("body", 1),
)
K1, B = 1.2, 0.75
CHUNK_BYTES = 12_000  # target size of one term chunk, before gzip


@dataclass(frozen=True)
class Doc:
    """The text of one article's indexed fields, in `FIELDS` order."""

    fields: tuple[str, ...]


# One field of one document after the pipeline: distinct terms in order of first appearance,
# their counts, and the field length (number of terms, repeats included).
Analysed = tuple[tuple[tuple[str, ...], tuple[int, ...], int], ...]


class Analyser:
    """Runs the pipeline over documents, remembering results by content hash so a rebuild after
    one edit re-reads one article (the cache keeps only the documents of the latest build)."""

    def __init__(self) -> None:
        self.pipeline = Pipeline()
        self._cache: dict[bytes, Analysed] = {}

    def analyse_all(self, docs: list[Doc]) -> list[Analysed]:
        fresh: dict[bytes, Analysed] = {}
        out = []
        for doc in docs:
            key = hashlib.blake2b("\0".join(doc.fields).encode("utf-8", "surrogatepass")).digest()
            found = fresh.get(key) or self._cache.get(key)
            if found is None:
                found = self.analyse(doc)
            fresh[key] = found
            out.append(found)
        self._cache = fresh
        return out

    def analyse(self, doc: Doc) -> Analysed:
        result = []
        for text in doc.fields:
            terms = self.pipeline.terms(text)
            counts = Counter(terms)  # insertion order: first appearance
            result.append((tuple(counts), tuple(counts.values()), len(terms)))
        return tuple(result)


@dataclass(frozen=True)
class Index:
    """Terms (in JavaScript's sort order) with their global index and per-field postings."""

    terms: tuple[str, ...]
    term_index: dict[str, int]
    postings: dict[str, list[array | None]]  # term -> per field: doc, weight, doc, weight...
    documents: int


def js_sort_key(term: str) -> bytes:
    """JavaScript compares strings by UTF-16 code units; so must the chunk boundaries."""
    return term.encode("utf-16-be", "surrogatepass")


def js_round(x: float) -> int:
    """Math.round: halves go up (Python's round() goes to even)."""
    r = math.floor(x)
    return r + 1 if x - r >= 0.5 else r


def build(analysed: list[Analysed]) -> Index:
    """The index `lunr.Builder` makes of these documents, added in this order with refs 0..n-1."""
    nfields = len(FIELDS)
    term_index: dict[str, int] = {}
    df: Counter[str] = Counter()
    length_sum = [0] * nfields
    for doc in analysed:
        for f, (terms, _, length) in enumerate(doc):
            length_sum[f] += length
            for t in terms:
                if t not in term_index:
                    term_index[t] = len(term_index)
            df.update(terms)
    n = len(analysed)
    average = [length_sum[f] / n if n else 0.0 for f in range(nfields)]
    idf = {t: math.log(1 + abs((n - d + 0.5) / (d + 0.5))) for t, d in df.items()}

    postings: dict[str, list[array | None]] = {t: [None] * nfields for t in term_index}
    for ref, doc in enumerate(analysed):
        for f, (terms, counts, length) in enumerate(doc):
            if not terms:
                continue
            boost = FIELDS[f][1]
            norm = K1 * (1 - B + B * (length / average[f]))
            for t, tf in zip(terms, counts, strict=True):
                score = idf[t] * ((K1 + 1) * tf) / (norm + tf)
                score *= boost
                lists = postings[t]
                entry = lists[f]
                if entry is None:
                    entry = lists[f] = array("l")
                entry.append(ref)
                entry.append(js_round(score * 1000))
    terms = tuple(sorted(term_index, key=js_sort_key))
    return Index(terms, term_index, postings, n)


def encode_term(term: str, index: Index) -> str:
    parts = [json.dumps(term), str(index.term_index[term])]
    for entry in index.postings[term]:
        if entry is None:
            parts.append("0")
            continue
        flat, previous = [], 0
        for i in range(0, len(entry), 2):
            flat.append(entry[i] - previous)
            flat.append(entry[i + 1])
            previous = entry[i]
        parts.append("[" + ",".join(map(str, flat)) + "]")
    while parts[-1] == "0":
        parts.pop()
    return "[" + ",".join(parts) + "]"


def chunks(index: Index, target: int = CHUNK_BYTES) -> list[tuple[str, str]]:
    """Cut the sorted terms into runs of about `target` bytes: (first term, JSON array text).
    A term is never split, so a very common term can make a chunk larger than `target`."""
    out: list[tuple[str, str]] = []
    current: list[str] = []
    size, first = 0, ""
    for term in index.terms:
        text = encode_term(term, index)
        if current and size + len(text) > target:
            out.append((first, "[" + ",".join(current) + "]"))
            current, size = [], 0
        if not current:
            first = term
        current.append(text)
        size += len(text) + 1
    if current or not out:
        out.append((first, "[" + ",".join(current) + "]"))
    return out
