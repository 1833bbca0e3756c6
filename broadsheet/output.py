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
from pathlib import Path

_RENAME_EXCHANGE = 2


def write_site(output: Path, files: dict[str, bytes], copies: dict[str, Path]) -> int:
    """Write `files` (site path -> bytes) and `copies` (site path -> source file) as the new
    `output` folder; returns the number of files written."""
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))
    try:
        for rel, data in sorted(files.items()):
            target = _inside(staging, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        for rel, source in sorted(copies.items()):
            target = _inside(staging, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        _swap(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)  # now holds the previous build
    return len(files) + len(copies)


def _inside(folder: Path, rel: str) -> Path:
    """`folder/rel`, refusing any path that would land outside `folder`."""
    target = (folder / rel).resolve()
    if not target.is_relative_to(folder.resolve()) or Path(rel).is_absolute():
        raise ValueError(f"refusing to write outside the output folder: {rel!r}")
    return target


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
