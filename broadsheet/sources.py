"""Find and read the article files, once, as text with a known origin.

Reading is where encoding mishaps surface: a file that is not UTF-8 is reported with the line
of its first bad byte; a BOM and CRLF line endings are accepted and normalised.
"""

from __future__ import annotations

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
    """Every Markdown file under `content/` in a stable order, skipping hidden and `_` folders."""
    if not content.is_dir():
        return []
    found = []
    for path in sorted(content.rglob("*.md")):
        if any(part.startswith((".", "_")) for part in path.relative_to(content).parts):
            continue  # hidden files, editor folders, _drafts-style private folders
        found.append(path)
    return found


def read(path: Path, root: Path) -> tuple[Source | None, list[Diagnostic]]:
    """Read one file below `root`; a file that resolves outside it is refused."""
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    if not path.resolve().is_relative_to(root.resolve()):
        return None, [error(name, 0, 0, "links to a file outside the repository; not read")]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [error(name, 0, 0, f"cannot read: {exc.strerror}")]
    if len(data) > MAX_ARTICLE_BYTES:
        return None, [error(name, 0, 0, f"larger than {MAX_ARTICLE_BYTES // 2**20} MB")]
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
