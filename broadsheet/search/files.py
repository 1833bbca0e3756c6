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
from ..model import Article, Site
from ..render.templates import isodate, longdate
from . import index
from .index import FIELDS, Analyser, Doc
from .lunr import LUNR_VERSION

CALLBACK = "__broadsheetSearch"
_ANALYSER = Analyser()  # kept between builds in one process (watch mode, benchmark re-runs)


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


def analysis() -> dict:
    """The per-document analysis remembered from the last build, to keep across processes."""
    return _ANALYSER._cache


def has_analysis() -> bool:
    return bool(_ANALYSER._cache)


def restore_analysis(remembered: dict) -> None:
    """Take back what `analysis()` gave, unless this process already has its own."""
    if not _ANALYSER._cache and isinstance(remembered, dict):
        _ANALYSER._cache = remembered


def build_files(site: Site) -> dict[str, bytes]:
    """Site path -> bytes of every search file. Deterministic: same site, same bytes."""
    articles = site.articles[::-1]  # oldest first: a new article takes the next number
    return search_files([document(a) for a in articles], [store_entry(a) for a in articles])


def search_files(
    docs: list[Doc], entries: list[dict], cut_every: int = index.CUT_EVERY
) -> dict[str, bytes]:
    """The search files of documents numbered 0..n-1 in this order, with their store entries.
    Every file but the manifest depends only on what it holds (see `index`)."""
    built = index.build(_ANALYSER.analyse_all(docs))
    texts = index.entries(built)
    files: dict[str, bytes] = {}
    firsts, sizes, names = [], [], []
    for start, end in index.chunks(built.terms, texts, cut_every):
        first = built.terms[start] if start < end else ""
        name = _chunk_name(first, names)
        files[f"search/index/{name}.js"] = _script(
            f"index/{name}", "[" + ",".join(texts[start:end]) + "]")
        firsts.append(first)
        sizes.append(len(files[f"search/index/{name}.js"]))
        names.append(name)
    for n, text in enumerate(index.lengths_blocks(built)):
        files[f"search/lengths/{n}.js"] = _script(f"lengths/{n}", text)
    for n, entry in enumerate(entries):
        files[f"search/doc/{n}.js"] = _script(f"doc/{n}", _json(entry))
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name])
    manifest = {
        "version": LUNR_VERSION,
        "id": digest.hexdigest()[:12],
        "fields": [name for name, _ in FIELDS],
        "boosts": [boost for _, boost in FIELDS],
        "k1": index.K1,
        "b": index.B,
        "docs": built.documents,
        "sums": built.sums,
        "block": index.LENGTH_BLOCK,
        "chunks": firsts,
        "sizes": sizes,
        "files": names,
    }
    files["search/manifest.js"] = _script("manifest", _json(manifest))
    return files


def _chunk_name(first: str, taken: list[str]) -> str:
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
