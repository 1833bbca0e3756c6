"""Deterministic synthetic archives for benchmarks: our format, Hugo's and Pelican's.

Articles are ~900 words of English-like prose drawn from a Zipf-distributed vocabulary, with
headings, lists, block quotes, tags from a fixed set of 60 and dates spread over ten years, so
that every tool gets the same text and the same amount of Markdown to parse.
"""

from __future__ import annotations

import argparse
import os
import random
from datetime import date, timedelta
from pathlib import Path

COMMON = (
    "the of and to in a is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there been one all we their has would when if "
    "so what no more out up into do any time about its than them can only other new some "
    "could these may then first also after years two like over such way even most made many "
    "before must through back where much well down should because each just those people how "
    "too little state good very make world still own see men work long get here between both "
    "life being under never day same another know while last might us great old year off "
    "come since against go came right used take three"
).split()
SYLLABLES = (
    "ar ber can dor el fen gar hal in jor kel lan mor nor or pel quin ras sor tan ul ven wil "
    "xan yor zel print press paper ink type page book read libr arch map city river rail "
    "stone glass light star rain word line form graph scope meter ation ment ness ity ing ed "
    "er ly ous ive al ic ure ance ence"
).split()
TAGS = [f"topic-{i:02d}" for i in range(60)]


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words = set(COMMON)
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    rest = sorted(words - set(COMMON))
    rng.shuffle(rest)
    return COMMON + rest


class Prose:
    """Sentences with Zipf-distributed words (rank r has weight 1/r)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(30_000, self.rng)
        weights = [1 / (r + 1) for r in range(len(self.words))]
        total = 0.0
        self.cumulative = []
        for w in weights:
            total += w
            self.cumulative.append(total)

    def sentence(self) -> str:
        n = self.rng.randint(8, 24)
        picked = self.rng.choices(self.words, cum_weights=self.cumulative, k=n)
        text = " ".join(picked)
        return text[0].upper() + text[1:] + self.rng.choice([".", ".", ".", "?", "…"])

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 6)))

    def body(self, words: int = 900) -> str:
        parts: list[str] = []
        count = 0
        while count < words:
            roll = self.rng.random()
            if roll < 0.08:
                block = "## " + self.sentence().rstrip(".?…")[:60]
            elif roll < 0.14:
                block = "\n".join("- " + self.sentence() for _ in range(3))
            elif roll < 0.18:
                block = "> “" + self.sentence() + "”"
            else:
                block = self.paragraph()
            parts.append(block)
            count += len(block.split())
        return "\n\n".join(parts)


def articles(n: int, seed: int = 1):
    """Yield (index, slug, title, date, tags, body) for `n` articles, always the same."""
    prose = Prose(seed)
    rng = random.Random(seed + 1)
    start = date(2015, 1, 1)
    for i in range(n):
        title = prose.sentence().rstrip(".?…")[:70]
        day = start + timedelta(days=rng.randrange(3650))
        tags = rng.sample(TAGS, rng.randint(1, 4))
        yield i, f"article-{i:05d}", title, day, tags, prose.body()


def photo(index: int, seed: int = 1) -> bytes:
    """A 1600×1000 JPEG of about 240 KB, with the detail of an agency photo (gradients, grain,
    edges), different for every index."""
    import io

    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    rng, g = random.Random(seed * 100_003 + index), np.random.default_rng(seed * 100_003 + index)
    w, h = 1600, 1000
    x, y = np.linspace(0, 1, w)[None, :, None], np.linspace(0, 1, h)[:, None, None]
    left, right = g.uniform(0, 255, 3), g.uniform(0, 255, 3)
    base = left * (1 - x) + right * x * y + 40 * np.sin(8 * x + 3 * y)
    grain = np.kron(g.normal(0, 14, (h // 8 + 1, w // 8 + 1, 3)), np.ones((8, 8, 1)))[:h, :w]
    image = Image.fromarray(np.clip(base + grain, 0, 255).astype(np.uint8))
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    noisy = np.asarray(image).astype(np.float32) + g.normal(0, 2, (h, w, 3))
    image = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        draw.ellipse([x0, y0, x0 + rng.randrange(20, 300), y0 + rng.randrange(20, 300)],
                     outline=tuple(rng.randrange(256) for _ in range(3)), width=rng.randrange(1, 8))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


def photo_pool(folder: Path, count: int, seed: int = 1) -> list[Path]:
    """`count` distinct photos, made once and kept in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"photo-{i:04d}.jpg"
        if not path.exists():
            path.write_bytes(photo(i, seed))
        paths.append(path)
    return paths


def _place(pool: list[Path], i: int, target: Path) -> None:
    """Article i's own photo file: a hard link into the pool (same bytes as its pool photo,
    without filling the disk with copies)."""
    target.unlink(missing_ok=True)
    os.link(pool[i % len(pool)], target)


def write_ours(root: Path, n: int, seed: int = 1, pool: list[Path] | None = None) -> None:
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "broadsheet.yml").write_text('title: "Benchmark"\n')
    for i, slug, title, day, tags, body in articles(n, seed):
        folder = root / "content" / "articles" / str(day.year)
        folder.mkdir(parents=True, exist_ok=True)
        tag_list = ", ".join(tags)
        front = ""
        if pool:
            _place(pool, i, folder / f"{slug}.jpg")
            front = (f'photo:\n  src: "{slug}.jpg"\n  alt: "Photo {i}"\n'
                     f'  caption: "A scene for article {i}."\n'
                     f'  credit: "Bench Photo/Writer {i % 37}"\n')
        (folder / f"{slug}.md").write_text(
            f'---\ntitle: "{title}"\ndate: {day}\ntags: [{tag_list}]\n'
            f'author: "Writer {i % 37}"\n{front}---\n{body}\n', encoding="utf-8")


HUGO_LAYOUTS = {
    "_default/baseof.html": "<!doctype html><html><head><title>{{ .Title }}</title></head>"
                            "<body>{{ block \"main\" . }}{{ end }}</body></html>",
    "_default/single.html": "{{ define \"main\" }}<h1>{{ .Title }}</h1>{{ .Date }}"
                            "{{ range .Params.tags }}<a href=\"{{ \"tags/\" | relURL }}"
                            "{{ . | urlize }}/\">{{ . }}</a>{{ end }}{{ .Content }}"
                            "{{ with .PrevInSection }}<a href=\"{{ .RelPermalink }}\">prev</a>"
                            "{{ end }}{{ end }}",
    "_default/list.html": "{{ define \"main\" }}<h1>{{ .Title }}</h1>{{ range "
                          "(.Paginate .Pages).Pages }}<h2><a href=\"{{ .RelPermalink }}\">"
                          "{{ .Title }}</a></h2>{{ .Summary }}{{ end }}{{ end }}",
    "_default/terms.html": "{{ define \"main\" }}{{ range .Data.Terms }}<a href=\""
                           "{{ .Page.RelPermalink }}\">{{ .Page.Title }}</a> {{ .Count }}"
                           "{{ end }}{{ end }}",
    "index.html": "{{ define \"main\" }}{{ range (.Paginate (where site.RegularPages "
                  "\"Section\" \"posts\")).Pages }}<h2><a href=\"{{ .RelPermalink }}\">"
                  "{{ .Title }}</a></h2>{{ .Summary }}{{ end }}{{ end }}",
}


# With photos, Hugo makes the same copies as we do: 480, 960 and 1600 wide, WebP and JPEG.
HUGO_PHOTO = (
    "{{ with .Resources.GetMatch \"photo.jpg\" }}{{ $p := . }}"
    "<picture><source type=\"image/webp\" srcset=\""
    "{{ range $i, $w := slice 480 960 1600 }}{{ if $i }}, {{ end }}"
    "{{ ($p.Resize (printf \"%dx webp q82\" $w)).RelPermalink }} {{ $w }}w{{ end }}\">"
    "<img srcset=\"{{ range $i, $w := slice 480 960 1600 }}{{ if $i }}, {{ end }}"
    "{{ ($p.Resize (printf \"%dx jpg q82\" $w)).RelPermalink }} {{ $w }}w{{ end }}\" alt=\"\">"
    "</picture>{{ end }}"
)


def write_hugo(root: Path, n: int, seed: int = 1, pool: list[Path] | None = None) -> None:
    (root / "content" / "posts").mkdir(parents=True, exist_ok=True)
    (root / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\ntitle = "Benchmark"\n'
        "[pagination]\n  pagerSize = 10\n")
    for name, text in HUGO_LAYOUTS.items():
        if pool and name == "_default/single.html":
            text = text.replace("{{ .Content }}", HUGO_PHOTO + "{{ .Content }}")
        path = root / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for i, slug, title, day, tags, body in articles(n, seed):
        text = f'---\ntitle: "{title}"\ndate: {day}\ntags: [{", ".join(tags)}]\n---\n{body}\n'
        if pool:  # a page bundle: the article and its photo in one folder
            folder = root / "content" / "posts" / slug
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "index.md").write_text(text, encoding="utf-8")
            _place(pool, i, folder / "photo.jpg")
        else:
            (root / "content" / "posts" / f"{slug}.md").write_text(text, encoding="utf-8")


def write_pelican(root: Path, n: int, seed: int = 1) -> None:
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "pelicanconf.py").write_text(
        'SITENAME = "Benchmark"\nSITEURL = ""\nPATH = "content"\nTIMEZONE = "UTC"\n'
        'DEFAULT_LANG = "en"\nDEFAULT_PAGINATION = 10\nFEED_ALL_ATOM = None\n'
        "CATEGORY_FEED_ATOM = None\nAUTHOR_FEED_ATOM = None\nAUTHOR_FEED_RSS = None\n")
    for _, slug, title, day, tags, body in articles(n, seed):
        (root / "content" / f"{slug}.md").write_text(
            f"Title: {title}\nDate: {day}\nTags: {', '.join(tags)}\nSlug: {slug}\n\n{body}\n",
            encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--format", choices=["ours", "hugo", "pelican"], default="ours")
    args = parser.parse_args()
    {"ours": write_ours, "hugo": write_hugo, "pelican": write_pelican}[args.format](
        args.folder, args.articles)


if __name__ == "__main__":
    main()
