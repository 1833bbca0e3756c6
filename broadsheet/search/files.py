"""Search files: the chunked lunr index, its manifest and the per-article result store.

Everything under `search/` is a script that hands its data to one global callback
(`__broadsheetSearch(name, data)`), because `fetch` of a JSON file fails from `file://` and a
`<script src>` does not. `static/search.js` loads the manifest, then only the term chunks a
query needs and the store entries of the results it shows.

- `search/manifest.js`   lunr version, fields and boosts, document count, build id, and for each
                         term chunk its first term and size (a term or prefix maps to chunks by
                         binary search; sizes let the page skip prefixes too costly to expand)
- `search/index/N.js`    term chunk N (see `search_index` for the encoding)
- `search/doc/N.js`      display data and plain text of document N (for snippets)
"""

from __future__ import annotations

import hashlib
import json

from .. import urls
from ..model import Article
from ..render.templates import isodate, longdate
from . import index
from .index import FIELDS, Doc
from .lunr import LUNR_VERSION

CALLBACK = "__broadsheetSearch"


def document(article: Article) -> Doc:
    """The indexed text of an article, one string per field of `FIELDS`."""
    return Doc(
        (
            article.title,
            " ".join(t.name for t in article.tags),
            " ".join(article.authors),
            article.summary,
            article.text,
        )
    )


def store_entry(article: Article) -> dict:
    """What a result shows: short keys, because the page downloads one per result shown."""
    return {
        "t": article.title,
        "u": article.path,
        "d": isodate(article.date, article.has_time),
        "D": longdate(article.date),
        "g": [[t.name, urls.tag(t.slug)] for t in article.tags],
        "a": list(article.authors),
        "s": article.summary,
        "i": article.photo_path or "",
        "x": article.text,
    }


def chunk_file(name: str, texts: list[str]) -> bytes:
    return _script(f"index/{name}", "[" + ",".join(texts) + "]")


def doc_file(n: int, entry: dict) -> bytes:
    return _script(f"doc/{n}", _json(entry))


def lengths_files(lengths: list[tuple[int, ...]]) -> dict[str, bytes]:
    """The field lengths of documents, `LENGTH_BLOCK` to a file: one flat JSON array of
    `len(FIELDS)` numbers per document."""
    size = index.LENGTH_BLOCK
    blocks = [lengths[i : i + size] for i in range(0, len(lengths), size)] or [[]]
    return {
        f"search/lengths/{n}.js": _script(
            f"lengths/{n}", "[" + ",".join(str(v) for row in block for v in row) + "]")
        for n, block in enumerate(blocks)
    }


def manifest_file(documents: int, lengths: list[tuple[int, ...]], chunks: list,
                  digests: dict[str, str]) -> bytes:
    """The manifest: what the page needs before loading any chunk. `chunks` are the chunk rows in
    order; `digests` that of every other search file, whose hash is the id
    the page adds to each file's URL (a changed chunk keeps its name)."""
    sums = [sum(column) for column in zip(*lengths, strict=True)] if lengths else []
    id_digest = hashlib.sha256()
    for name in sorted(digests):
        id_digest.update(f"{name}\0{digests[name]}\n".encode())
    manifest = {
        "version": LUNR_VERSION,
        "id": id_digest.hexdigest()[:12],
        "fields": [name for name, _ in FIELDS],
        "boosts": [boost for _, boost in FIELDS],
        "k1": index.K1,
        "b": index.B,
        "docs": documents,
        "sums": sums or [0] * len(FIELDS),
        "block": index.LENGTH_BLOCK,
        "chunks": [c.first for c in chunks],
        "sizes": [c.size for c in chunks],
        "files": [c.name for c in chunks],
    }
    return _script("manifest", _json(manifest))


def _digest(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def chunk_name(first: str, taken: list[str]) -> str:
    """A chunk's file is named by its first term, so a chunk keeps its name while others come
    and go (8 hex digits; a clash, most unlikely, takes a suffix)."""
    name = hashlib.blake2b(first.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    while name in taken:
        name += "x"
    return name


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def _script(name: str, data: str) -> bytes:
    return f"{CALLBACK}({_json(name)},{data});\n".encode("ascii", "backslashreplace")
