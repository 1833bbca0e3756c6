"""Every file a build reads, read once, and one digest of them all.

The digest (engine code, config, vocabulary, articles, photos, templates, static files) lets a
build with no change at all stop before loading anything else.

Like git's index, the digest of a file the last build read is taken from the build cache while
the file's size, modification and change times and inode are the ones it had then; a file
changed in the second before it was read is hashed again next time (a second change within the
file system's clock tick would keep its times). Articles found so are not even read: their
bytes are read only if they must be parsed.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
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
    sources: tuple[tuple[str, str, bytes | None, str], ...]  # path, name, bytes, cache key
    digest: str
    rest: str  # the same digest but the articles': when it is the last build's, only they changed
    file_digests: dict[str, str]  # content hash of every other file read, by path
    seen: dict[str, tuple[str, str]]  # file -> (its stat signature, content hash): see above
    static_files: dict[str, Path]  # the files copied to site/static/, by name
    template_files: dict[str, Path]  # the theme's templates, by name
    listings: tuple[sources.Listing, ...] = ()  # content, templates, static as walked

    def digest_of(self, path: Path) -> str:
        """The content hash of `path`, read once per build by `read_inputs` ("" for a file it
        could not read or did not list, which it reported)."""
        return self.file_digests.get(str(path), "")


def signature(st: os.stat_result) -> str:
    """What must stay the same for a file's recorded digest to hold (from its `lstat`)."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"


def read_inputs(
    config: Config,
    seen: Mapping[str, tuple[str, str]] | None = None,
    listings: tuple[sources.Listing, ...] | None = None,
) -> Inputs:
    """Every input; `seen` holds what the last build recorded of each file (see above), and
    `listings` the three folders' listings when the caller knows them (the preview, from the
    last build's and the watcher's changed paths): then no folder is walked."""
    seen = seen or {}
    settled = time.time_ns() - 1_000_000_000  # changed after this: too recent to record
    recorded: dict[str, tuple[str, str]] = {}

    def known(path: str, st: os.stat_result) -> str | None:
        mark = signature(st)
        previous = seen.get(path)
        if previous and previous[0] == mark:
            recorded[path] = previous
            return previous[1]
        recorded[path] = (mark if max(st.st_mtime_ns, st.st_ctime_ns) < settled else "", "")
        return None

    def remember(path: str, digest: str) -> str:
        if (mark := recorded.get(path, ("", ""))[0]):
            recorded[path] = (mark, digest)
        else:
            recorded.pop(path, None)
        return digest

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
    rest = digest.copy()  # the same, but the articles
    found, hashes, static, theme, listed = [], {}, {}, {}, 0
    files: list[tuple[str, str, str, str | None]] = []  # path, label, name, digest if known
    articles_folder = config.content
    walked = []
    for n, folder in enumerate((articles_folder, config.templates, config.static)):
        listing = listings[n] if listings else sources.walk(folder, config.root)
        walked.append(listing)
        if folder == config.static:
            static = {name: Path(path) for name, path in listing.files.items()}
        if folder == config.templates:
            theme = {name: Path(path) for name, path in listing.files.items()}
        problems += listing.problems
        in_content = folder == articles_folder
        for name, path in listing.files.items():
            if in_content and sources.is_article(name):
                listed += 1
                data, content = None, known(path, listing.stats[name])
                source_name = listing.name_of(name)
                if content is None:
                    source_name, data, trouble = sources.read_bytes(Path(path), config.root)
                    problems += trouble
                    if data is None:
                        continue
                    content = remember(path, hashlib.sha256(data).hexdigest())
                key = hashlib.sha256(f"{vocab_key}{content}".encode()).hexdigest()
                found.append((path, source_name, data, key))
                digest.update(f"{source_name}\0{key}\0".encode())
                continue
            if in_content and (why := sources.UNREAD_SUFFIXES.get(os.path.splitext(name)[1])):
                problems.append(warning(listing.name_of(name), 0, 0, why))
            files.append((path, f"{folder.name}/{name}", listing.name_of(name),
                          known(path, listing.stats[name])))
    fresh = _file_digests([path for path, _, _, had in files if had is None])
    for path, label, shown, had in files:  # photos, images, templates, static files
        value = had or fresh[path]
        if isinstance(value, OSError):
            problems.append(error(shown, 0, 0, f"cannot read: {value.strerror or value}"))
            continue
        hashes[path] = had or remember(path, value)
        digest.update(f"{label}\0{hashes[path]}\0".encode())
        rest.update(f"{label}\0{hashes[path]}\0".encode())
    if articles_folder.is_dir() and not listed:
        problems.append(warning(f"{config.content_dir}/", 0, 0, "no articles found",
                                "articles are Markdown files such as "
                                f"{config.content_dir}/articles/2024/a-title.md"))
    for problem in problems:  # a link or a FIFO added is no file, but it is a change
        digest.update(f"{problem.format()}\0".encode())
        rest.update(f"{problem.format()}\0".encode())
    recorded = {path: entry for path, entry in recorded.items() if entry[1]}
    return Inputs(tags, tuple(problems), tuple(found), digest.hexdigest(), rest.hexdigest(),
                  hashes, recorded, static, theme, tuple(walked))


def _file_digests(paths: list[str]) -> dict[str, str | OSError]:
    """The content hash of each file (or why it could not be read). Photos make up most of
    an archive's bytes (2.4 GB at 10,000 articles): they are hashed on two threads, since
    reading and hashing release the interpreter's lock."""
    def digest(path: str) -> str | OSError:
        try:
            return sources.file_digest(Path(path))
        except OSError as exc:
            return exc

    if len(paths) < 64:
        return {path: digest(path) for path in paths}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(2, os.cpu_count() or 1)) as pool:
        return dict(zip(paths, pool.map(digest, paths), strict=True))
