"""Every URL and output-path rule of the site, in one place.

Output paths are site-relative POSIX paths of files (`2019/the-slug/index.html`). Links are
always relative to the page that holds them and always name `index.html` explicitly, so the
same `site/` works at a domain root, under a sub-path such as `/archive/`, and from `file://`
(where a link to a folder does not open its index).
"""

from __future__ import annotations

import functools
import re
import unicodedata

SLUG_RE = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def slugify(text: str) -> str:
    """A lowercase, hyphenated slug that keeps letters of every script (`São Paulo` -> `sao-paulo`,
    `Москва` -> `москва`) and drops accents and punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("'", "").replace("\u2019", "")
    words = re.findall(r"[^\W_]+", unicodedata.normalize("NFC", stripped))
    return "-".join(words)


def home(page: int = 0) -> str:
    """The front page (0), or a numbered page of older articles (counted from the oldest)."""
    return "index.html" if page == 0 else f"page/{page}/index.html"


def article(year: int, slug: str) -> str:
    return f"{year}/{slug}/index.html"


def article_asset(year: int, slug: str, filename: str) -> str:
    return f"{year}/{slug}/{filename}"


def media(digest: str, width: int, extension: str) -> str:
    """A photo's copy, named by the content it was made from: shared by every article using
    that photo, and apart from any file an article brings."""
    size = f"-{width}" if width else ""
    return f"media/{digest[:2]}/{digest[2:16]}{size}.{extension}"


def tag(slug: str, page: int = 0) -> str:
    return f"tags/{slug}/index.html" if page == 0 else f"tags/{slug}/page/{page}/index.html"


def tags_index() -> str:
    return "tags/index.html"


def year(number: int) -> str:
    return f"{number}/index.html"


def archive() -> str:
    return "archive/index.html"


def search() -> str:
    return "search/index.html"


def not_found() -> str:
    return "404.html"


def feed(tag_slug: str | None = None) -> str:
    return f"tags/{tag_slug}/feed.xml" if tag_slug else "feed.xml"


def sitemap() -> str:
    return "sitemap.xml"


def robots() -> str:
    return "robots.txt"


def static(name: str) -> str:
    return f"static/{name}"


def relative(from_path: str, to_path: str) -> str:
    """The link from the page at `from_path` to the file at `to_path` (both site-relative,
    normalised, without `..`). A page holds dozens of links, so this is kept cheap."""
    target, _, fragment = to_path.partition("#")
    link = _relative(from_path.rpartition("/")[0], target)
    return link + (f"#{fragment}" if fragment else "")


@functools.lru_cache(maxsize=1 << 16)
def _relative(from_dir: str, target: str) -> str:
    here = from_dir.split("/") if from_dir else []
    there = target.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    return "../" * (len(here) - common) + "/".join(there[common:])


def absolute(base_url: str, path: str) -> str:
    """The public URL of `path`, with `index.html` dropped, for canonical links and feeds."""
    if path.endswith("index.html"):
        path = path[: -len("index.html")]
    return base_url.rstrip("/") + "/" + path
