"""A secret of this machine, kept outside the repository, that signs the build's own records.

A pull request can commit any file, `.broadsheet-cache/` and a `site/` holding a marker
included: git checks out tracked files whatever .gitignore says. What the build trusts of its
own earlier work (the cache; the marker that lets it replace an output folder) therefore
carries a signature made with a key that lives in the user's cache folder, which no commit can
reach. Another machine (or a lost key) only means a cold build and an output folder to clear.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path


def _places() -> list[Path]:
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return [Path(home) / "broadsheet", Path(tempfile.gettempdir()) / f"broadsheet-{os.getuid()}"]


@functools.cache
def key() -> bytes:
    """This machine's key, made on first use (readable by this user only)."""
    for folder in _places():
        path = folder / "key"
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_hex(32))
            text = path.read_text(encoding="ascii").strip()
            if len(text) == 64:
                return bytes.fromhex(text)
        except (OSError, ValueError):
            continue
    return secrets.token_bytes(32)  # nowhere to keep it: this process trusts only itself


def sign(text: str) -> str:
    return hmac.new(key(), text.encode(), hashlib.sha256).hexdigest()[:32]


def signed(text: str, signature: str) -> bool:
    return hmac.compare_digest(sign(text), signature)
