"""Every file a build reads, read once, and one digest of them all.

The digest (engine code, config, vocabulary, articles, photos, templates, static files) lets a
build with no change at all stop before loading anything else.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from . import articles, cache, sources, vocabulary
from .config import Config
from .diagnostics import Diagnostic


@dataclass(frozen=True)
class Inputs:
    """Every file a build reads, read once: the tag vocabulary, the articles' bytes with their
    cache keys, and one digest of all inputs (engine code, config, vocabulary, articles,
    photos, templates, static files) that tells a build with no change at all."""

    vocabulary: vocabulary.Vocabulary
    diagnostics: tuple[Diagnostic, ...]
    sources: tuple[tuple[Path, str, bytes, str], ...]  # path, name, bytes, cache key
    digest: str
    file_digests: dict[str, str]  # content hash of every other file read, by path

    def digest_of(self, path: Path) -> str:
        """The content hash of `path`, read once per build (photos are hashed only here)."""
        return self.file_digests.get(str(path)) or cache.file_digest(path)


def read_inputs(config: Config) -> Inputs:
    tags, problems = vocabulary.load(config.content, articles.vocabulary_name(config))
    vocab_key = hashlib.sha256(repr(tags).encode()).hexdigest()
    digest = hashlib.sha256(
        f"{cache.code_digest()}{cache.config_digest(config)}{vocab_key}".encode()
    )
    found = []
    for path in sources.find_articles(config.content):
        name, data, trouble = sources.read_bytes(path, config.root)
        problems += trouble
        if data is not None:
            key = hashlib.sha256(vocab_key.encode() + data).hexdigest()
            found.append((path, name, data, key))
            digest.update(f"{name}\0{key}\0".encode())
    hashes = {}
    for folder in (config.content, config.templates, config.static):
        for name, path in files_below(folder, skip_suffix=".md").items():
            hashes[str(path)] = cache.file_digest(path)
            digest.update(f"{folder.name}/{name}\0{hashes[str(path)]}\0".encode())
    return Inputs(tags, tuple(problems), tuple(found), digest.hexdigest(), hashes)


def static_files(folder: Path) -> dict[str, Path]:
    return files_below(folder)


def files_below(folder: Path, skip_suffix: str = "") -> dict[str, Path]:
    """Files below `folder` by relative name: hidden ones and links leading out are left out."""
    if not folder.is_dir():
        return {}
    root = folder.resolve()
    found = {}
    for base, folders, names in os.walk(folder):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(names):
            path = Path(base, name)
            if name.startswith(".") or (skip_suffix and name.endswith(skip_suffix)):
                continue
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                continue
            found[path.relative_to(folder).as_posix()] = path
    return dict(sorted(found.items()))
