"""The search files of a build, made from the previous build's index where that is exact.

The index between builds (kept in the build cache) is: per document number, the article it
holds, the key of its source and analysis, its field lengths and its store file's digest; per
term, its entry (see `index`); the chunks, each by its first term. An edit re-analyses the
documents that changed, rewrites the entries of their terms (`update`), re-cuts only the
chunks around those terms and writes only the files whose bytes changed: those chunks, the
changed documents' store files, a block of lengths and the manifest.

Documents are numbered oldest first, so a build without a cache numbers them the same way and
an incremental build equals a clean one; a new article (the newest) takes the next number and
no other article's number or store file moves. An article inserted among older ones renumbers
those after it, which is a full rebuild of the index (as is any change of many documents).
"""

from __future__ import annotations

import hashlib
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .. import workers
from ..model import Site
from . import files, index, update
from .index import Analysed, Analyser, Doc, js_sort_key

REBUILD_FROM = 0.2  # a larger share of changed documents is rebuilt whole (it is faster)


@dataclass(frozen=True)
class DocRow:
    """Document n of the index."""

    ident: str  # the article's source file
    source: str  # its cache key: the same key means the same fields and store entry
    key: bytes  # of its analysis
    lengths: tuple[int, ...]  # per field
    store: str  # digest of its store file


@dataclass(frozen=True)
class ChunkRow:
    first: str  # its first term (names it)
    name: str
    size: int  # bytes of its file
    digest: str  # of its file


@dataclass(frozen=True)
class Stored:
    """The previous build's index, read lazily from the build cache."""

    docs: tuple[DocRow, ...]
    chunks: tuple[ChunkRow, ...]
    entries: Callable[[list[str]], dict[str, str]]  # the entries of these terms
    run: Callable[[str, str | None], list[tuple[str, str]]]  # (term, entry), first <= t < end
    analysis: Callable[[bytes], Analysed | None]


@dataclass(frozen=True)
class Built:
    """The search files to write, every search file's name, and what the cache must learn."""

    files: dict[str, bytes]
    names: tuple[str, ...]
    docs: tuple[DocRow, ...]
    chunks: tuple[ChunkRow, ...]
    terms: dict[str, str | None]  # entry changes (None: the term is gone)
    whole: bool  # `terms` is every entry (the previous ones are all replaced)
    analyses: dict[bytes, Analysed]  # analyses to keep, of documents new to the index
    changed: frozenset[int] = frozenset()  # documents whose row changed, unless `whole`
    spilled: dict[str, object] = field(default_factory=dict)  # files `spill` took, by name


Spill = Callable[[str, bytes], object]  # file name, bytes -> where it is now (None: keep it)


def build(site: Site, keys: Mapping[str, str], previous: Stored | None,
          spill: Spill | None = None) -> Built:
    """The search files of `site`; `keys` gives each article's cache key by source; `spill`
    (see `Spill`) takes the store files of a whole index."""
    articles = site.articles[::-1]  # oldest first: a new article takes the next number
    return build_documents([(a.source, keys[a.source]) for a in articles],
                           lambda n: files.document(articles[n]),
                           lambda n: files.store_entry(articles[n]), previous, spill=spill)


def build_documents(wanted: list[tuple[str, str]], document: Callable[[int], Doc],
                    entry: Callable[[int], dict], previous: Stored | None,
                    cut_every: int = index.CUT_EVERY, spill: Spill | None = None) -> Built:
    """The search files of documents 0..n-1, each named by (identity, source key) in
    `wanted`, with its fields and store entry given by number."""
    analyser = Analyser()
    if previous is not None and previous.docs:
        before = [(row.ident, row.source) for row in previous.docs]
        changed = update.changed_documents(before, wanted)
        if changed is not None and len(changed) <= REBUILD_FROM * max(len(wanted), 1):
            try:
                return _update(wanted, document, entry, changed, previous, analyser, cut_every)
            except Missing:
                pass
    return _cold(document, entry, wanted, analyser, cut_every, spill)


class Missing(Exception):
    """The cache lacks something an update needs: build the index whole instead."""


def search_files(docs: list[Doc], entries: list[dict], cut_every: int = index.CUT_EVERY
                 ) -> dict[str, bytes]:
    """The search files of documents numbered 0..n-1 in this order, with their store entries,
    built whole."""
    return build_documents([(str(n), "") for n in range(len(docs))], docs.__getitem__,
                           entries.__getitem__, None, cut_every).files


def _cold(document: Callable[[int], Doc], entry: Callable[[int], dict],
          wanted: list[tuple[str, str]], analyser: Analyser, cut_every: int = index.CUT_EVERY,
          spill: Spill | None = None) -> Built:
    """The index built whole; documents are analysed in workers, each keeping only its
    analysis (their text is not kept: at 10,000 articles it was 100 MB)."""
    def analyse(n: int) -> tuple[Analysed, bytes]:
        doc = document(n)
        return analyser.analyse(doc), _key(doc)

    analysed, keys = [], []
    for found, key in workers.map_numbers(analyse, len(wanted)):
        # a worker's strings: one object a term again, as `Analyser.analyse` makes them
        analysed.append(tuple((tuple(map(sys.intern, terms)), counts, length)
                              for terms, counts, length in found))
        keys.append(key)
    built = index.build(analysed)
    texts = index.entries(built)
    cut = index.chunks(built.terms, texts, cut_every)
    out: dict[str, bytes] = {}
    chunks = _chunk_rows([(built.terms[s] if s < e else "", built.terms[s:e], texts[s:e])
                          for s, e in cut], out)
    rows, spilled = [], {}
    for n, (ident, source) in enumerate(wanted):
        data = files.doc_file(n, entry(n))
        name = f"search/doc/{n}.js"
        if spill is None or (kept := spill(name, data)) is None:
            out[name] = data
        else:
            spilled[name] = kept
        rows.append(DocRow(ident, source, keys[n],
                           tuple(length for _, _, length in analysed[n]), _digest(data)))
    analyses = {row.key: a for row, a in zip(rows, analysed, strict=True)}
    return _finish(out, rows, chunks, dict(zip(built.terms, texts, strict=True)), True, analyses,
                   spilled=spilled)


def _update(wanted, document, entry, changed: set[int], previous: Stored, analyser: Analyser,
            cut_every: int) -> Built:
    rows = list(previous.docs[: len(wanted)])
    old: dict[int, Analysed] = {}
    new: dict[int, Analysed] = {}
    analyses: dict[bytes, Analysed] = {}
    out: dict[str, bytes] = {}
    for n in sorted(changed):
        if n < len(previous.docs):
            old[n] = _analysis(previous, previous.docs[n].key)
        if n < len(wanted):
            doc = document(n)
            key = _key(doc)
            analysed = previous.analysis(key) or analyser.analyse(doc)
            new[n], analyses[key] = analysed, analysed
            data = files.doc_file(n, entry(n))
            out[f"search/doc/{n}.js"] = data
            row = DocRow(*wanted[n], key, tuple(length for _, _, length in analysed),
                         _digest(data))
            if n < len(rows):
                rows[n] = row
            else:  # new documents take the numbers after the last, in order
                rows.append(row)
    touched = sorted({t for a in (*old.values(), *new.values()) for terms, _, _ in a
                      for t in terms})
    current = previous.entries(touched)
    terms = update.update(current, old, new, lambda n: _analysis(previous, rows[n].key))
    chunks = list(previous.chunks)
    if terms:
        chunks = _recut(previous, terms, out, cut_every)
    return _finish(out, rows, chunks, terms, False, analyses, frozenset(changed))


def _analysis(previous: Stored, key: bytes) -> Analysed:
    found = previous.analysis(key)
    if found is None:
        raise Missing
    return found


def _recut(previous: Stored, terms: dict[str, str | None], out: dict[str, bytes],
           cut_every: int) -> list[ChunkRow]:
    """The chunk list after `terms` changed: the chunks holding changed terms, with one
    untouched chunk either side (whose outer boundaries cannot move), are cut again."""
    chunks = previous.chunks
    firsts = [js_sort_key(c.first) for c in chunks]
    changed = sorted((js_sort_key(t), t) for t in terms)  # each span takes its run of these
    keys = [key for key, _ in changed]
    hit = sorted({max(0, bisect_right(firsts, key) - 1) for key in keys})
    spans: list[list[int]] = []
    for k in hit:
        lo, hi = max(0, k - 1), min(len(chunks) - 1, k + 1)
        if spans and lo <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], hi)
        else:
            spans.append([lo, hi])
    result: list[tuple[str, tuple, list] | ChunkRow] = list(chunks[: spans[0][0]])
    for i, (lo, hi) in enumerate(spans):
        end = chunks[hi + 1].first if hi + 1 < len(chunks) else None
        entries = dict(previous.run(chunks[lo].first if lo else "", end))
        start = bisect_left(keys, firsts[lo]) if lo else 0
        stop = len(keys) if end is None else bisect_left(keys, js_sort_key(end))
        for _, term in changed[start:stop]:
            if (text := terms[term]) is None:
                entries.pop(term, None)
            else:
                entries[term] = text
        ordered = sorted(entries, key=js_sort_key)
        texts = [entries[t] for t in ordered]
        result += [(ordered[s], tuple(ordered[s:e]), texts[s:e])
                   for s, e in index.chunks(tuple(ordered), texts, cut_every) if s < e]
        following = spans[i + 1][0] if i + 1 < len(spans) else len(chunks)
        result += chunks[hi + 1: following]
    if not any(isinstance(c, tuple) or c.first for c in result):
        raise Missing  # no term is left: the cold build writes the empty index
    return _chunk_rows(result, out, previous)


def _chunk_rows(chunks: list, out: dict[str, bytes], previous: Stored | None = None
                ) -> list[ChunkRow]:
    """Name every chunk (by its first term, in order, as the cold build does) and write the
    new ones; `chunks` holds ChunkRows kept as they were and (first, terms, texts) cut anew."""
    rows, taken = [], []
    for chunk in chunks:
        first = chunk.first if isinstance(chunk, ChunkRow) else chunk[0]
        name = files.chunk_name(first, taken)
        taken.append(name)
        if isinstance(chunk, ChunkRow) and chunk.name == name:
            rows.append(chunk)
            continue
        if isinstance(chunk, ChunkRow):  # renamed by a clash of names: written again
            assert previous is not None
            nxt = chunks[len(rows) + 1] if len(rows) + 1 < len(chunks) else None
            end = nxt.first if isinstance(nxt, ChunkRow) else nxt[0] if nxt else None
            texts = [text for _, text in previous.run(first, end)]
        else:
            texts = chunk[2]
        data = files.chunk_file(name, texts)
        out[f"search/index/{name}.js"] = data
        rows.append(ChunkRow(first, name, len(data), _digest(data)))
    return rows


def _finish(out: dict[str, bytes], rows: list[DocRow], chunks: list[ChunkRow],
            terms: dict[str, str | None], whole: bool, analyses: dict,
            changed: frozenset[int] = frozenset(), spilled: dict | None = None) -> Built:
    lengths = [row.lengths for row in rows]
    digests = {f"search/index/{c.name}.js": c.digest for c in chunks}
    digests.update({f"search/doc/{n}.js": row.store for n, row in enumerate(rows)})
    for name, data in files.lengths_files(lengths).items():
        out[name], digests[name] = data, _digest(data)
    manifest = files.manifest_file(len(rows), lengths, chunks, digests)
    out["search/manifest.js"] = manifest
    names = tuple(sorted([*digests, "search/manifest.js"]))
    return Built(out, names, tuple(rows), tuple(chunks), terms, whole, analyses, changed,
                 spilled or {})


def _key(doc: Doc) -> bytes:
    return hashlib.blake2b("\0".join(doc.fields).encode("utf-8", "surrogatepass")).digest()


def _digest(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()
