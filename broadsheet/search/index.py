"""What lunr.js 2.3.9's builder starts from, computed in Python and cut into term chunks.

The page computes lunr's weights itself, for just the terms a query loads, with the float
operations of `lunr.Builder.createFieldVectors` and `lunr.idf`, so the files here hold only
what those weights are made of, none of it archive-wide:

- per term: its postings with the term frequency per field, and where it first appears;
- per document: its field lengths (`lengths`, in blocks of `LENGTH_BLOCK` documents);
- globally (in the manifest): the document count and each field's total length.

An edit therefore changes only the entries of the terms whose postings it changed, the block
of lengths holding its document and the manifest, never every weight in the archive (every
BM25 weight depends on the archive's average field lengths).

Documents are numbered 0..n-1 in the order lunr.js would be given them. lunr numbers terms in
order of first appearance (by document, field, then position), and that order decides the order
of floating-point additions in a score, so each entry carries its first position: the page
sorts the loaded terms by (first document, first field, position) and numbers them in that
order, which is the monolithic index's order restricted to those terms. Scores are then exactly
a monolithic lunr.js index's.

Entry encoding (JSON): `[term, position, f0, f1, ...]`, one item per field in `FIELDS` order,
`0` for a field without the term (trailing ones dropped), otherwise a flat list
`[doc, tf, doc, tf, ...]` with documents as deltas from the previous one.

Chunks are runs of entries in JavaScript's sort order whose boundaries depend only on the terms
at them (a term starts a chunk when a hash of it says so, and a large entry stands alone), so
adding or removing a term moves at most the boundaries next to it.
"""

from __future__ import annotations

import hashlib
import sys
from collections import Counter
from dataclasses import dataclass
from itertools import chain
from json.encoder import encode_basestring_ascii

from .. import lazy
from .lunr import Pipeline

np = lazy.module("numpy")

FIELDS: tuple[tuple[str, int], ...] = (
    ("title", 10),
    ("tags", 8),
    ("author", 3),
    ("summary", 2),
    ("body", 1),
)
K1, B = 1.2, 0.75
LENGTH_BLOCK = 1024  # documents per file of field lengths
CUT_EVERY = 64  # a term starts a chunk with probability 1/CUT_EVERY (by its hash)
ALONE_BYTES = 6_000  # an entry at least this large is a chunk of its own
_ASCII_BLOCK = 1 << 20  # numbers `_ascii` formats at a time


@dataclass(frozen=True)
class Doc:
    """The text of one article's indexed fields, in `FIELDS` order."""

    fields: tuple[str, ...]


# One field of one document after the pipeline: distinct terms in order of first appearance,
# their counts, and the field length (number of terms, repeats included).
Analysed = tuple[tuple[tuple[str, ...], tuple[int, ...], int], ...]


class Analyser:
    """Runs the pipeline over documents' fields."""

    def __init__(self) -> None:
        self.pipeline = Pipeline()

    def analyse_all(self, docs: list[Doc]) -> list[Analysed]:
        return [self.analyse(doc) for doc in docs]

    def analyse(self, doc: Doc) -> Analysed:
        result = []
        for text in doc.fields:
            terms = self.pipeline.terms(text)
            counts = Counter(terms)  # insertion order: first appearance
            # one string a term, not one a document: 300 MB at 10,000 articles
            result.append((tuple(map(sys.intern, counts)), tuple(counts.values()), len(terms)))
        return tuple(result)


@dataclass(frozen=True, eq=False)
class Index:
    """Terms in JavaScript's sort order, and every posting grouped by (term, field) in that
    order: group `g = position * len(FIELDS) + field` holds postings `start[g]:start[g + 1]`
    of `docs` (ascending) and `tf`. `first[i]` is term i's position in the field where it first
    appears. Arrays, not per-term lists, because an archive has millions of postings."""

    terms: tuple[str, ...]
    first: np.ndarray
    start: np.ndarray
    docs: np.ndarray
    tf: np.ndarray
    lengths: np.ndarray  # (documents, fields) field lengths
    documents: int


def js_sort_key(term: str) -> bytes:
    """JavaScript compares strings by UTF-16 code units; so must the chunk boundaries."""
    return term.encode("utf-16-be", "surrogatepass")


def build(analysed: list[Analysed]) -> Index:
    """The postings lunr.Builder collects from these documents, added in this order as
    documents 0..n-1."""
    nfields, n = len(FIELDS), len(analysed)
    fields = [field for doc in analysed for field in doc]  # (doc, field) pairs, doc-major
    words = list(chain.from_iterable(terms for terms, _, _ in fields))
    number = dict.fromkeys(words)  # first appearance order, as lunr numbers terms
    for i, term in enumerate(number):
        number[term] = i
    # int32: an archive has millions of postings, each in several arrays at once
    ids = np.fromiter(map(number.__getitem__, words), np.int32, len(words))
    del words
    tf = np.fromiter(chain.from_iterable(c for _, c, _ in fields), np.int32, len(ids))
    per_pair = np.fromiter((len(terms) for terms, _, _ in fields), np.int64, len(fields))
    pair = np.repeat(np.arange(len(fields), dtype=np.int32), per_pair)  # -> doc * nfields + field
    doc, field = np.divmod(pair, np.int32(nfields))
    pair_start = np.zeros(len(fields) + 1, np.int64)
    np.cumsum(per_pair, out=pair_start[1:])
    lengths = np.fromiter((length for _, _, length in fields), np.int64, len(fields))

    terms = tuple(sorted(number, key=js_sort_key))
    position = np.empty(len(terms), np.int32)
    position[[number[t] for t in terms]] = np.arange(len(terms))
    _, first_at = np.unique(ids, return_index=True)  # by first-appearance number
    first = np.empty(len(terms), np.int64)
    first[position] = first_at - pair_start[pair[first_at]]
    group = position[ids].astype(np.int64) * nfields + field
    del ids, field
    order = _stable_order(group)  # stable: documents stay ascending within a group
    start = np.zeros(len(terms) * nfields + 1, np.int64)
    np.cumsum(np.bincount(group, minlength=len(terms) * nfields), out=start[1:])
    return Index(terms, first, start, doc[order], tf[order], lengths.reshape(n, nfields), n)


def _stable_order(keys: np.ndarray) -> np.ndarray:
    """`np.argsort(keys, kind="stable")` for non-negative keys, four times faster: numpy sorts
    16-bit keys by radix, so sort by each 16 bits in turn, lowest first."""
    order, shift = np.arange(len(keys), dtype=np.int32), 0
    while shift == 0 or (keys >> shift).any():
        digit = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        del digit
        shift += 16
    return order


def _ascii(values: np.ndarray, opens: np.ndarray, closes: np.ndarray, commas: np.ndarray,
           starts: np.ndarray):
    """Non-negative integers as one text, each with an optional `[` before and `]` and `,`
    after it, and where the numbers at `starts` (ascending indexes) start in it (plus the
    end). Formatting millions of numbers with str() one by one took a third of the build;
    here each is a row of a byte grid."""
    width, limit = np.ones(len(values), np.int8), 10
    while limit <= values.max(initial=0):
        width += values >= limit
        limit *= 10
    digits, pieces = int(width.max(initial=1)), []
    for lo in range(0, len(values), _ASCII_BLOCK):  # a block at a time: the grid is large
        part = slice(lo, lo + _ASCII_BLOCK)
        grid = np.empty((len(values[part]), digits + 3), np.uint8)  # "[", digits, "]", ","
        keep = np.empty(grid.shape, bool)
        grid[:, 0], grid[:, -2], grid[:, -1] = ord("["), ord("]"), ord(",")
        keep[:, 0], keep[:, -2], keep[:, -1] = opens[part], closes[part], commas[part]
        rest = values[part]
        for column in range(digits, 0, -1):
            grid[:, column] = ord("0") + rest % 10
            keep[:, column] = width[part] > digits - column
            rest = rest // 10
        pieces.append(grid[keep].tobytes())
    sizes = width + opens + closes + commas
    at = np.zeros(len(starts) + 1, np.int64)
    if len(starts):
        np.cumsum(np.add.reduceat(sizes, starts, dtype=np.int64), out=at[1:])
        at += sizes[: starts[0]].sum(dtype=np.int64)
    return b"".join(pieces).decode("ascii"), at


def _field_lists(index: Index) -> tuple[str, list[int]]:
    """Each term's first position and field lists as one text, and where each term's start
    (plus the end): `position,` then per field `0` or `[doc,tf,...]` (documents as deltas),
    separated by commas, the fields after the last non-empty one left out. All numbers, so
    `_ascii` writes them in one go."""
    nfields, sizes = len(FIELDS), np.diff(index.start)
    nterms = len(index.terms)
    empty = sizes == 0
    last = nfields - 1 - np.argmax(~empty.reshape(-1, nfields)[:, ::-1], axis=1)
    shown = (np.arange(nfields) <= last[:, None]).ravel()
    # numbers per (term, field) group, plus one leading slot per term for its position
    count = np.where(empty, 1, 2 * sizes) * shown
    count.reshape(nterms, nfields)[:, 0] += 1
    tokens = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(count, out=tokens[1:])
    lead = tokens[:-1:nfields] if nterms else tokens[:0]  # each term's position slot
    group_at = tokens[:-1] + (np.arange(len(sizes)) % nfields == 0)
    first = index.start[:-1][~empty]  # first posting of each non-empty group
    deltas = np.diff(index.docs, prepend=0)
    deltas[first] = index.docs[first]
    at = np.repeat(group_at - 2 * index.start[:-1], sizes) + 2 * np.arange(len(deltas))
    values = np.zeros(tokens[-1], np.int32)  # empty groups stay 0
    values[lead] = index.first
    values[at], values[at + 1] = deltas, index.tf
    del at, deltas
    opens, closes, commas = (np.zeros(tokens[-1], bool) for _ in range(3))
    opens[group_at[~empty]] = closes[tokens[1:][~empty] - 1] = True
    commas[:] = True
    commas[tokens[nfields::nfields] - 1] = False  # a term's last number
    text, where = _ascii(values, opens, closes, commas, tokens[:-1:nfields])
    return text, where.tolist()


def entries(index: Index) -> list[str]:
    """The chunk entry of every term, in order (see the module docstring for the encoding)."""
    text, at = _field_lists(index)
    return [
        f"[{encode_basestring_ascii(term)},{text[at[i] : at[i + 1]]}]"
        for i, term in enumerate(index.terms)
    ]


def starts_chunk(term: str, every: int = CUT_EVERY) -> bool:
    """A pure function of the term: about one term in `every` opens a chunk."""
    digest = hashlib.blake2b(term.encode("utf-8", "surrogatepass"), digest_size=4).digest()
    return int.from_bytes(digest, "big") % every == 0


def chunks(terms: tuple[str, ...], texts: list[str], every: int = CUT_EVERY) -> list[tuple]:
    """Cut the sorted entries into runs: (start, end) indexes. A run starts at the first term,
    at a term whose hash says so, and at and after an entry of `ALONE_BYTES` or more."""
    cuts = [
        i
        for i in range(len(terms))
        if i == 0
        or starts_chunk(terms[i], every)
        or len(texts[i]) >= ALONE_BYTES
        or len(texts[i - 1]) >= ALONE_BYTES
    ]
    return list(zip(cuts, [*cuts[1:], len(terms)], strict=True)) if cuts else [(0, 0)]
