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

import bisect
import hashlib
import math
from collections import Counter
from dataclasses import dataclass
from itertools import chain, count
from json.encoder import encode_basestring_ascii

import numpy as np

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


@dataclass(frozen=True, eq=False)
class Index:
    """Terms in JavaScript's sort order with their lunr term index, and every posting grouped by
    (term, field) in that order: group `g = position * len(FIELDS) + field` holds postings
    `start[g]:start[g + 1]` of `docs` (ascending) and `weights` (units of 0.001). Arrays, not
    per-term lists, because an archive has millions of postings."""

    terms: tuple[str, ...]
    term_index: dict[str, int]
    start: np.ndarray
    docs: np.ndarray
    weights: np.ndarray
    documents: int

    def postings(self, term: str) -> list[list[int] | None]:
        """Per field, `[doc, weight, doc, weight, ...]` or None: the postings of one term."""
        position = bisect.bisect_left(self.terms, js_sort_key(term), key=js_sort_key)
        assert self.terms[position] == term, term
        out: list[list[int] | None] = []
        for g in range(position * len(FIELDS), (position + 1) * len(FIELDS)):
            a, b = self.start[g], self.start[g + 1]
            flat = np.stack([self.docs[a:b], self.weights[a:b]], axis=1).ravel()
            out.append(flat.tolist() if b > a else None)
        return out


def js_sort_key(term: str) -> bytes:
    """JavaScript compares strings by UTF-16 code units; so must the chunk boundaries."""
    return term.encode("utf-16-be", "surrogatepass")


def js_round(x):
    """Math.round of a float or an array: halves go up (Python's round() and numpy's go to even).
    Exact: `x - floor(x)` has no rounding error, unlike `floor(x + 0.5)` (0.49999999999999994)."""
    r = np.floor(x)
    return (r + (x - r >= 0.5)).astype(np.int64)


def bm25(idf, tf, length, average, boost):
    """A term's weight in a field before rounding (floats or arrays), with the float operations
    of lunr.js in its order: another order can move a weight across a rounding boundary."""
    return idf * ((K1 + 1) * tf) / (K1 * (1 - B + B * (length / average)) + tf) * boost


def build(analysed: list[Analysed]) -> Index:
    """The index `lunr.Builder` makes of these documents, added in this order with refs 0..n-1.
    Each posting's weight is computed with the same float64 operations in the same order as
    lunr.js (and as a per-posting loop would), so the rounded weights are identical."""
    nfields, n = len(FIELDS), len(analysed)
    fields = [field for doc in analysed for field in doc]  # (doc, field) pairs, doc-major
    words = list(chain.from_iterable(terms for terms, _, _ in fields))
    term_index = dict(zip(dict.fromkeys(words), count()))  # lunr numbers terms as first seen
    ids = np.fromiter(map(term_index.__getitem__, words), np.int64, len(words))
    tf = np.fromiter(chain.from_iterable(c for _, c, _ in fields), np.int64, len(words))
    per_pair = np.fromiter((len(terms) for terms, _, _ in fields), np.int64, len(fields))
    pair = np.repeat(np.arange(len(fields)), per_pair)  # posting -> doc * nfields + field
    doc, field = np.divmod(pair, nfields)

    lengths = np.fromiter((length for _, _, length in fields), np.int64, len(fields))
    average = [int(s) / n for s in lengths.reshape(n, nfields).sum(axis=0)] if n else []
    df = np.bincount(ids, minlength=len(term_index))  # lunr.idf counts (document, field) pairs
    x = 1 + np.abs((n - df + 0.5) / (df + 0.5))
    idf = np.array([math.log(v) for v in x.tolist()])  # numpy's SIMD log may differ in a bit
    boosts = np.array([boost for _, boost in FIELDS])
    score = bm25(idf[ids], tf, lengths[pair], np.array(average)[field], boosts[field])
    weights = js_round(score * 1000)

    terms = tuple(sorted(term_index, key=js_sort_key))
    position = np.empty(len(terms), np.int64)
    position[[term_index[t] for t in terms]] = np.arange(len(terms))
    group = position[ids] * nfields + field
    order = _stable_order(group)  # stable: documents stay ascending within a group
    start = np.zeros(len(terms) * nfields + 1, np.int64)
    np.cumsum(np.bincount(group, minlength=len(terms) * nfields), out=start[1:])
    return Index(terms, term_index, start, doc[order], weights[order], n)


def _stable_order(keys: np.ndarray) -> np.ndarray:
    """`np.argsort(keys, kind="stable")` for non-negative keys, four times faster: numpy sorts
    16-bit keys by radix, so sort by each 16 bits in turn, lowest first."""
    order, shift = np.arange(len(keys)), 0
    while shift == 0 or (keys >> shift).any():
        digit = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def _ascii(values: np.ndarray, opens: np.ndarray, closes: np.ndarray, commas: np.ndarray):
    """Non-negative integers as one text, each with an optional `[` before and `]` and `,`
    after it, and where each one starts (plus the end). Formatting millions of numbers with
    str() one by one took a third of the build; here each is a row of a byte grid."""
    width, limit = np.ones(len(values), np.int8), 10
    while limit <= values.max(initial=0):
        width += values >= limit
        limit *= 10
    digits = int(width.max(initial=1))
    grid = np.empty((len(values), digits + 3), np.uint8)  # "[", digits right-aligned, "]", ","
    keep = np.empty(grid.shape, bool)
    grid[:, 0], grid[:, -2], grid[:, -1] = ord("["), ord("]"), ord(",")
    keep[:, 0], keep[:, -2], keep[:, -1] = opens, closes, commas
    rest = values
    for column in range(digits, 0, -1):
        grid[:, column] = ord("0") + rest % 10
        keep[:, column] = width > digits - column
        rest = rest // 10
    at = np.zeros(len(values) + 1, np.int64)
    np.cumsum(width + opens + closes + commas, out=at[1:])
    return grid[keep].tobytes().decode("ascii"), at


def _field_lists(index: Index) -> tuple[str, list[int]]:
    """The field lists of every term as one text, and where each term's start (plus the end):
    per field `0` or `[doc,weight,...]` (documents as deltas), separated by commas, the fields
    after the last non-empty one left out. All numbers, so `_ascii` writes them in one go."""
    nfields, sizes = len(FIELDS), np.diff(index.start)
    empty = sizes == 0
    last = nfields - 1 - np.argmax(~empty.reshape(-1, nfields)[:, ::-1], axis=1)
    shown = (np.arange(nfields) <= last[:, None]).ravel()
    tokens = np.zeros(len(sizes) + 1, np.int64)  # where each (term, field) group's numbers go
    np.cumsum(np.where(empty, 1, 2 * sizes) * shown, out=tokens[1:])
    first = index.start[:-1][~empty]  # first posting of each non-empty group
    deltas = np.diff(index.docs, prepend=0)
    deltas[first] = index.docs[first]
    at = np.repeat(tokens[:-1] - 2 * index.start[:-1], sizes) + 2 * np.arange(len(deltas))
    values = np.zeros(tokens[-1], np.int64)  # empty groups stay 0
    values[at], values[at + 1] = deltas, index.weights
    opens, closes, commas = (np.zeros(tokens[-1], bool) for _ in range(3))
    opens[tokens[:-1][~empty]] = closes[tokens[1:][~empty] - 1] = True
    commas[:] = True
    commas[tokens[nfields::nfields] - 1] = False  # a term's last number
    text, where = _ascii(values, opens, closes, commas)
    return text, where[tokens[::nfields]].tolist()


def term_texts(index: Index) -> list[str]:
    """The chunk entry of every term, in order (see the module docstring for the encoding)."""
    text, at = _field_lists(index)
    return [
        f"[{encode_basestring_ascii(term)},{index.term_index[term]},{text[at[i] : at[i + 1]]}]"
        for i, term in enumerate(index.terms)
    ]


def chunks(index: Index, target: int = CHUNK_BYTES) -> list[tuple[str, str]]:
    """Cut the sorted terms into runs of about `target` bytes: (first term, JSON array text).
    A term is never split, so a very common term can make a chunk larger than `target`."""
    out: list[tuple[str, str]] = []
    current: list[str] = []
    size, first = 0, ""
    for term, text in zip(index.terms, term_texts(index), strict=True):
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
