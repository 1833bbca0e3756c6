"""The build cache in `.broadsheet-cache/`: what the previous build computed, keyed by content.

It holds each article's parse result under the SHA-256 of the file's bytes and of the tag
vocabulary (with the photo path it depends on), each output page's fingerprint (a hash of
everything its rendering reads), and the content hashes of copied files. The whole cache is
tied to a digest of the engine's own source code and of the config: a new version, another
config, or a corrupt, missing or unreadable file all mean an empty cache and so a cold
build, never a wrong one.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path

from .config import Config

CACHE_DIR = ".broadsheet-cache"
FORMAT = 1


@dataclass
class ArticleEntry:
    key: str  # SHA-256 of the vocabulary and the file's bytes
    photo: tuple | None  # (photo path, its content digest or False) the result depended on
    result: tuple  # (Article | None, tag marks, diagnostics) as articles.load returned it


@dataclass
class BuildCache:
    articles: dict[str, ArticleEntry] = field(default_factory=dict)  # by source name
    pages: dict[str, str] = field(default_factory=dict)  # output path -> fingerprint
    copies: dict[str, str] = field(default_factory=dict)  # output path -> content digest
    search: str = ""  # digest of what the search index was built from
    search_files: tuple[str, ...] = ()
    outputs: frozenset[str] = frozenset()  # every file of the site the last build wrote
    written: dict[str, str] = field(default_factory=dict)  # generated file -> digest of bytes
    spare: dict[str, str] | None = None  # file -> digest in the spare tree (output.py)


@functools.cache
def code_digest() -> str:
    """Changes whenever the engine's code does, so a new version never trusts old results."""
    digest = hashlib.sha256(str(FORMAT).encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def config_digest(config: Config) -> str:
    values = [(f.name, getattr(config, f.name)) for f in fields(config)]
    return hashlib.sha256(repr(values).encode()).hexdigest()


def location(config: Config) -> Path:
    return config.root / CACHE_DIR / "build.pickle"


def load(config: Config) -> BuildCache:
    path = location(config)
    try:
        with path.open("rb") as handle:
            header = pickle.load(handle)
            if header != (FORMAT, code_digest(), config_digest(config)):
                return BuildCache()
            cache = pickle.load(handle)
        return cache if isinstance(cache, BuildCache) else BuildCache()
    except Exception:
        return BuildCache()


def discard(config: Config) -> None:
    for path in (location(config), location(config).parent / "search.pickle"):
        path.unlink(missing_ok=True)


def save(config: Config, cache: BuildCache) -> None:
    _write(location(config), cache, config)


def _write(path: Path, value: object, config: Config) -> None:
    """Write atomically; a cache that cannot be written only costs speed next time."""
    try:
        path.parent.mkdir(exist_ok=True)
        (path.parent / ".gitignore").write_text("*\n")
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".build-")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((FORMAT, code_digest(), config_digest(config)), handle)
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)
    except OSError:
        pass


def file_digest(path: Path) -> str:
    """Content hash of a copied file (photos, static assets): never trust modification times."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Manifest:
    """A small summary of the last successful build, read first: when the inputs' digest is
    unchanged, nothing else needs loading."""

    inputs: str
    outputs: frozenset[str]
    articles: int
    pages: int
    diagnostics: tuple


def load_manifest(config: Config) -> Manifest | None:
    try:
        with (location(config).parent / "manifest.pickle").open("rb") as handle:
            header = pickle.load(handle)
            manifest = pickle.load(handle)
        ok = header == (FORMAT, code_digest(), config_digest(config))
        return manifest if ok and isinstance(manifest, Manifest) else None
    except Exception:
        return None


def save_manifest(config: Config, manifest: Manifest) -> None:
    _write(location(config).parent / "manifest.pickle", manifest, config)


def load_search(config: Config) -> dict:
    """The search analysis kept by the last build (large, so only read when needed)."""
    try:
        with (location(config).parent / "search.pickle").open("rb") as handle:
            header = pickle.load(handle)
            value = pickle.load(handle)
        ok = header == (FORMAT, code_digest(), config_digest(config))
        return value if ok and isinstance(value, dict) else {}
    except Exception:
        return {}


def save_search(config: Config, value: dict) -> None:
    _write(location(config).parent / "search.pickle", value, config)
