"""Find and read the article files, once, as text with a known origin.

Reading is where encoding mishaps surface: a file that is not UTF-8 is reported with the line
of its first bad byte; a BOM and CRLF line endings are accepted and normalised.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostic, error

MAX_ARTICLE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    path: Path  # absolute
    name: str  # repository-relative with forward slashes, for messages
    text: str  # decoded, BOM removed, newlines normalised to \n


def find_articles(content: Path) -> list[Path]:
    """Every Markdown file under `content/` in a stable order, skipping hidden and `_` folders.
    Linked folders are not entered; linked files are listed, and `read_bytes` checks them."""
    if not content.is_dir():
        return []
    found = []
    for base, folders, names in os.walk(content):
        folders[:] = [f for f in folders if not f.startswith((".", "_"))]
        found += [
            Path(base, name)
            for name in names
            if name.endswith(".md") and not name.startswith((".", "_"))
        ]
    return sorted(found)


def read(path: Path, root: Path) -> tuple[Source | None, list[Diagnostic]]:
    """Read one file below `root`; a file that resolves outside it is refused."""
    name, data, problems = read_bytes(path, root)
    if data is None:
        return None, problems
    return decode(path, name, data)


def read_bytes(path: Path, root: Path) -> tuple[str, bytes | None, list[Diagnostic]]:
    """The file's repository-relative name and raw bytes (what the build cache is keyed by)."""
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    # Folders are never followed (find_articles), so only a linked file can point outside.
    if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
        return name, None, [error(name, 0, 0, "links to a file outside the repository; not read")]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return name, None, [error(name, 0, 0, f"cannot read: {exc.strerror}")]
    if len(data) > MAX_ARTICLE_BYTES:
        return name, None, [error(name, 0, 0, f"larger than {MAX_ARTICLE_BYTES // 2**20} MB")]
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
