"""The search page in headless Chromium, over http under /archive/ and from file://.

Uses the sample archive (words checked with grep to occur in one article only) and a fixture
whose title, tags, author and text are HTML payloads.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import FIXTURES, build_repo, make_repo

from broadsheet import config as config_module
from broadsheet.pipeline import load_site

pytestmark = pytest.mark.e2e

PAYLOAD = "<img src=x onerror=alert(1)>"
UNIQUE = {  # a word in one sample article's body only -> that article's page
    "slugcasting": "2019/the-long-afterlife-of-the-linotype/index.html",
    "heliometer": "2021/the-observatory-on-the-roof/index.html",
    "pluviometer": "2023/counting-rain/index.html",
    "collodion": "2024/glass-plates-in-the-attic/index.html",
}


@pytest.fixture(params=["http", "file"])
def base(request, sample_site: Path, serve) -> str:
    """The sample site's root URL, served under /archive/ or opened from disk."""
    if request.param == "http":
        return serve(sample_site)
    return sample_site.as_uri() + "/"


@pytest.fixture(scope="module")
def payload_site(tmp_path_factory) -> Path:
    root = make_repo(tmp_path_factory.mktemp("payload"), FIXTURES / "search-site")
    assert build_repo(root).ok
    return root / "site"


@pytest.fixture(scope="module")
def sample_model(sample_site: Path):
    config, problems = config_module.load(sample_site.parent)
    assert not problems
    site, _ = load_site(config)
    return site


def search(page, base: str, query: str) -> list[str]:
    page.goto(f"{base}search/index.html?q={quote(query)}")
    return results(page)


def results(page) -> list[str]:
    """Hrefs of the results shown, once the page has finished the latest search."""
    page.wait_for_selector("#search-page[aria-busy=false]", timeout=5000)
    return [a.get_attribute("href") for a in page.query_selector_all("#search-results h2 a")]


def clean(page):
    assert page.outside_requests == []
    assert page.errors == []


@pytest.mark.parametrize("word", sorted(UNIQUE))
def test_word_in_one_body_brings_that_article_first(page, base, word):
    hrefs = search(page, base, word)
    assert hrefs and hrefs[0] == "../" + UNIQUE[word]
    assert page.inner_text("#search-status") == f"{len(hrefs)} result" + "s" * (len(hrefs) > 1)
    assert not page.is_visible("#search-empty") and not page.is_visible("#search-more")
    assert page.locator("#search-results mark").first.inner_text().lower() == word
    with page.expect_navigation():
        page.click("#search-results h2 a >> nth=0")
    assert page.url.endswith(UNIQUE[word])  # the relative link works on http and file://
    clean(page)


def test_tag_name_lists_that_tags_articles_first(page, base, sample_model):
    for tag in sample_model.tags[:4]:
        expected = {"../" + a.path for a in tag.articles}
        hrefs = search(page, base, tag.name.lower())
        assert set(hrefs[: len(expected)]) == expected, tag.name
        only = search(page, base, f"tag:{tag.slug}")
        assert set(only) == expected, tag.name
    clean(page)


def test_two_words_narrow_the_results(page, base):
    cities = set(search(page, base, "cities"))
    science = set(search(page, base, "science"))
    both = search(page, base, "cities science")
    assert both and set(both) <= cities & science
    assert len(both) < min(len(cities), len(science))
    clean(page)


def test_more_results_shows_the_rest(page, base):
    hrefs = search(page, base, "people")  # in all 12 sample articles; ten are shown first
    assert len(hrefs) == 10 and page.inner_text("#search-status") == "12 results"
    page.click("#search-more")
    everything = results(page)
    assert len(set(everything)) == 12 and everything[:10] == hrefs
    assert not page.is_visible("#search-more")
    clean(page)


def test_unknown_word_explains_there_is_nothing(page, base):
    assert search(page, base, "zzyzxqv") == []
    assert page.is_visible("#search-empty")
    assert page.inner_text("#search-empty-query") == "zzyzxqv"
    assert page.inner_text("#search-status") == "No results"
    assert not page.is_visible("#search-more") and not page.is_visible("#search-results li")
    clean(page)


def test_query_payload_stays_text(page, base):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for query in (PAYLOAD, PAYLOAD + " cities", "<b>bold</b>"):
        search(page, base, query)
        assert page.inner_text("#search-empty-query") == query or page.query_selector(".entry")
    assert page.evaluate("document.querySelectorAll('img[src=x], b').length") == 0
    assert dialogs == []
    clean(page)


def test_article_payloads_stay_text(page, payload_site, serve):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for site_base in (serve(payload_site), payload_site.as_uri() + "/"):
        hrefs = search(page, site_base, "quokkalith")
        assert hrefs == ["../2024/markup-in-the-title/index.html"]
        assert page.inner_text("#search-results h2") == PAYLOAD
        assert "<script>alert(3)</script>" in page.inner_text("#search-results .entry-meta")
        assert page.inner_text("#search-results .tag >> nth=0") == "<b>bold</b>"
        inserted = "document.querySelectorAll('main img, main script, main b').length"
        assert page.evaluate(inserted) == 0
        assert len(search(page, site_base, "security")) == 2
    assert dialogs == []
    clean(page)


def test_typing_updates_the_url_and_it_restores_the_results(page, base):
    page.goto(base + "search/index.html")
    page.locator("#search-query").press_sequentially("helio", delay=20)
    first = results(page)
    page.wait_for_function("location.search === '?q=helio'")
    assert first[0] == "../" + UNIQUE["heliometer"]  # the word being typed matches as prefix
    with page.expect_navigation():
        page.click("#search-results h2 a >> nth=0")
    page.go_back()
    assert results(page) == first and page.input_value("#search-query") == "helio"
    page.reload()
    assert results(page) == first
    clean(page)


def test_keyboard_slash_arrows_and_enter(page, base):
    page.goto(base + "index.html")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-box"
    page.keyboard.type("observatory")
    page.keyboard.press("Enter")  # the header form submits to the search page
    hrefs = results(page)
    assert "search/index.html?q=observatory" in page.url and hrefs
    page.locator("main h1").click()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-query"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.getAttribute('href')") == hrefs[0]
    if len(hrefs) > 1:
        page.keyboard.press("ArrowDown")
        assert page.evaluate("document.activeElement.getAttribute('href')") == hrefs[1]
        page.keyboard.press("ArrowUp")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(hrefs[0].removeprefix(".."))
    clean(page)


def test_nothing_loads_before_the_reader_searches(page, base):
    loaded = []
    page.on("request", lambda r: loaded.append(r.url))
    page.goto(base + "index.html")
    page.focus("#search-box")
    page.wait_for_timeout(100)
    assert not [u for u in loaded if "/search/" in u or "lunr" in u]
    page.goto(base + "search/index.html")  # opening the search page loads lunr and manifest
    page.wait_for_function("window.BroadsheetSearch.page.engine.manifest !== null")
    assert not [u for u in loaded if "/search/index/" in u or "/search/doc/" in u]
    clean(page)


def test_missing_index_is_reported_not_thrown(page, tmp_path, sample_site):
    broken = tmp_path / "site"
    shutil.copytree(sample_site, broken)
    shutil.rmtree(broken / "search" / "index")
    assert search(page, broken.as_uri() + "/", "cities") == []
    assert "unavailable" in page.inner_text("#search-status")
    assert page.errors == []
