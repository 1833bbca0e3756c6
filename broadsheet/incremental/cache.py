"""The build cache in `.broadsheet-cache/build.sqlite`: what earlier builds computed.

Two kinds of knowledge live here, trusted differently:
- by content: each article's parse result under the SHA-256 of its bytes and vocabulary (with
  the photo and image digests it depended on), and the search analysis of each document under
  the hash of its text. These are right whatever happened since, so they are always used.
- about the site folder: each output file's page fingerprint and content digest, the search
  files, the spare tree. These describe one particular build, named by its site id, and are
  used only while `site/` carries that id in its marker file (see `output`). A build killed
  between the swap and the commit leaves the marker naming a build the cache does not know,
  so the next build trusts nothing about the folder and compares everything.

Records are JSON (see `records`), so a cache restored from a shared store cannot run code; a
corrupt file, a record of the wrong shape, another engine version or another config all mean
an empty cache and so a cold build, never a wrong one. Each build commits in one transaction,
after its site was swapped in.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import sqlite3
import stat
from dataclasses import dataclass, field, fields
from pathlib import Path

from .. import localkey, records
from ..config import Config
from ..diagnostics import Diagnostic
from ..model import Article, Body
from ..search import state
from ..search.index import js_sort_key

CACHE_DIR = ".broadsheet-cache"
FORMAT = 7
Result = tuple[Article | None, dict[tuple[str, str], tuple[int, int]], list[Diagnostic]]
Analysed = tuple[tuple[tuple[str, ...], tuple[int, ...], int], ...]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (source TEXT PRIMARY KEY, key TEXT NOT NULL,
    deps TEXT NOT NULL, result TEXT NOT NULL, card TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS article_keys ON articles (source, key);
CREATE TABLE IF NOT EXISTS bodies (source TEXT PRIMARY KEY, key TEXT NOT NULL,
    html TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, fingerprint TEXT, digest TEXT,
    copied INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS spare (path TEXT PRIMARY KEY, digest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS analysis (key BLOB PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen (path TEXT PRIMARY KEY, signature TEXT NOT NULL,
    digest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS search_docs (n INTEGER PRIMARY KEY, ident TEXT NOT NULL,
    source TEXT NOT NULL, key BLOB NOT NULL, lengths TEXT NOT NULL, store TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS search_chunks (n INTEGER PRIMARY KEY, first TEXT NOT NULL,
    name TEXT NOT NULL, size INTEGER NOT NULL, digest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS search_terms (sortkey BLOB PRIMARY KEY, term TEXT NOT NULL,
    entry TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plans (path TEXT PRIMARY KEY, plan TEXT NOT NULL);
"""


class Missing(Exception):
    """A body the cache listed is gone (another build replaced it since this one loaded):
    the build starts again from scratch."""


class _Bodies:
    """Reads article bodies from the cache database on demand, one connection a process
    (forked render workers read too; a connection must not cross a fork)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db: sqlite3.Connection | None = None
        self.pid = 0

    def get(self, source: str, key: str) -> Body:
        try:
            if self.db is None or self.pid != os.getpid():
                self.db = _connection(self.path)
                self.pid = os.getpid()
            row = self.db.execute("SELECT html, text FROM bodies WHERE source = ? AND key = ?",
                                  (source, key)).fetchone()
        except sqlite3.Error:
            row = None
        if row is None or not all(isinstance(v, str) for v in row):
            raise Missing(source)
        return Body(*row)


class StoredBody:
    """An article's body still in the cache: read the first time it is used, then kept.
    Equal to another stored body of the same file and content key."""

    __slots__ = ("_bodies", "_body", "_key", "_source")

    def __init__(self, bodies: _Bodies, source: str, key: str) -> None:
        self._bodies, self._source, self._key = bodies, source, key
        self._body: Body | None = None

    def _read(self) -> Body:
        if self._body is None:
            self._body = self._bodies.get(self._source, self._key)
        return self._body

    @property
    def html(self) -> str:
        return self._read().html

    @property
    def text(self) -> str:
        return self._read().text

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoredBody):
            return (self._source, self._key) == (other._source, other._key)
        return self._read() == other

    def __hash__(self) -> int:
        return hash(self._key)


_NO_BODY = Body("", "")


@dataclass(frozen=True)
class ArticleEntry:
    key: str  # SHA-256 of the vocabulary and the file's bytes
    photo: tuple | None  # ((file, content digest or False), ...) the result depended on
    result: Result  # as articles.load returned it
    card: str = ""  # the digest of the article's card (`pages.card_digest`), "" for none


@dataclass(frozen=True)
class Manifest:
    """What the last build of the site said of itself, for a build with no change at all."""

    inputs: str
    rest: str  # the inputs' digest but the articles (see `inputs.Inputs.rest`)
    articles: int
    pages: int
    diagnostics: tuple[Diagnostic, ...]


@dataclass
class BuildCache:
    articles: dict[str, ArticleEntry] = field(default_factory=dict)  # by source name
    seen: dict[str, tuple[str, str]] = field(default_factory=dict)  # see `inputs`
    # about the site folder whose marker says `site_id` (empty: nothing known)
    site_id: str = ""
    manifest: Manifest | None = None
    pages: dict[str, str] = field(default_factory=dict)  # output path -> fingerprint
    copies: dict[str, str] = field(default_factory=dict)  # output path -> content digest
    written: dict[str, str] = field(default_factory=dict)  # generated file -> digest of bytes
    outputs: frozenset[str] = frozenset()  # every file of that site
    search_files: tuple[str, ...] = ()  # its search files
    search_built: state.Built | None = None  # the search index to commit with this build
    listings: dict = field(default_factory=dict)  # in memory only: see `pages.Digests`
    page_keys: dict | None = None  # in memory only, kept by a session: see `pages.Digests`
    cards: dict = field(default_factory=dict)  # in memory only: see `views.Cards`
    spare_id: str = ""  # the spare tree beside it (output.py), by its marker
    spare: dict[str, str] | None = None  # file -> digest in the spare tree
    related: tuple[str, tuple] | None = None  # (digest of every article's tags, numbers)
    related_of: tuple | None = None  # in memory only: the tags and limit `related` is of
    plan_id: str = ""  # the site whose pages the stored plans describe (see `plans`)
    plans: dict[str, str] | None = None  # this build's page plans to store, by page
    plans_whole: bool = False  # `plans` has every page's: the stored ones are all replaced

    def forget_site(self) -> None:
        """Drop what is known about the output folder (it is not the build recorded)."""
        self.site_id, self.manifest, self.plan_id = "", None, ""
        self.pages, self.copies, self.written = {}, {}, {}
        self.outputs, self.search_files = frozenset(), ()
        self.forget_spare()

    def forget_spare(self) -> None:
        self.spare_id, self.spare = "", None

    def snapshot(self) -> BuildCache:
        """A copy to diff against when saving (values are shared: they are never mutated)."""
        return dataclasses.replace(
            self, articles=dict(self.articles), seen=dict(self.seen), pages=dict(self.pages),
            copies=dict(self.copies), written=dict(self.written),
        )


@functools.cache
def code_digest() -> str:
    """Changes whenever the engine's code does, so a new version never trusts old results."""
    digest = hashlib.sha256(str(FORMAT).encode())
    for name, path in code_files():
        digest.update(name.encode() + path.read_bytes())
    return digest.hexdigest()


def code_files() -> list[tuple[str, Path]]:
    """Every module of the engine, every subpackage included, by its name in the package."""
    package = Path(__file__).resolve().parent.parent  # broadsheet/, above incremental/
    return [(path.relative_to(package).as_posix(), path) for path in sorted(package.rglob("*.py"))]


def config_digest(config: Config) -> str:
    values = [(f.name, getattr(config, f.name)) for f in fields(config)]
    return hashlib.sha256(repr(values).encode()).hexdigest()


def location(config: Config) -> Path:
    return config.root / CACHE_DIR / "build.sqlite"


def folder(config: Config) -> Path | None:
    """The cache folder, if it is a real folder of the repository (or can be made one); None
    when something else stands there: a link could send the cache's writes anywhere."""
    path = config.root / CACHE_DIR
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        return None
    return path


@contextlib.contextmanager
def _connect(config: Config, create: bool):
    """The cache database if it is ours (signed with this machine's key), this engine's and
    this config's; else None, or with `create` a fresh empty one in its place (a foreign file
    is replaced, never altered)."""
    path = location(config)
    if folder(config) is None or (not create and not _plain(path)):
        yield None
        return
    try:
        if create:
            path.parent.mkdir(exist_ok=True)
            (path.parent / ".gitignore").unlink(missing_ok=True)
            (path.parent / ".gitignore").write_text("*\n")
        db = _open(path, config, create)
    except (OSError, sqlite3.Error):
        db = None
    try:
        yield db
    finally:
        if db is not None:
            db.close()


def _connection(path: Path) -> sqlite3.Connection:
    """SQLite reading through a memory map: scanning 10,000 records by `read` calls, a page
    at a time, took ten times as long (0.34 s against 0.03 s)."""
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    db.execute("PRAGMA mmap_size = 4294967296")
    return db


def _plain(path: Path) -> bool:
    """A regular file, not a link to one."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _open(path: Path, config: Config, create: bool) -> sqlite3.Connection | None:
    expected = {"format": str(FORMAT), "engine": code_digest(), "config": config_digest(config),
                "owner": localkey.sign("cache")}  # a database committed to the repo is not ours
    if _plain(path):
        db = _connection(path)
        try:
            if dict(db.execute("SELECT key, value FROM meta")) == expected:
                return db
        except sqlite3.Error:
            pass
        db.close()
    if not create:
        return None
    for name in (path.name, path.name + "-journal", path.name + "-wal", path.name + "-shm"):
        (path.parent / name).unlink(missing_ok=True)
    db = _connection(path)
    db.execute("BEGIN IMMEDIATE")
    for statement in filter(str.strip, _SCHEMA.split(";")):
        db.execute(statement)
    db.executemany("INSERT INTO meta VALUES (?, ?)", expected.items())
    db.execute("COMMIT")
    return db


def load(config: Config, seen: dict[str, tuple[str, str]] | None = None) -> BuildCache:
    """Everything the last build kept; an empty cache when there is none or it is not usable.
    `seen`: the `seen` table, when the caller read it already (`load_seen`)."""
    try:
        with _connect(config, create=False) as db:
            return _load(db, location(config), seen) if db is not None else BuildCache()
    except (sqlite3.Error, ValueError, OSError):
        return BuildCache()


def _load(
    db: sqlite3.Connection, path: Path, seen: dict[str, tuple[str, str]] | None
) -> BuildCache:
    cache = BuildCache()
    bodies = _Bodies(path)
    for source, key, deps, result, card in db.execute(
        "SELECT source, key, deps, result, card FROM articles"
    ):
        if (entry := _entry(bodies, source, key, deps, result, card)) is not None:
            cache.articles[source] = entry
    return _load_site(db, cache, seen)


def _entry(bodies: _Bodies, source: str, key: str, deps: str, result: str, card: str
           ) -> ArticleEntry | None:
    try:
        entry = ArticleEntry(key, _deps(deps), records.loads(result, Result), _text(card))
    except ValueError:
        return None  # one bad record costs one parse
    if entry.result[0] is not None:  # a fresh record: no other reference to it yet
        object.__setattr__(entry.result[0], "body", StoredBody(bodies, source, key))
    return entry


def _load_site(
    db: sqlite3.Connection, cache: BuildCache, seen: dict[str, tuple[str, str]] | None
) -> BuildCache:
    """All but the articles' records: what the cache knows of the site folder."""
    cache.seen = _seen(db) if seen is None else seen
    state = {key: json.loads(value) for key, value in db.execute("SELECT * FROM state")}
    cache.related = _related(state.get("related"))
    if "site_id" not in state:
        return cache
    cache.site_id = state["site_id"]
    cache.plan_id = _text(state.get("plan_id", ""))
    cache.manifest = records.loads(json.dumps(state["manifest"]), Manifest)
    cache.search_files = tuple(state["search_files"])
    rows = db.execute("SELECT * FROM outputs").fetchall()
    for path, fingerprint, digest, copied in rows:
        if fingerprint is not None:
            cache.pages[path] = fingerprint
        if digest is not None:
            (cache.copies if copied else cache.written)[path] = digest
    cache.outputs = frozenset(row[0] for row in rows)
    if state.get("spare_id"):
        cache.spare_id, cache.spare = state["spare_id"], dict(db.execute("SELECT * FROM spare"))
    return cache


class Reader:
    """The cache database a query at a time, for a build that needs a few of its rows (an
    edit that no listing sees: `incremental.edits`)."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db, self.bodies = db, _Bodies(path)

    def site(self, seen: dict[str, tuple[str, str]]) -> BuildCache:
        """Everything but the articles (see `load`)."""
        return _load_site(self.db, BuildCache(), seen)

    def keys(self) -> dict[str, str]:
        """Every article's content key, by source."""
        return dict(self.db.execute("SELECT source, key FROM articles"))

    def entries(self, sources: set[str]) -> dict[str, ArticleEntry]:
        """The records of these articles (those that can be read)."""
        found = {}
        for row in self.db.execute(
            "SELECT source, key, deps, result, card FROM articles WHERE source IN "
            "(SELECT value FROM json_each(?)) ORDER BY source", (json.dumps(sorted(sources)),)
        ):
            if (entry := _entry(self.bodies, *row)) is not None:
                found[row[0]] = entry
        return found

    def plans(self, marks: list[str]) -> dict[str, str]:
        """The plans that hold one of these texts, by page (a scan of 7 MB at 10,000 articles:
        some 20 ms a text, where a table of what each page shows cost 0.7 s a cold build)."""
        found = {}
        for mark in marks:
            found.update(self.db.execute(
                "SELECT path, plan FROM plans WHERE instr(plan, ?) > 0", (mark,)))
        return found


@contextlib.contextmanager
def reader(config: Config):
    """A `Reader` of the cache, or None when there is none that can be used."""
    with _connect(config, create=False) as db:
        yield Reader(db, location(config)) if db is not None else None


def _related(value: object) -> tuple[str, tuple] | None:
    """`model.related_numbers`'s answer as the last build kept it, if it has that shape."""
    try:
        key, numbers = value
        chosen = tuple(tuple(n) for n in numbers)
    except (TypeError, ValueError):
        return None
    if type(key) is not str or not all(type(n) is int and 0 <= n < len(chosen)
                                       for row in chosen for n in row):
        return None
    return key, chosen


def _text(value: object) -> str:
    if type(value) is not str:
        raise ValueError("not text")
    return value


def _deps(text: str) -> tuple | None:
    value = json.loads(text)
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(v, list) and len(v) == 2 and isinstance(v[0], str) for v in value
    ):
        raise ValueError("deps")
    return tuple((name, digest) for name, digest in value)


def _seen(db: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    return {path: (mark, digest) for path, mark, digest in db.execute("SELECT * FROM seen")}


def load_seen(config: Config) -> dict[str, tuple[str, str]]:
    """What the last build recorded of each file it read (see `inputs`)."""
    try:
        with _connect(config, create=False) as db:
            return _seen(db) if db is not None else {}
    except (sqlite3.Error, ValueError, OSError):
        return {}


def load_manifest(config: Config) -> tuple[str, Manifest, list[str]] | None:
    """(site id, manifest, output files) of the last build, without loading anything else."""
    try:
        with _connect(config, create=False) as db:
            if db is None:
                return None
            state = {k: json.loads(v) for k, v in db.execute(
                "SELECT * FROM state WHERE key IN ('site_id', 'manifest')")}
            if "site_id" not in state:
                return None
            manifest = records.loads(json.dumps(state["manifest"]), Manifest)
            outputs = [p for (p,) in db.execute("SELECT path FROM outputs")]
            return state["site_id"], manifest, outputs
    except (sqlite3.Error, ValueError, OSError):
        return None


def save(config: Config, cache: BuildCache, before: BuildCache | None = None) -> None:
    """Write `cache` in one transaction, only what differs from `before` (what the database
    held). A cache that cannot be written only costs speed next time."""
    before = before or BuildCache()
    try:
        with _connect(config, create=True) as db:
            if db is not None:
                _save(db, cache, before)
    except (sqlite3.Error, OSError):
        with contextlib.suppress(OSError):
            location(config).unlink()  # never leave a half-trusted cache behind


def _save(db: sqlite3.Connection, cache: BuildCache, before: BuildCache) -> None:
    db.execute("PRAGMA mmap_size = 0")  # the pages a commit reads would count as its memory
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute("SELECT value FROM state WHERE key = 'site_id'").fetchone()
        plan_id = cache.plan_id
        if (json.loads(row[0]) if row else "") != before.site_id:
            # another process committed since `before` was read: rewrite everything but the
            # articles both builds parsed alike (bodies not read are in those rows only)
            db.execute("DELETE FROM outputs")
            db.execute("DELETE FROM seen")
            stored = set(db.execute("SELECT source, key FROM articles"))
            before = BuildCache(articles={s: e for s, e in cache.articles.items()
                                          if (s, e.key) in stored})
            db.execute("DELETE FROM plans")
            plan_id = plan_id if cache.plans_whole else ""
            if cache.search_built is not None and not cache.search_built.whole:
                cache = dataclasses.replace(cache, search_files=(), search_built=None)
                db.execute("DELETE FROM search_docs")  # its changes are to another index
            _delete_articles(db, [s for s, _ in stored if s not in before.articles])
        _delete_articles(db, before.articles.keys() - cache.articles.keys())
        for source, e in cache.articles.items():  # a row at a time (a cold build's bodies
            if before.articles.get(source) is e or isinstance(_body(e), StoredBody):
                continue  # are 200 MB); a stored body whose row was deleted: parsed again
            row = _article_row(source, e)
            db.execute("INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?)", row[:5])
            db.execute("INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?)",
                       (row[0], row[1], *row[5:]))
        db.executemany("DELETE FROM seen WHERE path = ?",
                       ((p,) for p in before.seen.keys() - cache.seen.keys()))
        db.executemany("INSERT OR REPLACE INTO seen VALUES (?, ?, ?)", (
            (p, *entry) for p, entry in cache.seen.items() if before.seen.get(p) != entry))
        db.executemany("DELETE FROM outputs WHERE path = ?",
                       ((p,) for p in before.outputs - cache.outputs))
        db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?)", _output_rows(
            cache, before))
        _save_spare(db, cache.spare or {}, before.spare)
        if cache.plans is not None:
            _save_plans(db, cache, before)
        state = {
            "site_id": cache.site_id,
            "manifest": records.encode(cache.manifest),
            "search_files": list(cache.search_files),
            "spare_id": cache.spare_id,
            "related": cache.related,
            "plan_id": plan_id,
        }
        db.execute("DELETE FROM state")
        if cache.site_id:
            db.executemany(
                "INSERT INTO state VALUES (?, ?)", ((k, json.dumps(v)) for k, v in state.items())
            )
        if cache.search_built is not None:
            _save_search(db, cache.search_built)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # not when a Ctrl-C lands just after COMMIT returned
            db.execute("ROLLBACK")
        raise


def _save_spare(db: sqlite3.Connection, spare: dict[str, str], before: dict[str, str] | None
                ) -> None:
    """The spare's digests: what changed since `before` (what the table holds, when known)."""
    if before is None:
        db.execute("DELETE FROM spare")
        before = {}
    db.executemany("DELETE FROM spare WHERE path = ?", ((p,) for p in before.keys() - spare))
    db.executemany("INSERT OR REPLACE INTO spare VALUES (?, ?)",
                   ((p, d) for p, d in spare.items() if before.get(p) != d))


def _save_plans(db: sqlite3.Connection, cache: BuildCache, before: BuildCache) -> None:
    """This build's page plans, and those of pages gone removed (see `plans`)."""
    plans = cache.plans or {}
    if cache.plans_whole:
        db.execute("DELETE FROM plans")
    else:
        db.executemany("DELETE FROM plans WHERE path = ?",
                       ((p,) for p in before.pages.keys() - cache.pages.keys() - plans.keys()))
    db.executemany("INSERT OR REPLACE INTO plans VALUES (?, ?)", plans.items())


def _delete_articles(db: sqlite3.Connection, sources) -> None:
    sources = [(s,) for s in sources]
    db.executemany("DELETE FROM articles WHERE source = ?", sources)
    db.executemany("DELETE FROM bodies WHERE source = ?", sources)


def _body(entry: ArticleEntry) -> Body | StoredBody:
    return entry.result[0].body if entry.result[0] is not None else _NO_BODY


def _article_row(source: str, entry: ArticleEntry) -> tuple:
    """The row of one article: its record without the body, then the body (a table of its
    own: scanning the records then reads none of the bodies' pages, 0.4 s at 10,000)."""
    article, marks, problems = entry.result
    body = _body(entry)
    if article is not None:
        article = dataclasses.replace(article, body=_NO_BODY)
    return (source, entry.key, json.dumps(entry.photo), records.dumps((article, marks, problems)),
            entry.card, body.html, body.text)


def _output_rows(cache: BuildCache, before: BuildCache) -> list[tuple]:
    """The rows of `outputs` that differ from `before`'s."""
    rows = []
    for path in cache.outputs:
        row = (path, cache.pages.get(path), cache.copies.get(path) or cache.written.get(path),
               int(path in cache.copies))
        if path not in before.outputs or row[1:] != (
                before.pages.get(path), before.copies.get(path) or before.written.get(path),
                int(path in before.copies)):
            rows.append(row)
    return rows


def _save_search(db: sqlite3.Connection, built: state.Built) -> None:
    """The search index of this build (see `search.state`): its changes, or all of it."""
    if built.whole:
        db.execute("DELETE FROM search_terms")
    db.executemany("DELETE FROM search_terms WHERE sortkey = ?",
                   ((js_sort_key(t),) for t, e in built.terms.items() if e is None))
    db.executemany("INSERT OR REPLACE INTO search_terms VALUES (?, ?, ?)",
                   ((js_sort_key(t), t, e) for t, e in built.terms.items() if e is not None))
    if built.whole:
        db.execute("DELETE FROM search_docs")
    db.execute("DELETE FROM search_docs WHERE n >= ?", (len(built.docs),))
    db.executemany("INSERT OR REPLACE INTO search_docs VALUES (?, ?, ?, ?, ?, ?)", (
        (n, r.ident, r.source, r.key, json.dumps(r.lengths), r.store)
        for n, r in enumerate(built.docs) if built.whole or n in built.changed))
    db.execute("DELETE FROM search_chunks")
    db.executemany("INSERT INTO search_chunks VALUES (?, ?, ?, ?, ?)", (
        (n, c.first, c.name, c.size, c.digest) for n, c in enumerate(built.chunks)))
    db.executemany("INSERT OR REPLACE INTO analysis VALUES (?, ?)",
                   ((k, json.dumps(a)) for k, a in built.analyses.items()))
    if built.whole or built.changed:
        db.execute("DELETE FROM analysis WHERE key NOT IN (SELECT key FROM search_docs)")


@contextlib.contextmanager
def search_index(config: Config):
    """The search index of the last committed build, read lazily (None when there is none or
    it cannot be read; a failure while reading it raises `state.Missing`: a cold index)."""
    with _connect(config, create=False) as db:
        try:
            found = _search_index(db) if db is not None else None
        except (sqlite3.Error, ValueError, TypeError):
            found = None
        yield found


def _search_index(db: sqlite3.Connection) -> state.Stored | None:
    rows = db.execute("SELECT * FROM search_docs ORDER BY n").fetchall()
    lengths = json.loads("[" + ",".join(row[4] for row in rows) + "]")  # one parse, not 10,000
    if len(lengths) != len(rows):
        raise ValueError("search_docs lengths")
    docs = tuple(state.DocRow(ident, source, bytes(key), tuple(counts), store)
                 for (_, ident, source, key, _, store), counts in zip(rows, lengths, strict=True))
    chunks = tuple(state.ChunkRow(first, name, size, digest) for _, first, name, size, digest
                   in db.execute("SELECT * FROM search_chunks ORDER BY n"))
    if not docs or not chunks:
        return None

    def query(sql: str, *values) -> list:
        try:
            return db.execute(sql, values).fetchall()
        except sqlite3.Error:
            raise state.Missing from None

    def entries(terms: list[str]) -> dict[str, str]:
        found = {}
        for term in terms:
            if row := query("SELECT entry FROM search_terms WHERE sortkey = ?",
                            js_sort_key(term)):
                found[term] = row[0][0]
        return found

    def run(first: str, end: str | None) -> list[tuple[str, str]]:
        if end is None:
            return query("SELECT term, entry FROM search_terms WHERE sortkey >= ? "
                         "ORDER BY sortkey", js_sort_key(first))
        return query("SELECT term, entry FROM search_terms WHERE sortkey >= ? AND sortkey < ? "
                     "ORDER BY sortkey", js_sort_key(first), js_sort_key(end))

    def analysis(key: bytes) -> Analysed | None:
        row = query("SELECT value FROM analysis WHERE key = ?", key)
        try:
            return tuple((tuple(terms), tuple(counts), int(length))
                         for terms, counts, length in json.loads(row[0][0])) if row else None
        except (ValueError, TypeError):
            return None

    return state.Stored(docs, chunks, entries, run, analysis)
