"""Write the site so that `site/` is always either the previous build or the new one.

Everything is written into a fresh folder beside `site/`, then the two are swapped with one
atomic `renameat2(RENAME_EXCHANGE)` where Linux offers it (two renames elsewhere), and the old
tree is removed. A failure or interruption before the swap leaves `site/` untouched and the
temporary folder is removed.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

_RENAME_EXCHANGE = 2


def write_site(
    output: Path,
    files: dict[str, bytes],
    copies: dict[str, Path],
    keep: frozenset[str] = frozenset(),
) -> int:
    """Make `output` hold exactly: `files` (site path -> bytes), `copies` (site path -> source
    file) and the files named in `keep`, taken unchanged from the current `output` (as hard
    links, so an incremental build costs little). Returns the number of files written; when
    nothing changed, nothing is written at all."""
    if not files and not copies and output.is_dir() and _listing(output) == keep:
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))
    made: set[Path] = {staging}

    def place(rel: str) -> Path:
        target = staging / _checked(rel)
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.update(target.parents)
        return target

    try:
        for rel in sorted(keep):
            source, target = output / _checked(rel), place(rel)
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
        for rel, data in sorted(files.items()):
            place(rel).write_bytes(data)
        for rel, source in sorted(copies.items()):
            shutil.copyfile(source, place(rel))
        _swap(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)  # now holds the previous build
    return len(files) + len(copies)


def _checked(rel: str) -> str:
    """`rel` if it is a plain relative path; anything that could land outside is refused."""
    parts = PurePosixPath(rel).parts
    if not parts or rel.startswith(("/", "\\")) or ".." in parts or "\\" in rel or ":" in rel:
        raise ValueError(f"refusing to write outside the output folder: {rel!r}")
    return rel


def _listing(folder: Path) -> frozenset[str]:
    found = set()
    for base, _, names in os.walk(folder):
        prefix = os.path.relpath(base, folder)
        for name in names:
            found.add(name if prefix == "." else f"{prefix}/{name}")
    return frozenset(found)


def _swap(new: Path, output: Path) -> None:
    if output.is_symlink() or (output.exists() and not output.is_dir()):
        raise OSError(f"{output} exists and is not a folder; not replacing it")
    if not output.exists():
        os.rename(new, output)
        new.mkdir()  # keep the caller's clean-up uniform
        return
    if not _exchange(new, output):
        old = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-", dir=output.parent))
        os.rename(output, old / "site")
        os.rename(new, output)
        os.rename(old / "site", new)
        old.rmdir()


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux `renameat2`); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
