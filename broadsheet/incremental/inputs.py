"""Every file a build reads, read once, and one digest of them all.

The digest (engine code, config, vocabulary, articles, photos, templates, static files) lets a
build with no change at all stop before loading anything else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..diagnostics import Diagnostic, error, warning
from ..read import articles, sources, vocabulary
from . import cache


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
    static_files: dict[str, Path]  # the files copied to site/static/, by name
    template_files: dict[str, Path]  # the theme's templates, by name

    def digest_of(self, path: Path) -> str:
        """The content hash of `path`, read once per build by `read_inputs` ("" for a file it
        could not read or did not list, which it reported)."""
        return self.file_digests.get(str(path), "")


def read_inputs(config: Config) -> Inputs:
    problems: list[Diagnostic] = []
    if not config.content.is_dir():
        problems.append(error(
            f"{config.content_dir}/", 0, 0, "the content folder does not exist",
            "create it, or set content_dir in broadsheet.yml to the folder of your articles",
        ))
    tags, trouble = vocabulary.load(config.content, articles.vocabulary_name(config))
    problems += trouble
    vocab_key = hashlib.sha256(repr(tags).encode()).hexdigest()
    digest = hashlib.sha256(
        f"{cache.code_digest()}{cache.config_digest(config)}{vocab_key}".encode()
    )
    found, hashes, static, theme, listed = [], {}, {}, {}, 0
    for folder in (config.content, config.templates, config.static):
        listing = sources.walk(folder, config.root)
        if folder == config.static:
            static = listing.files
        if folder == config.templates:
            theme = listing.files
        problems += listing.problems
        for name, path in listing.files.items():
            if folder == config.content and sources.is_article(name):
                listed += 1
                source_name, data, trouble = sources.read_bytes(path, config.root)
                problems += trouble
                if data is not None:
                    key = hashlib.sha256(vocab_key.encode() + data).hexdigest()
                    found.append((path, source_name, data, key))
                    digest.update(f"{source_name}\0{key}\0".encode())
                continue
            if folder == config.content and (why := sources.UNREAD_SUFFIXES.get(path.suffix)):
                problems.append(warning(path.relative_to(config.root).as_posix(), 0, 0, why))
            try:
                hashes[str(path)] = sources.file_digest(path)
            except OSError as exc:
                problems.append(error(path.relative_to(config.root).as_posix(), 0, 0,
                                      f"cannot read: {exc.strerror or exc}"))
                continue
            digest.update(f"{folder.name}/{name}\0{hashes[str(path)]}\0".encode())
    if config.content.is_dir() and not listed:
        problems.append(warning(f"{config.content_dir}/", 0, 0, "no articles found",
                                "articles are Markdown files such as "
                                f"{config.content_dir}/articles/2024/a-title.md"))
    return Inputs(tags, tuple(problems), tuple(found), digest.hexdigest(), hashes, static, theme)
