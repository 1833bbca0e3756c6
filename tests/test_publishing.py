"""What readers and publishers expect: feeds, sitemap, sharing metadata, related reading,
responsive photos, print, accessibility and valid HTML."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from conftest import FIXTURES, build_repo, make_repo
from hypothesis import given, settings
from hypothesis import strategies as st

from broadsheet.model import Article, Body, TagRef, related_articles

ATOM = "{http://www.w3.org/2005/Atom}"
VNU = Path.home() / ".cache/broadsheet-tools/node_modules/vnu-jar/build/dist/vnu.jar"


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory) -> Path:
    root = make_repo(tmp_path_factory.mktemp("pub"), FIXTURES / "site")
    assert build_repo(root).ok
    return root / "site"


def test_every_feed_is_valid_atom(fixture_site):
    feeds = sorted(fixture_site.rglob("*.xml"))
    names = [p.relative_to(fixture_site).as_posix() for p in feeds if p.name == "feed.xml"]
    assert names == ["feed.xml", "tags/libraries/feed.xml", "tags/printing/feed.xml",
                     "tags/sao-paulo/feed.xml"]
    for name in names:
        feed = ET.parse(fixture_site / name).getroot()
        assert feed.tag == f"{ATOM}feed"
        for required in ("id", "title", "updated", "author"):
            assert feed.find(f"{ATOM}{required}") is not None, (name, required)
        self_link = feed.find(f"{ATOM}link[@rel='self']").get("href")
        assert self_link == "https://example.org/archive/" + name
        for entry in feed.findall(f"{ATOM}entry"):
            for required in ("id", "title", "updated", "published", "author", "summary",
                             "content"):
                assert entry.find(f"{ATOM}{required}") is not None, (name, required)
            datetime.fromisoformat(entry.find(f"{ATOM}updated").text)
            assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith(
                "https://example.org/archive/")


def test_feed_entries_carry_full_content_photo_credit_and_tags(fixture_site):
    feed = ET.parse(fixture_site / "feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "The Third Way", "Second Thoughts", "First Light: Notes on the “Morning Edition”"]
    first = entries[2]
    assert first.get("{http://www.w3.org/XML/1998/namespace}base") == (
        "https://example.org/archive/2021/first-light/")
    content = first.find(f"{ATOM}content").text
    assert re.search(r'<img src="\.\./\.\./media/[0-9a-f]{2}/[0-9a-f]{14}-60\.png"', content)
    assert "(Fixture Photo/Ada Quill)" in content
    assert "<table>" in content and "footnote" in content
    assert [c.get("label") for c in first.findall(f"{ATOM}category")] == ["printing", "São Paulo"]
    assert [a.find(f"{ATOM}name").text for a in entries[1].findall(f"{ATOM}author")] == [
        "Ben Ink", "Cy Type"]


def test_feeds_are_linked_from_pages(fixture_site):
    home = (fixture_site / "index.html").read_text()
    assert '<link rel="alternate" type="application/atom+xml" title="Fixture Gazette" ' \
           'href="feed.xml">' in home
    tag = (fixture_site / "tags/printing/index.html").read_text()
    assert 'href="feed.xml">Follow this tag (Atom feed)</a>' in tag
    assert 'type="application/atom+xml" title="Fixture Gazette: printing" href="feed.xml"' in tag


def test_sitemap_robots_and_canonical_only_with_a_public_url(fixture_site, tmp_path):
    sitemap = ET.parse(fixture_site / "sitemap.xml").getroot()
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locs = [u.find(f"{ns}loc").text for u in sitemap]
    assert "https://example.org/archive/2021/first-light/" in locs
    assert all(loc.startswith("https://example.org/archive/") for loc in locs)
    assert not any("404" in loc or "search" in loc for loc in locs)
    assert (fixture_site / "robots.txt").read_text().endswith(
        "Sitemap: https://example.org/archive/sitemap.xml\n")
    # absolute URLs appear only in canonical links and sharing metadata
    for page in fixture_site.rglob("*.html"):
        for url in re.findall(r'(?:href|src)="(https://example\.org/archive/[^"]*)"',
                              page.read_text()):
            assert re.search(rf'rel="canonical" href="{re.escape(url)}"', page.read_text()), url
    root = make_repo(tmp_path, FIXTURES / "site")
    (root / "broadsheet.yml").write_text('title: "No URL"\n')
    assert build_repo(root).ok
    assert not (root / "site/sitemap.xml").exists() and not (root / "site/robots.txt").exists()
    assert "canonical" not in (root / "site/index.html").read_text()
    assert "<base" not in (root / "site/404.html").read_text()  # relative links work from disk
    assert '<base href="/archive/">' in (fixture_site / "404.html").read_text()


def test_sharing_metadata_and_json_ld(fixture_site):
    page = (fixture_site / "2021/first-light/index.html").read_text()
    meta = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', page))
    assert meta["og:type"] == "article"
    assert meta["og:url"] == "https://example.org/archive/2021/first-light/"
    assert re.fullmatch(r"https://example\.org/archive/media/[0-9a-f]{2}/[0-9a-f]{14}-60\.png",
                        meta["og:image"])
    assert meta["twitter:card"] == "summary_large_image"
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page,
                                re.S).group(1))
    assert data["@type"] == "Article"
    assert data["headline"] == "First Light: Notes on the “Morning Edition”"
    assert data["datePublished"] == "2021-06-01"
    assert data["author"] == [{"@type": "Person", "name": "Ada Quill"}]
    assert data["image"]["creditText"] == "Fixture Photo/Ada Quill"
    assert data["publisher"]["name"] == "Fixture Gazette"


def test_json_ld_cannot_be_broken_out_of(tmp_path):
    title = '</script><script>alert(1)</script>'
    root = make_repo(tmp_path, files={"content/articles/x.md":
                                      f"---\ntitle: \"{title}\"\ndate: 2020-01-01\n---\nText\n"})
    assert build_repo(root).ok
    page = (root / "site/2020/x/index.html").read_text()
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert "<" not in script and json.loads(script)["headline"] == title


def _article(n: int, tags: list[str]) -> Article:
    return Article(source=f"a{n}.md", slug=f"a{n}", title=f"A{n}",
                   date=datetime(2020, 1, 1 + n), has_time=False, updated=None,
                   tags=tuple(TagRef(t, t) for t in tags), authors=(), origin=None, photo=None,
                   summary="", dek="", body=Body("", ""), words=0, reading_minutes=1,
                   draft=False)


def test_related_reading_prefers_most_shared_tags_then_recency():
    specs = {0: ["a", "b", "c"], 1: ["a"], 2: ["a", "b"], 3: ["b", "c"], 4: ["x"],
             5: ["a", "b", "c"], 6: ["c"], 7: ["a"], 8: ["b"]}
    articles = tuple(_article(n, specs[n]) for n in sorted(specs, reverse=True))  # newest first
    related = related_articles(articles)
    assert [a.slug for a in related["2020/a0/index.html"]] == ["a5", "a3", "a2", "a8", "a7"]
    assert related["2020/a4/index.html"] == ()
    assert related == related_articles(articles)  # deterministic


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdefg"), max_size=4).map(tuple), min_size=2,
                max_size=30).map(tuple), st.integers(1, 6))
def test_related_numbers_with_a_new_newest_article_equal_those_counted_again(tags, limit):
    """`model.related_numbers_with_newest` updates the last build's choice for an added newest
    article (tags[0]); it must choose exactly as counting every article again does."""
    from broadsheet import model

    count = model.related_numbers.__wrapped__
    assert model.related_numbers_with_newest(tags, limit, count(tags[1:], limit)) == count(
        tags, limit)


def _huge_png(path: Path, width: int, height: int) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))


def test_responsive_photos(tmp_path):
    from PIL import Image

    root = make_repo(tmp_path, files={
        "content/articles/2020/p.md": "---\ntitle: P\ndate: 2020-01-01\nphoto:\n  src: p.jpg\n"
                                      "  alt: A gradient\n  credit: Me/Us\n---\nText\n",
        "content/articles/2020/q.md": "---\ntitle: Q\ndate: 2020-01-02\n---\nText\n"})
    Image.new("RGB", (2000, 1000), (30, 90, 160)).save(root / "content/articles/2020/p.jpg")
    assert build_repo(root).ok
    folder = root / "site/2020/p"
    assert sorted(p.name for p in folder.iterdir()) == ["index.html"]
    digest = hashlib.sha256((root / "content/articles/2020/p.jpg").read_bytes()).hexdigest()
    media = f"media/{digest[:2]}/{digest[2:16]}"
    assert sorted(p.relative_to(root / "site").as_posix()
                  for p in (root / "site/media").rglob("*.*")) == [
        f"{media}-{w}.{ext}" for w in (1600, 480, 960) for ext in ("jpg", "webp")]
    with Image.open(root / f"site/{media}-960.webp") as small:
        assert small.size == (960, 480) and not small.getexif()
    page = (folder / "index.html").read_text()
    assert (f'srcset="../../{media}-480.webp 480w, ../../{media}-960.webp 960w, '
            f'../../{media}-1600.webp 1600w"') in page
    assert 'width="2000" height="1000"' in page and 'loading="lazy"' not in page
    home = (root / "site/index.html").read_text()
    assert f'srcset="{media}-480.webp 480w"' in home and 'loading="lazy"' in home
    cached = {p: p.stat().st_mtime_ns for p in (root / ".broadsheet-cache/images").iterdir()}
    assert len(cached) == 6
    assert build_repo(root, clean=True).ok
    assert {p: p.stat().st_mtime_ns for p in (root / ".broadsheet-cache/images").iterdir()} \
        == cached  # made once, taken from the cache by content hash afterwards


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg"), "is not a readable image"),
    (lambda p: _huge_png(p, 10000, 6000), "is 10000×6000 pixels; the limit is 40 megapixels"),
    (lambda p: _huge_png(p, 30000, 30000), "is over 89 megapixels; the limit is 40 megapixels"),
])
def test_bad_photos_are_errors_naming_the_article(tmp_path, make, message):
    root = make_repo(tmp_path, files={
        "content/articles/p.md": "---\ntitle: P\ndate: 2020-01-01\nphoto:\n  src: p.jpg\n"
                                 "  alt: x\n---\nText\n"})
    make(root / "content/articles/p.jpg")
    result = build_repo(root)
    assert result.diagnostics[0].format().startswith(
        f"content/articles/p.md:5:8: error: photo 'p.jpg' {message}")


@pytest.mark.e2e
def test_article_prints_with_credit_and_source(page, fixture_site):
    page.goto((fixture_site / "2021/first-light/index.html").as_uri())
    page.emulate_media(media="print")
    assert page.locator(".print-source").is_visible()
    assert page.locator(".print-source").inner_text() == (
        "Source: https://example.org/review/first-light")
    assert page.locator("figure .credit").is_visible()
    assert not page.locator(".masthead").is_visible()
    assert not page.locator(".search-form").is_visible()


@pytest.mark.e2e
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations(browser, sample_site, scheme):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    problems = {}
    for rel in ("index.html", "2019/the-long-afterlife-of-the-linotype/index.html",
                "tags/printing/index.html", "2021/index.html", "archive/index.html",
                "tags/index.html", "search/index.html?q=printing"):
        path, _, query = rel.partition("?")
        page.goto((sample_site / path).as_uri() + (f"?{query}" if query else ""))
        if query:
            page.wait_for_selector(".search-results li, [data-search-count]", timeout=5000)
        violations = axe.run(page).response["violations"]
        if violations:
            problems[rel] = [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
    context.close()
    assert problems == {}


def test_every_page_is_valid_html(sample_site):
    java = shutil.which("java")
    if java is None or not VNU.is_file():
        if os.environ.get("CI") == "true" and java is not None:
            pytest.fail("CI=true but vnu.jar is missing (.ci/run installs it)")
        pytest.skip("needs Java and `npm install --prefix ~/.cache/broadsheet-tools vnu-jar`")
    done = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--skip-non-html",
                           "--format", "gnu", str(sample_site)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_article_page_weight_stays_under_40_kb(sample_site):
    """HTML, CSS and JS a reader downloads for an article, before photos."""
    page = sample_site / "2020/the-mapmakers-blank-spaces/index.html"
    html = page.read_text()
    assets = re.findall(r'<(?:link rel="stylesheet"|script) (?:href|src)="([^"?]+)', html)
    assert sorted(Path(a).name for a in assets) == ["shortcut.js", "style.css"]
    total = len(html.encode()) + sum((page.parent / a).stat().st_size for a in assets)
    assert total < 40_000, total


def test_body_images_are_copied_beside_the_article(tmp_path):
    from PIL import Image

    root = make_repo(tmp_path, files={"content/articles/2020/p.md": (
        "---\ntitle: P\ndate: 2020-01-01\n---\nText.\n\n![A chart of rainfall](p-chart.png)\n\n"
        "![Detail](details/one%20detail.png \"Caption\")\n")})
    Image.new("RGB", (40, 20), (1, 2, 3)).save(root / "content/articles/2020/p-chart.png")
    (root / "content/articles/2020/details").mkdir()
    Image.new("RGB", (8, 8)).save(root / "content/articles/2020/details/one detail.png")
    assert build_repo(root).ok
    page = (root / "site/2020/p/index.html").read_text()
    assert '<img src="p-chart.png" alt="A chart of rainfall" loading="lazy" decoding="async">' \
        in page
    assert (root / "site/2020/p/p-chart.png").read_bytes() == (
        root / "content/articles/2020/p-chart.png").read_bytes()
    assert (root / "site/2020/p/details/one detail.png").is_file()
    # a deleted image is an error even though the article itself did not change
    (root / "content/articles/2020/p-chart.png").unlink()
    result = build_repo(root)
    assert [d.format() for d in result.diagnostics] == [
        "content/articles/2020/p.md:7: error: image file 'p-chart.png' not found "
        "(hint: put it beside p.md)"]


@pytest.mark.parametrize(("src", "message"), [
    ("../elsewhere.png", "image '../elsewhere.png' must not leave the article's folder ('..')"),
    ("notes.txt", "image 'notes.txt' is not a photo"),
])
def test_body_images_cannot_reach_outside(tmp_path, src, message):
    root = make_repo(tmp_path, files={
        "content/articles/p.md": f"---\ntitle: P\ndate: 2020-01-01\n---\n\n![x]({src})\n"})
    result = build_repo(root)
    assert not result.ok
    assert result.diagnostics[0].format().startswith(f"content/articles/p.md:6: error: {message}")


def test_drive_letter_image_is_a_refused_url(tmp_path):
    root = make_repo(tmp_path, files={
        "content/articles/p.md": "---\ntitle: P\ndate: 2020-01-01\n---\n\n![x](C:/x.png)\n"})
    result = build_repo(root)
    assert result.diagnostics[0].format().startswith(
        "content/articles/p.md:6: warning: link to 'C:/x.png' is not allowed")
    assert "<img" not in (root / "site/2020/p/index.html").read_text().split("<main")[1]
