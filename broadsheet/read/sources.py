"""Find and read the article files, once, as text with a known origin.

Reading is where encoding mishaps surface: a file that is not UTF-8 is reported with the line
of its first bad byte; a BOM and CRLF line endings are accepted and normalised.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
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

    files: dict[str, str]  # absolute path, by path relative to the folder, sorted
    problems: tuple[Diagnostic, ...]
    stats: dict[str, os.stat_result] = field(default_factory=dict)  # each file's lstat, by path
    prefix: str = ""  # the folder, relative to the repository

    def name_of(self, rel: str) -> str:
        """The repository-relative name of the file `rel` (as messages and the cache say it)."""
        return f"{self.prefix}/{rel}" if self.prefix else rel


def walk(folder: Path, root: Path) -> Listing:
    """Every file below `folder` in a stable order. Hidden files and folders (`.git`) and the
    files editors leave while saving (`EDITOR_FILES`: `a.md~`, swap files) are left out; a
    symbolic link, to a file or a folder, and anything that is not a regular file (a FIFO
    would block the build) are errors naming it. One `scandir` a folder and one `lstat` a
    file: the stat is kept for the build cache's signature."""
    found: dict[str, str] = {}
    stats: dict[str, os.stat_result] = {}
    problems: list[Diagnostic] = []
    prefix = _relative(folder, root)

    def shown(rel: str) -> str:
        name = f"{prefix}/{rel}" if prefix else rel
        return name.encode("utf-8", "replace").decode("utf-8")

    def visit(base: str, here: str) -> None:
        try:
            with os.scandir(base) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except (FileNotFoundError, NotADirectoryError):
            if here:  # gone since its parent was listed; a missing top folder is no listing
                problems.append(error(shown(here), 0, 0, "vanished while being read"))
            return
        except OSError as exc:
            problems.append(error(shown(here or "."), 0, 0,
                                  f"cannot list folder: {exc.strerror or exc}"))
            return
        folders = [e for e in entries if _is_dir(e)]
        files = [e for e in entries if not _is_dir(e)]
        descend = []
        for entry in folders:
            rel = f"{here}/{entry.name}" if here else entry.name
            if not _utf8(entry.name):
                problems.append(error(shown(rel), 0, 0, "folder name is not valid UTF-8",
                                      "rename the folder"))
            elif entry.is_symlink():
                problems.append(_linked(shown(rel), "folder"))
            elif not entry.name.startswith("."):
                descend.append((entry.path, rel))
        for entry in files:
            rel = f"{here}/{entry.name}" if here else entry.name
            if not _utf8(entry.name):
                problems.append(error(shown(rel), 0, 0, "file name is not valid UTF-8",
                                      "rename the file"))
            elif entry.is_symlink():  # hidden ones too: a template could include `.x`
                problems.append(_linked(shown(rel), "file"))
            elif not ignored(entry.name):
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    problems.append(error(shown(rel), 0, 0,
                                          f"cannot read: {exc.strerror or exc}"))
                    continue
                if not stat.S_ISREG(st.st_mode):
                    problems.append(error(shown(rel), 0, 0, "is not a regular file",
                                          "remove it; only files and folders are read"))
                    continue
                found[rel], stats[rel] = entry.path, st
        for path, rel in descend:
            visit(path, rel)

    visit(str(folder), "")
    return Listing(dict(sorted(found.items())), tuple(problems), stats, prefix)


def updated(listing: Listing, folder: Path, changed: set[str]) -> Listing | None:
    """`listing` after the files `changed` (repository-relative) changed, looking at those
    alone; None when that cannot be told so (a folder came or went, a link, a name the walk
    reported): then the folder must be walked again."""
    files, stats = dict(listing.files), dict(listing.stats)
    prefix = f"{listing.prefix}/" if listing.prefix else ""
    reported = {problem.path for problem in listing.problems}
    for name in changed:
        if not name.startswith(prefix):
            continue
        rel = name[len(prefix):]
        if name in reported or any(p.startswith(name + "/") for p in reported):
            return None
        if any(ignored(part) for part in rel.split("/")):
            continue
        path = folder / rel
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            if any(f.startswith(rel + "/") for f in files):
                return None  # a folder went
            files.pop(rel, None)
            stats.pop(rel, None)
            continue
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode) or not _utf8(rel):
            return None
        if rel not in files and any(os.path.islink(p) for p in (path.parent, *path.parent.parents)
                                    if p != folder and folder in p.parents):
            return None
        files[rel], stats[rel] = str(path), st
    return Listing(dict(sorted(files.items())), listing.problems, stats, listing.prefix)


# What editors write beside a file while saving it (backups, swap files, temporaries): never
# part of the site. Hidden names are left out as well.
EDITOR_FILES = (".*", "*~", "#*#", "4913", "*.swp", "*.swx", "*.swo", "*.tmp", "*___jb_???___")


_EDITOR_FILES = re.compile("|".join(fnmatch.translate(p) for p in EDITOR_FILES))


def ignored(name: str) -> bool:
    """True for a hidden name or one an editor makes while saving."""
    return _EDITOR_FILES.match(name) is not None


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # a link to a folder counts as one, to be reported as such
    except OSError:
        return False


def _relative(folder: Path, root: Path) -> str:
    try:
        return folder.relative_to(root).as_posix().removeprefix(".")
    except ValueError:
        return str(folder)


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.walk gave undecodable bytes as surrogates
        return False
    return True


def _linked(shown: str, kind: str) -> Diagnostic:
    return error(
        shown,
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
