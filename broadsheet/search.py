"""Search index: placeholder until the chunked Lunr index lands (issue 3)."""

from __future__ import annotations

from .model import Site


def build_files(site: Site) -> dict[str, bytes]:
    """Site path -> bytes of every search file (index chunks, display store)."""
    return {}
