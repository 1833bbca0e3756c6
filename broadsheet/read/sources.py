"""Find and read the article files, once, as text with a known origin.

Reading is where encoding mishaps surface: a file that is not UTF-8 is reported with the line
of its first bad byte; a BOM and CRLF line endings are accepted and normalised.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Diagnostic, error

# 512 KB is some 80,000 words, far beyond any long-form article; markdown-it-py's tokens of the
# worst shapes (1 MB of table cells or list items) take about a gigabyte.
MAX_ARTICLE_BYTES = 512 * 1024


@dataclass(frozen=True)
class Source:
    path: Path  # absolute
    name: str  # repository-relative with forward slashes, for messages
    text: str  # decoded, BOM removed, newlines normalised to \n


# Markdown under its other names is read as an article; these formats are named, not read.
ARTICLE_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn")
UNREAD_SUFFIXES = {
    ".mdx": "MDX (Markdown with JSX) is not read; rename it to .md once the JSX is gone",
    ".rmd": "R Markdown is not read; knit it to .md",
    ".qmd": "Quarto is not read; render it to .md",
    ".rst": "reStructuredText is not read; convert it to Markdown (.md)",
    ".adoc": "AsciiDoc is not read; convert it to Markdown (.md)",
    ".asciidoc": "AsciiDoc is not read; convert it to Markdown (.md)",
    ".org": "Org files are not read; convert it to Markdown (.md)",
    ".textile": "Textile is not read; convert it to Markdown (.md)",
    ".html": "HTML pages are not read; `python build.py import` makes an article of one",
    ".htm": "HTML pages are not read; `python build.py import` makes an article of one",
}


@dataclass(frozen=True)
class Listing:
    """The files below a source folder: hidden ones left out, links refused (a link could
    bring any file of the machine into the site)."""

    files: dict[str, Path]  # by path relative to the folder, sorted
    problems: tuple[Diagnostic, ...]


def walk(folder: Path, root: Path) -> Listing:
    """Every file below `folder` in a stable order. Hidden files and folders (`.git`, editor
    files) are left out; a symbolic link, to a file or a folder, is an error naming it."""
    found: dict[str, Path] = {}
    problems = []
    for base, folders, names in os.walk(folder):
        here = Path(base)
        for name in sorted(folders):
            if not _utf8(name):
                problems.append(error(_shown(here / name, root), 0, 0,
                                      "folder name is not valid UTF-8", "rename the folder"))
            elif (here / name).is_symlink():
                problems.append(_linked(here / name, root, "folder"))
        folders[:] = sorted(
            f for f in folders
            if not f.startswith(".") and _utf8(f) and not (here / f).is_symlink()
        )
        for name in sorted(names):
            path = here / name
            if not _utf8(name):
                problems.append(error(_shown(path, root), 0, 0, "file name is not valid UTF-8",
                                      "rename the file"))
            elif path.is_symlink():  # hidden ones too: a template could include `.x`
                problems.append(_linked(path, root, "file"))
            elif not name.startswith("."):
                found[path.relative_to(folder).as_posix()] = path
    return Listing(dict(sorted(found.items())), tuple(problems))


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.walk gave undecodable bytes as surrogates
        return False
    return True


def _shown(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix().encode("utf-8", "replace").decode("utf-8")


def _linked(path: Path, root: Path, kind: str) -> Diagnostic:
    return error(
        _shown(path, root),
        0,
        0,
        f"is a symbolic link; linked {kind}s are not read",
        f"put the {kind} itself here",
    )


def file_digest(path: Path) -> str:
    """Content hash of a file (photos, images, static assets): never trust modification times."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def is_article(name: str) -> bool:
    return name.lower().endswith(ARTICLE_SUFFIXES)


def outside(path: Path, folder: Path) -> str:
    """Why `path` (a file named by an article) may not be used, or "": it must lie inside
    `folder` without passing through a symbolic link."""
    try:
        path.relative_to(folder)
    except ValueError:
        return "lies outside the content folder"
    current = folder
    for part in path.relative_to(folder).parts:
        current = current / part
        if current.is_symlink():
            return "is a symbolic link (linked files are not read)"
    return ""


def read(path: Path, root: Path) -> tuple[Source | None, list[Diagnostic]]:
    """Read one file below `root`; a file that resolves outside it is refused."""
    name, data, problems = read_bytes(path, root)
    if data is None:
        return None, problems
    return decode(path, name, data)


def read_bytes(path: Path, root: Path) -> tuple[str, bytes | None, list[Diagnostic]]:
    """The file's repository-relative name and raw bytes (what the build cache is keyed by).
    `walk` never lists a linked file or enters a linked folder."""
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return name, None, [error(name, 0, 0, f"cannot read: {exc.strerror}")]
    if len(data) > MAX_ARTICLE_BYTES:
        return name, None, [error(
            name, 0, 0, f"is {len(data) // 1024:,} KB; the limit is {MAX_ARTICLE_BYTES // 1024} KB",
            "split it into parts that link to each other")]
    return name, data, []


def decode(path: Path, name: str, data: bytes) -> tuple[Source | None, list[Diagnostic]]:
    """Text from bytes: UTF-8 (a BOM is dropped), newlines normalised, NUL refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            error(
                name,
                line,
                column,
                f"not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                "save the file as UTF-8",
            )
        ]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [error(name, line, 0, "contains a NUL character; is this a binary file?")]
    return Source(path, name, text), []
