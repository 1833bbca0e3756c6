"""The built sample archive in headless Chromium, from file:// and over http under /archive/."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO, build_repo, make_repo

pytestmark = pytest.mark.e2e

ARTICLE = "The Long Afterlife of the Linotype"


@pytest.fixture(params=["file", "http"])
def start(request, sample_site, serve):
    if request.param == "file":
        return (sample_site / "index.html").as_uri()
    return serve(sample_site, "archive") + "index.html"


def test_reader_walks_the_archive(page, start):
    page.goto(start)
    assert page.title() == "The Broadsheet Archive"
    # front page -> article (may be on a later page of the front page)
    while not page.get_by_role("link", name=ARTICLE, exact=True).count():
        page.get_by_role("link", name="Older →").click()
    page.get_by_role("link", name=ARTICLE, exact=True).first.click()
    assert page.locator("h1").inner_text() == ARTICLE
    figure = page.locator("figure.lead-photo")
    assert figure.locator(".credit").is_visible()
    assert figure.locator(".credit").inner_text().startswith("(Broadsheet Illustration/")
    photo = figure.locator("img")
    assert photo.get_attribute("alt")
    # loaded (waited for: the click returns once the page is, its photo may follow)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=photo.element_handle(), timeout=10_000)
    assert page.locator("time").first.get_attribute("datetime") == "2019-03-14"
    # article -> tag page
    page.locator(".article-footer").get_by_role("link", name="typography").click()
    assert page.locator("h1").inner_text() == "typography"
    assert page.get_by_role("link", name=ARTICLE, exact=True).is_visible()
    # tag page -> tag index
    page.locator(".site-nav").get_by_role("link", name="Tags").click()
    assert page.locator("h1").inner_text() == "Tags"
    assert page.locator(".tag-index li").count() >= 15
    # tag index -> archive -> a year
    page.locator(".site-nav").get_by_role("link", name="Archive").click()
    assert page.locator("h1").inner_text() == "Archive"
    page.get_by_role("link", name="2019", exact=True).click()
    assert page.locator("h1").inner_text() == "2019"
    assert page.locator(".month h2").first.text_content() == "September"
    assert page.get_by_role("link", name=ARTICLE, exact=True).is_visible()
    # year -> front page
    page.locator(".site-title").click()
    assert page.url == start
    assert 10 <= page.locator(".entry").count() < 20  # per_page, up to twice on the first page
    assert page.outside_requests == []
    assert page.errors == []


def test_every_page_loads_its_stylesheet(page, start):
    page.goto(start)
    color = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert color == "rgb(251, 250, 247)"
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(22, 21, 15)"


def test_phone_width_has_no_horizontal_scroll(browser, sample_site):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    pg = context.new_page()
    for rel in ("index.html", "2020/the-mapmakers-blank-spaces/index.html", "tags/index.html"):
        pg.goto((sample_site / rel).as_uri())
        assert pg.evaluate("document.documentElement.scrollWidth") <= 360, rel
    context.close()


def test_keyboard_focus_is_visible_and_skip_link_works(page, sample_site):
    page.goto((sample_site / "index.html").as_uri())
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    box = skip.bounding_box()
    assert box["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_build_with_base_path_served_under_archive(page, serve, tmp_path):
    """As the Pages workflow builds it: --base-url with /archive/, served from that sub-path."""
    root = make_repo(tmp_path)
    shutil.copytree(REPO / "content", root / "content")
    assert build_repo(root, base_url="https://example.github.io/archive/").ok
    base = serve(root / "site", "archive")
    page.goto(base + "index.html")
    page.locator(".site-nav").get_by_role("link", name="Tags").click()
    assert page.url == base + "tags/index.html"
    canonical = page.locator("link[rel=canonical]").get_attribute("href")
    assert canonical == "https://example.github.io/archive/tags/"
    # GitHub Pages answers a missing URL at any depth with 404.html: its links still work
    deep = root / "site/no/such/page"
    deep.mkdir(parents=True)
    shutil.copy(root / "site/404.html", deep / "index.html")
    page.goto(base + "no/such/page/index.html")
    assert page.locator("h1").inner_text() == "Page not found"
    page.get_by_role("link", name="latest articles").click()
    assert page.url == base + "index.html"
    assert page.outside_requests == []


def test_slash_focuses_the_search_box_and_enter_searches(page, sample_site):
    page.goto((sample_site / "2021/index.html").as_uri())
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-box"
    page.keyboard.type("heliometer")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/index.html?q=heliometer")
    page.wait_for_selector("#search-results a")
    assert page.locator("#search-results a").first.inner_text() == "The Observatory on the Roof"
