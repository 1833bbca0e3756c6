"""Write the site so that `site/` is always either the previous build or the new one.

The new build is assembled in a folder beside `site/`, then the two are swapped with one atomic
`renameat2(RENAME_EXCHANGE)` where Linux offers it (two renames elsewhere). The previous build
is kept as a spare (`.site.spare`): the next build brings the spare up to date with only the
files that differ, instead of assembling every file again. Files are never written in place
(the trees share unchanged files as hard links): a changed file is unlinked and created anew.
A failure or interruption before the swap leaves `site/` untouched and no temporary folder;
the spare is renamed away before it is touched, so a half-updated spare is never trusted.

Every tree this module writes carries a marker file naming its build (`MARKER`), signed with
this machine's key (`localkey`). A folder without a valid one is never replaced or deleted: a
misconfigured output folder, or one a pull request dressed up with a copied marker, cannot
destroy sources. The build id in it tells the cache which build the folder holds.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from . import localkey

_RENAME_EXCHANGE = 2
MARKER = ".broadsheet-site"
_MARKER_TEXT = "Written by Broadsheet (python build.py); replaced by every build.\nbuild: {}\n"


class NotOurs(OSError):
    """The output folder holds something this program did not write."""


def build_id(folder: Path) -> str | None:
    """The build a folder holds, from its marker; None when it is not a build of ours (a
    marker is signed with this machine's key, so one committed to the repository is not)."""
    try:
        if folder.is_symlink() or not folder.is_dir() or (folder / MARKER).is_symlink():
            return None
        text = (folder / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    last = text.rstrip("\n").rpartition("\n")[2].split(" ")
    if len(last) == 3 and last[0] == "build:" and localkey.signed(f"site {last[1]}", last[2]):
        return last[1]
    return None


def _ours_or_absent(folder: Path) -> bool:
    if not os.path.lexists(folder):
        return True
    if folder.is_symlink() or not folder.is_dir():
        return False
    return build_id(folder) is not None or not any(folder.iterdir())


def _mark(tree: Path, site_id: str) -> None:
    (tree / MARKER).unlink(missing_ok=True)  # may be shared with the site by a hard link
    signature = localkey.sign(f"site {site_id}")
    (tree / MARKER).write_text(_MARKER_TEXT.format(f"{site_id} {signature}"), encoding="utf-8")


@contextlib.contextmanager
def scratch(output: Path):
    """A folder beside `output` for files a build makes before it writes the site (rendered
    pages, moved in by `write_site`), so they need not wait in memory; removed afterwards.
    Locked while in use: a build killed before it could remove its own leaves it to the
    next build (`_remove_abandoned`)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{output.name}.render-", dir=output.parent))
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def write_site(
    output: Path,
    files: dict[str, bytes],
    copies: dict[str, Path],
    keep: frozenset[str] = frozenset(),
    target: dict[str, str] | None = None,
    spare: dict[str, str] | None = None,
    site_id: str = "",
    moved: dict[str, Path] | None = None,
    spare_from_new: bool = False,
) -> int:
    """Make `output` hold exactly: `files` (site path -> bytes), `copies` (site path -> source
    file), `moved` (site path -> a file of this build's `scratch` folder, renamed into place)
    and the files named in `keep`, taken unchanged from the current `output`, plus the
    marker naming `site_id`. `target` gives the content digest of every file of the new build
    and `spare` that of every file of the spare tree; with both, only the files that differ are
    written. The build replaced becomes the spare, or with `spare_from_new` (the caller does
    not know the replaced build's files) a copy of the new one, made of hard links. Returns
    the number of files written; when nothing changed, nothing is written. Raises `NotOurs`
    (before writing anything) when `output` is not a build of ours."""
    if not _ours_or_absent(output):
        raise NotOurs(f"{output.name}/ holds files Broadsheet did not write (no {MARKER})")
    output.parent.mkdir(parents=True, exist_ok=True)
    with _locked(output.parent):
        _remove_abandoned(output)
        written = _write(output, files, copies, moved or {}, keep, target, spare, site_id)
        if written and spare_from_new:
            _link_spare(output)
        return written


@contextlib.contextmanager
def _locked(folder: Path):
    """One build writes beside `folder` at a time (a lock on the folder itself)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_abandoned(output: Path) -> None:
    """Staging folders of a build that was killed (under the lock, none is in use)."""
    for stale in output.parent.glob(f".{output.name}.new-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in output.parent.glob(f".{output.name}.old-*"):
        if not os.path.lexists(output) and build_id(stale / "site") is not None:
            os.rename(stale / "site", output)  # killed between the two renames of `_swap`
        shutil.rmtree(stale, ignore_errors=True)
    for stale in output.parent.glob(f".{output.name}.render-*"):
        if not stale.is_symlink() and _unused(stale):
            shutil.rmtree(stale, ignore_errors=True)


def _unused(folder: Path) -> bool:
    """This is a `scratch` folder no build holds the lock of (the lock is freed when the build
    dies): it holds only the numbered pages a build writes, so a folder of that name that
    came with the repository is left alone."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        with os.scandir(fd) as entries:
            if not all(e.name.isdigit() and e.is_file(follow_symlinks=False) for e in entries):
                return False
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _write(output, files, copies, moved, keep, target, spare, site_id) -> int:
    if (
        not files
        and not copies
        and not moved
        and build_id(output) == site_id
        and _listing(output) == (keep, frozenset())
    ):
        return 0
    spare_dir = output.parent / f".{output.name}.spare"
    if (
        target is not None
        and spare is not None
        and build_id(spare_dir) is not None
        and build_id(output) is not None
    ):
        staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))
        try:
            os.rename(spare_dir, staging / "tree")  # from here on, never trusted as a spare
            tree = staging / "tree"
            _update(tree, output, files, copies, moved, target, spare)
            _mark(tree, site_id)
            _swap(tree, output)
            _keep_as_spare(tree, spare_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return len(files) + len(copies) + len(moved)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))
    made: set[Path] = {staging}

    def place(rel: str) -> Path:
        target_path = staging / _checked(rel)
        if target_path.parent not in made:
            target_path.parent.mkdir(parents=True, exist_ok=True)
            made.update(target_path.parents)
        return target_path

    try:
        for rel in sorted(keep):
            source, target_path = output / _checked(rel), place(rel)
            try:
                os.link(source, target_path, follow_symlinks=False)
            except OSError:
                shutil.copyfile(source, target_path, follow_symlinks=False)
        for rel, data in sorted(files.items()):
            place(rel).write_bytes(data)
        for rel, source in sorted(copies.items()):
            shutil.copyfile(source, place(rel))
        for rel, source in sorted(moved.items()):
            os.rename(source, place(rel))
        _mark(staging, site_id)
        _swap(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _keep_as_spare(staging, spare_dir)
    return len(files) + len(copies) + len(moved)


def _update(
    tree: Path,
    output: Path,
    files: dict[str, bytes],
    copies: dict[str, Path],
    moved: dict[str, Path],
    target: dict[str, str],
    spare: dict[str, str],
) -> None:
    """Turn the spare `tree` into the new build (`target`). `spare` is what the tree held when
    it was the site; its actual listing decides what is missing or left over. Links found in
    it are removed first, so nothing is ever written through one."""
    present, links = _listing(tree)
    for rel in links:
        (tree / rel).unlink()
    emptied: set[Path] = set()
    for rel in sorted(present - target.keys()):
        path = tree / _checked(rel)
        path.unlink(missing_ok=True)
        emptied.add(path.parent)
    for rel, digest in sorted(target.items()):
        if rel in present and spare.get(rel) == digest:
            continue
        path = tree / _checked(rel)
        path.unlink(missing_ok=True)  # it may share its inode with a file of site/
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel in files:
            path.write_bytes(files[rel])
        elif rel in copies:
            shutil.copyfile(copies[rel], path)
        elif rel in moved:
            os.rename(moved[rel], path)
        else:
            os.link(output / rel, path, follow_symlinks=False)
    for folder in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        while folder != tree and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def _link_spare(output: Path) -> None:
    """Make the spare a copy of `output` whose files are hard links to its own: after a clean
    build the next one then writes only what it changes (27,000 links: a second at 10,000
    articles, once). Assembled aside, so a half-made copy is never taken for a spare."""
    copy = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))
    try:
        present, _ = _listing(output)
        made = {copy}
        for rel in sorted(present | {MARKER}):
            path = copy / rel
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.update(path.parents)
            os.link(output / rel, path, follow_symlinks=False)
    except OSError:
        shutil.rmtree(copy, ignore_errors=True)
        return  # no spare: the next build assembles its tree whole
    _keep_as_spare(copy, output.parent / f".{output.name}.spare")


def _keep_as_spare(previous: Path, spare_dir: Path) -> None:
    """After the swap `previous` holds the last build: it becomes the spare, unless something
    not of ours stands in the spare's place (then that is left alone and no spare is kept)."""
    if build_id(previous) is None:  # the first build: `previous` is the empty staging folder
        shutil.rmtree(previous, ignore_errors=True)
        return
    if build_id(spare_dir) is not None:
        shutil.rmtree(spare_dir, ignore_errors=True)
    try:
        if os.path.lexists(spare_dir):
            raise OSError("not ours")
        os.rename(previous, spare_dir)
    except OSError:
        shutil.rmtree(previous, ignore_errors=True)


def _checked(rel: str) -> str:
    """`rel` if it is a plain relative path; anything that could land outside is refused."""
    parts = PurePosixPath(rel).parts
    if not parts or rel.startswith(("/", "\\")) or ".." in parts or "\\" in rel or ":" in rel:
        raise ValueError(f"refusing to write outside the output folder: {rel!r}")
    return rel


def _listing(folder: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The plain files below `folder` but the marker, and apart the links (to files or
    folders), which no build of ours makes: someone put them there. (`scandir` tells links
    and folders from the directory entry itself: no `stat` a file.)"""
    found, links = set(), set()
    pending = [(os.fspath(folder), "")]
    while pending:
        base, prefix = pending.pop()
        with os.scandir(base) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_symlink():
                    links.add(rel)
                elif entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, rel + "/"))
                else:
                    found.add(rel)
    found.discard(MARKER)
    return frozenset(found), frozenset(links)


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
