"""Bring the search entries of the last build up to date with the documents that changed.

An entry (see `search_index`) holds a term's postings and first position and nothing
archive-wide, so an edit of one document changes only the entries of its own terms: those are
decoded, their postings for the changed documents replaced, and encoded again, with exactly
the bytes the vectorized cold build writes. This works while documents keep their numbers
(edited in place, added or removed at the end); anything else is a cold build.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import accumulate, chain
from json.encoder import encode_basestring_ascii

from .index import FIELDS, Analysed

Postings = list[list[tuple[int, int]]]  # per field: (doc, tf), docs ascending


@dataclass(frozen=True)
class Entry:
    """A term's postings and its position in the field where it first appears."""

    term: str
    position: int
    postings: Postings

    @property
    def first(self) -> tuple[int, int]:
        """(document, field) of the term's first appearance, as lunr meets it."""
        return min((field[0][0], f) for f, field in enumerate(self.postings) if field)


def decode(text: str) -> Entry:
    term, position, *fields = json.loads(text)
    postings: Postings = []
    for f in range(len(FIELDS)):  # (a common word has thousands of postings: map and zip)
        flat = fields[f] if f < len(fields) and fields[f] else []
        postings.append(list(zip(accumulate(flat[0::2]), flat[1::2], strict=True)))
    return Entry(term, position, postings)


def encode(entry: Entry) -> str:
    """The entry as `search_index.entries` writes it, byte for byte."""
    fields = list(entry.postings)
    while fields and not fields[-1]:
        fields.pop()
    parts = [encode_basestring_ascii(entry.term), str(entry.position)]
    for pairs in fields:
        if not pairs:
            parts.append("0")
            continue
        docs, tfs = zip(*pairs, strict=True)
        deltas = map(operator.sub, docs, (0, *docs[:-1]))
        numbers = chain.from_iterable(zip(deltas, tfs, strict=True))
        parts.append("[" + ",".join(map(str, numbers)) + "]")
    return "[" + ",".join(parts) + "]"


def _touched(
    old: Mapping[int, Analysed], new: Mapping[int, Analysed]
) -> tuple[set[str], dict[str, set[tuple[int, int]]]]:
    """The terms whose postings change (a count differs, or the document gained or lost the
    term), and apart those that only moved within a document, with where: their entry
    changes only if that (document, field) is where the term first appears."""
    touched: set[str] = set()
    moved: dict[str, set[tuple[int, int]]] = {}
    for doc in old.keys() | new.keys():
        if doc not in old or doc not in new:
            for terms, _, _ in old.get(doc) or new[doc]:
                touched.update(terms)
            continue
        for f, ((was, was_counts, _), (now, now_counts, _)) in enumerate(
            zip(old[doc], new[doc], strict=True)
        ):
            before = {t: (c, i) for i, (t, c) in enumerate(zip(was, was_counts, strict=True))}
            for i, (term, count) in enumerate(zip(now, now_counts, strict=True)):
                seen = before.pop(term, None)
                if seen is None or seen[0] != count:
                    touched.add(term)
                elif seen[1] != i:
                    moved.setdefault(term, set()).add((doc, f))
            touched.update(before)  # terms the document no longer has
    return touched, moved


def _first(text: str) -> tuple[int, int]:
    """`Entry.first` read from the start of each field of an encoded entry, without decoding
    its postings (a common term's entry lists most of the archive)."""
    end = json.decoder.scanstring(text, 2)[1]  # past the term
    at = text.index(",", end + 1) + 1  # past the position
    best, field = None, 0
    while at < len(text) - 1:
        if text[at] == "[":
            comma = text.index(",", at)
            candidate = (int(text[at + 1 : comma]), field)
            best = candidate if best is None or candidate < best else best
            at = text.index("]", at) + 2
        else:  # "0": an empty field
            at += 2
        field += 1
    if best is None:
        raise ValueError(f"an entry without postings: {text[:40]}")
    return best


def changed_documents(
    before: list[tuple[str, str]], after: list[tuple[str, str]]
) -> set[int] | None:
    """The numbers of documents added, removed or with another analysis, given (identity,
    analysis key) by number before and after; None when a document kept took another number
    (one inserted or removed before the last, or re-dated): then every entry is rebuilt."""
    common = min(len(before), len(after))
    if any(before[n][0] != after[n][0] for n in range(common)):
        return None
    return {
        n for n in range(max(len(before), len(after))) if n >= common or before[n] != after[n]
    }


def update(
    entries: Mapping[str, str],
    old: Mapping[int, Analysed],
    new: Mapping[int, Analysed],
    analysis_of: Callable[[int], Analysed],
) -> dict[str, str | None]:
    """The new entry text of every term whose entry changes (None: the term is gone), given
    the old and new analysis of each changed document (a document absent from `old` was
    added, one absent from `new` removed), the current `entries` by term, and the analysis of
    any unchanged document (for a term whose first document moves to it)."""
    changed = old.keys() | new.keys()
    touched, moved = _touched(old, new)
    touched.update(term for term, where in moved.items()
                   if term not in touched and (text := entries.get(term)) and _first(text) in where)
    counts = {doc: [dict(zip(terms, tfs, strict=True)) for terms, tfs, _ in analysed]
              for doc, analysed in sorted(new.items())}
    out: dict[str, str | None] = {}
    for term in touched:
        text = entries.get(term)
        added: Postings = [[] for _ in FIELDS]
        for doc, fields in counts.items():
            for f, found in enumerate(fields):
                if (tf := found.get(term)) is not None:
                    added[f].append((doc, tf))
        if text and not old and (result := _appended(text, added)) is not None:
            if result != text:
                out[term] = result
            continue
        entry = decode(text) if text else Entry(term, 0, [[] for _ in FIELDS])
        postings: Postings = [[p for p in field if p[0] not in changed] for field in entry.postings]
        for field, more in zip(postings, added, strict=True):
            field += more
        for field in postings:
            field.sort()
        if not any(postings):
            if text:
                out[term] = None
            continue
        fresh = Entry(term, 0, postings)
        doc, f = fresh.first
        if doc in new:
            position = new[doc][f][0].index(term)
        elif text and entry.first == (doc, f):
            position = entry.position
        else:
            position = analysis_of(doc)[f][0].index(term)
        result = encode(Entry(term, position, postings))
        if result != text:
            out[term] = result
    return out


def _appended(text: str, added: Postings) -> str | None:
    """`text` with the postings `added` (per field, ascending) after those of its fields, as
    `encode` would write the whole entry, without decoding it: documents added at the end of
    the archive leave every posting before them and the term's first appearance as they are.
    None when an added document is not above every one the field lists."""
    end = json.decoder.scanstring(text, 2)[1]  # past the term
    at = text.index(",", end + 1) + 1  # past the position
    head, fields = text[:at], []
    while at < len(text) - 1:
        if text[at] == "[":
            close = text.index("]", at)
            fields.append(text[at : close + 1])
            at = close + 2
        else:  # "0": an empty field
            fields.append("0")
            at += 2
    for f, pairs in enumerate(added):
        if not pairs:
            continue
        fields += ["0"] * (f + 1 - len(fields))
        numbers = fields[f][1:-1].split(",") if fields[f] != "0" else []
        last = sum(map(int, numbers[0::2]))
        if pairs[0][0] <= last and numbers:
            return None
        docs, tfs = zip(*pairs, strict=True)
        deltas = map(operator.sub, docs, (last, *docs[:-1]))
        more = ",".join(map(str, chain.from_iterable(zip(deltas, tfs, strict=True))))
        fields[f] = f"{fields[f][:-1]},{more}]" if numbers else f"[{more}]"
    return head + ",".join(fields) + "]"
